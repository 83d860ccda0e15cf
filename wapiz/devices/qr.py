"""QR codes as PNG images."""

import io
from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_png(code: str) -> bytes:
    """The PNG a phone scans; cached, since every poll of /qr asks for the same code."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()
