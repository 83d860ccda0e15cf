"""Files that messages carry: taking one in (an upload, base64, or a URL the server fetches),
telling what it is, and describing it.

A URL is fetched when the send is accepted, not when it goes out: a bad URL is the caller's
422 at once rather than a failed message later, and the queue holds the bytes, so a restart
or a slow queue never depends on the URL still working.
"""

import asyncio
import base64
import binascii
import hashlib
import math
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import magic

from wapiz.config import Settings
from wapiz.kit.addresses import not_allowed
from wapiz.kit.errors import InvalidInput, PayloadTooLarge
from wapiz.kit.net import outbound_client, refusal_behind
from wapiz.kit.text import Text
from wapiz.messages.models import Media, described_safely
from wapiz.messages.schemas import a_message

GENERIC = "application/octet-stream"
# Types that say only "some bytes" (S3 serves files as binary/octet-stream, say).
GENERIC_TYPES = {GENERIC, "binary/octet-stream", "application/unknown", "application/binary",
                 "application/x-download", "application/force-download"}
MEDIA_FAMILIES = ("image", "video", "audio")
# One format under several names: containers that hold audio or video (libmagic says
# application/ogg or video/mp4 where a sender says audio/ogg or audio/mp4), the first name of
# each the usual one.
CONTAINERS = (
    ("audio/ogg", "video/ogg", "application/ogg", "audio/opus"),
    ("video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a", "application/mp4", "video/x-m4v"),
    ("video/webm", "audio/webm"),
    ("video/3gpp", "audio/3gpp"),
    ("video/3gpp2", "audio/3gpp2"),
    ("video/x-matroska", "audio/x-matroska"),
)
# SVG is text: libmagic may call it XML, or plain text.
SVG = ("image/svg+xml", "text/xml", "application/xml", "text/plain")
# What each type's file must be (a document may be anything).
KIND_PREFIX = {"image": "image/", "video": "video/", "audio": "audio/", "sticker": "image/"}
MAX_REDIRECTS = 5
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class IncomingFile:
    data: bytes
    declared_type: str | None = None  # what the sender said (an upload's or a URL's type)
    file_name: str | None = None


