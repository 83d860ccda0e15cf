"""Checks on network addresses users give us."""

from urllib.parse import urlsplit

PROXY_SCHEMES = ("http", "https", "socks5")


def proxy_url(url: str) -> str:
    """A proxy URL whatsmeow can dial: `socks5://user:pass@host:1080` or `http://host:3128`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError("proxy must be an http://, https:// or socks5:// URL")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("proxy port must be a number between 1 and 65535") from None
    if not parts.hostname or port is None:
        raise ValueError("proxy must name a host and a port, e.g. socks5://127.0.0.1:1080")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("proxy must be scheme://host:port, without a path or query")
    return url.strip()
