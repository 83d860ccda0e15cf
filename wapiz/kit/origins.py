"""Web origins (`scheme://host[:port]`), and whether a browser's request comes from our own.

A page on another site can make the browser send a form, with the `wa_token` cookie, to the
API (cross-site request forgery). Browsers say where a request comes from: `Origin` on every
cross-origin request and every POST, and `Sec-Fetch-Site` in the newer ones. No framework
here: `wapiz.config` normalises the configured origins with these functions too.
"""

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Sec-Fetch-Site values of a request the user made on our own pages, or typed themselves.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def web_origin(url: str) -> str:
    """The origin of an http(s) URL, as browsers compare them: lowercase, without a default
    port, a path or credentials. ValueError if it has none (`null`, `*`, `ftp://…`)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port  # ValueError when it is not a port
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else (
        f"{scheme}://{host}:{port}")


def _origin_or_none(url: str) -> str | None:
    try:
        return web_origin(url)
    except ValueError:
        return None


def from_own_origin(
    origin: str | None,
    fetch_site: str | None,
    host: str | None,
    own_origin: str | None,
    trusted: frozenset[str],
) -> bool:
    """Whether a request comes from the server's own pages or a trusted origin's.

    `Origin` decides when it is sent: the server's own origin (`own_origin`, or else the
    `host` the request came to, in the scheme the page used) or a `trusted` one. Without it,
    `Sec-Fetch-Site` decides. A request with neither is no browser's (curl, older clients).
    """
    if origin is not None:
        normalised = _origin_or_none(origin)
        if normalised is None:
            return False  # `null` (a sandboxed frame, a file) or garbage
        if normalised in trusted or normalised == own_origin:
            return True
        if own_origin is None and host:
            scheme = normalised.split("://", 1)[0]
            return normalised == _origin_or_none(f"{scheme}://{host}")
        return False
    if fetch_site is not None:
        return fetch_site.strip().lower() in OWN_FETCH_SITES
    return True