def too_large(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(Text("File lebih besar dari batas {limit} byte",
                                "The file is larger than the limit of {limit} bytes")
                           .format(limit=settings.media_max_bytes), code="file_too_large")


def base64_length(size: int) -> int:
    """Characters of `size` bytes in base64 (with padding)."""
    return 4 * math.ceil(size / 3)


def from_base64(text: str, settings: Settings) -> IncomingFile:
    if len(text) > base64_length(settings.media_max_bytes):
        raise too_large(settings)
    declared, payload = None, text
    if text.startswith("data:"):  # data:image/png;base64,<data>
        header, _, payload = text.partition(",")
        declared = header[5:].split(";", 1)[0] or None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(Text("`media` bukan base64 yang valid", "`media` is not valid base64"),
                           code="invalid_media") from None
    if len(data) > settings.media_max_bytes:
        raise too_large(settings)
    return IncomingFile(data, declared)


async def fetch(url: str, settings: Settings) -> IncomingFile:
    """GET the file, from public addresses only (checked on every connection, redirects
    included), within the size limit and one overall time limit."""
    limit = settings.media_max_bytes
    timeout = settings.media_fetch_timeout_seconds
    client = outbound_client(settings.media_allow_private,
                             httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                             follow_redirects=True, max_redirects=MAX_REDIRECTS)
    try:
        async with client, asyncio.timeout(timeout), client.stream("GET", url) as response:
            if response.status_code != 200:
                raise InvalidInput(Text("mediaUrl menjawab HTTP {status}",
                                        "mediaUrl answered HTTP {status}")
                                   .format(status=response.status_code), code="media_fetch_failed")
            if int(response.headers.get("content-length") or 0) > limit:
                raise too_large(settings)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise too_large(settings)
                chunks.append(chunk)
            declared = response.headers.get("content-type", "").split(";", 1)[0].strip()
            name = PurePosixPath(unquote(urlsplit(str(response.url)).path)).name
            return IncomingFile(b"".join(chunks), declared or None, name or None)
    except TimeoutError:
        raise InvalidInput(Text("mediaUrl butuh lebih dari {seconds} detik",
                                "mediaUrl took longer than {seconds}s")
                           .format(seconds=f"{timeout:g}"),
                           code="media_fetch_failed") from None
    except httpx.TooManyRedirects:
        raise InvalidInput(Text("mediaUrl dialihkan lebih dari {count} kali",
                                "mediaUrl redirected more than {count} times")
                           .format(count=MAX_REDIRECTS), code="media_fetch_failed") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        refused = refusal_behind(exc)
        if refused is not None:
            raise InvalidInput(not_allowed("mediaUrl", refused, "WAPIZ_MEDIA_ALLOW_PRIVATE"),
                               code="media_url_refused") from None
        raise InvalidInput(Text("mediaUrl tidak bisa diambil: {reason}",
                                "mediaUrl could not be fetched: {reason}").format(reason=exc),
                           code="media_fetch_failed") from None


def _base(mimetype: str) -> str:
    return mimetype.split(";", 1)[0].strip().lower()


def _declared(file: IncomingFile, given: str | None) -> str | None:
    """The type the caller gave, else the one the file came with; generic ones say nothing."""
    for mimetype in (given, file.declared_type):
        if mimetype and _base(mimetype) not in GENERIC_TYPES:
            return mimetype
    return None


def _sniffed(data: bytes) -> str | None:
    """The type libmagic reads in the bytes; None where it cannot tell."""
    sniffed = magic.from_buffer(data[:SNIFF_BYTES], mime=True) if data else None
    return None if sniffed in (None, GENERIC) else sniffed


def _family(mimetype: str) -> str:
    """image, video or audio; anything else is a document (text, PDF, archives …)."""
    top = _base(mimetype).split("/", 1)[0]
    return top if top in MEDIA_FAMILIES else "document"


def _same_format(one: str, other: str) -> bool:
    a, b = _base(one), _base(other)
    return a == b or any(a in names and b in names for names in (*CONTAINERS, SVG))


def _as_kind(message_type: str, mimetype: str) -> str:
    """A format's name that fits the message (application/ogg is audio/ogg in a voice note)."""
    prefix = KIND_PREFIX.get(message_type)
    if prefix is None or mimetype.startswith(prefix):
        return mimetype
    for names in CONTAINERS:
        if _base(mimetype) in names:
            return next((name for name in names if name.startswith(prefix)), mimetype)
    return mimetype


def mimetype_of(message_type: str, file: IncomingFile, given: str | None) -> str:
    """The file's type, which its bytes decide (libmagic). A type the caller gave (or the file
    came with: an upload's, a URL's) stands where the bytes agree with it and it says more
    ("audio/ogg; codecs=opus" for bytes libmagic calls application/ogg), where libmagic
    cannot tell, and among documents (libmagic calls a CSV text/plain, a .docx a zip). A
    type the bytes contradict (text declared as image/jpeg) is a 422 naming both, and so is
    a type that does not fit the message (a PDF sent as an image)."""
    sniffed, declared = _sniffed(file.data), _declared(file, given)
    if sniffed is None or declared is None:
        mimetype = declared or sniffed or GENERIC
    elif _same_format(declared, sniffed):
        mimetype = declared
    elif _family(declared) != _family(sniffed):
        raise InvalidInput(Text("file dinyatakan {declared}, tetapi isinya {sniffed}",
                                "declared {declared}, but the bytes are {sniffed}")
                           .format(declared=_base(declared), sniffed=sniffed),
                           code="media_content_mismatch")
    else:  # one family: image/png for bytes that are a JPEG is a JPEG; a document keeps its name
        mimetype = declared if _family(sniffed) == "document" else sniffed
    mimetype = _as_kind(message_type, mimetype)
    prefix = KIND_PREFIX.get(message_type)
    if prefix and not mimetype.startswith(prefix):
        raise InvalidInput(Text("pesan {kind} butuh file bertipe {prefix}*, bukan {mimetype}",
                                "{a_kind} needs a file of type {prefix}*, not {mimetype}")
                           .format(kind=message_type, a_kind=a_message(message_type),
                                   prefix=prefix, mimetype=mimetype),
                           code="media_type_mismatch")
    return mimetype


def stored_file(file: IncomingFile, mimetype: str, file_name: str | None,
                **owner: Any) -> Media:
    described = described_safely(mimetype, file_name or file.file_name,
                                 hashlib.sha256(file.data).hexdigest())
    return Media(**described, size=len(file.data), data=file.data, **owner)
