"""Origins: how `WAPIZ_CORS_ORIGINS` and `WAPIZ_PUBLIC_URL` are read, and which request
headers count as our own origin (the HTTP behaviour is in tests/accounts/test_browser.py)."""

import pytest
from pydantic import ValidationError

from wapiz.config import Settings
from wapiz.kit.origins import from_own_origin, web_origin


@pytest.mark.parametrize("written", [
    "https://dash.example.com, http://LOCALHOST:5173/",
    '["https://dash.example.com:443", "http://localhost:5173"]',
    "https://dash.example.com,,http://localhost:5173,https://dash.example.com",
])
def test_cors_origins_as_people_write_them(written: str) -> None:
    settings = Settings(cors_origins=written)
    assert settings.cors_origins == ["https://dash.example.com", "http://localhost:5173"]


@pytest.mark.parametrize("written", ["*", "dash.example.com", "https://dash.example.com/app",
                                     "ftp://dash.example.com", "https://user@dash.example.com",
                                     "https://dash.example.com:99999", "null"])
def test_what_is_not_an_origin_is_refused(written: str) -> None:
    with pytest.raises(ValidationError):
        Settings(cors_origins=written)


def test_public_url_gives_the_own_origin_and_a_secure_cookie() -> None:
    assert Settings().own_origin is None and not Settings().secure_cookie
    assert Settings(cookie_secure=True).secure_cookie
    public = Settings(public_url="https://API.example.com:443/wapiz/")
    assert public.own_origin == "https://api.example.com" and public.secure_cookie
    assert not Settings(public_url="http://api.example.com").secure_cookie
    with pytest.raises(ValidationError):
        Settings(public_url="api.example.com")


def test_web_origin_normalises() -> None:
    assert web_origin("HTTPS://Example.COM:443") == "https://example.com"
    assert web_origin("http://[::1]:8080/x?y") == "http://[::1]:8080"


TRUSTED = frozenset({"https://dash.example.com"})


@pytest.mark.parametrize(("origin", "fetch_site", "own", "expected"), [
    ("http://127.0.0.1:8080", None, None, True),  # the Host it came to
    ("https://127.0.0.1:8080", None, None, True),  # the same host, over TLS in front
    ("http://127.0.0.1:9090", None, None, False),
    ("https://dash.example.com", "cross-site", None, True),  # a listed origin
    ("https://evil.example", "same-origin", None, False),  # Origin decides
    ("null", None, None, False),
    ("http://127.0.0.1:8080", None, "https://api.example.com", False),  # not the public URL
    ("https://api.example.com", None, "https://api.example.com", True),
    (None, "same-origin", None, True), (None, "none", None, True),
    (None, "same-site", None, False), (None, "cross-site", None, False),
    (None, None, None, True),  # curl
])
def test_which_requests_come_from_our_own_origin(
        origin: str | None, fetch_site: str | None, own: str | None, expected: bool) -> None:
    assert from_own_origin(origin, fetch_site, "127.0.0.1:8080", own, TRUSTED) is expected
