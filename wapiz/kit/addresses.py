"""Network addresses users give us: proxies to dial through, and hosts the gateway calls
(media to fetch, webhooks), judged so that the gateway never becomes a way into its own
network. No HTTP client here (`net.py` has it): a runner checks proxies without loading one."""

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from wapiz.kit.text import Text

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


# The password runs to the authority's last `@` (URL parsers read the host after it, so an
# unencoded `@` in a password belongs to the password).
_CREDENTIALS = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/?#]*@", re.I)


def mask_credentials(text: str) -> str:
    """`text` (a URL, or words holding URLs) with every password replaced by `***`:
    `socks5://user:pass@host:1080` → `socks5://user:***@host:1080`."""
    return _CREDENTIALS.sub(r"\g<head>***@", text)


def proxy_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 0


async def pinned_proxy(url: str, allow_private: bool) -> str:
    """The proxy URL to hand to a library that dials it itself, checked right before it does:
    its host resolved once, every address public (UnsafeAddress otherwise, unless allowed),
    and the host replaced by the checked address, so no second lookup can go elsewhere (DNS
    rebinding). An https:// proxy keeps its name, which its TLS certificate is checked
    against: for it, a name that resolves elsewhere a moment later still reaches Go.
    OSError (or UnicodeError) if the name does not resolve."""
    host, port = proxy_host_port(url)
    addresses = await resolve(host, port)
    if not allow_private:
        check_addresses(host, addresses)
    parts = urlsplit(url)
    if parts.scheme == "https" or not addresses:
        return url
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{literal}:{port}" if credentials else f"{literal}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# --- reaching URLs users give us (media to fetch, webhooks to call) ----------------------

# What makes an address unfit to call, the most telling word first: Python counts link-local
# and the like as private too. Site-local IPv6 (fec0::/10, deprecated but still routed in
# some networks) is neither private nor non-global to Python, so it is asked for by name.
_KINDS: tuple[tuple[str, Text], ...] = (
    ("is_loopback", Text("alamat loopback", "a loopback address")),
    ("is_link_local", Text("alamat link-local", "a link-local address")),
    ("is_site_local", Text("alamat site-local", "a site-local address")),
    ("is_multicast", Text("alamat multicast", "a multicast address")),
    ("is_unspecified", Text("alamat kosong (unspecified)", "an unspecified address")),
    ("is_reserved", Text("alamat yang dicadangkan", "a reserved address")),
    ("is_private", Text("alamat privat", "a private address")),
)
_NOT_PUBLIC = Text("alamat non-publik", "a non-public address")
_ADDRESS_IS = Text("{address} adalah {kind}", "{address} is {kind}")
_NAME_RESOLVES = Text("{host} mengarah ke {address}, {kind}",
                      "{host} resolves to {address}, {kind}")
_NOT_ALLOWED = Text("{what} tidak diizinkan: {reason} (hanya bisa dengan {switch}=true)",
                    "{what} is not allowed: {reason} (only with {switch}=true)")


class UnsafeAddress(ValueError):
    """A URL's host is, or resolves to, an address the gateway must not call."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _kind(address: str) -> Text | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a scoped IPv6 keeps its scope
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 inside IPv6 (mapped, 6to4, Teredo) is judged as the IPv4 address it carries.
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is not None:
            ip = carried
    for test, kind in _KINDS:
        if getattr(ip, test, False):
            return kind
    if not ip.is_global:  # CGNAT (100.64/10) and other shared or special ranges
        return _NOT_PUBLIC
    return None


def _joined(template: Text, kind: Text, **values: str) -> Text:
    """`template` with `{kind}` in each language filled by that language's words."""
    return Text(template.id.format(kind=kind.id, **values),
                template.en.format(kind=kind.en, **values))


def refusal(address: str, host: str | None = None) -> Text | None:
    """Why an IP address (that `host` resolved to) must not be called from the gateway, or
    None if it is public.

    Loopback, private (RFC 1918, ULA), link-local, site-local, CGNAT, multicast, reserved and
    the like would let a user reach the gateway's own network through it (SSRF)."""
    kind = _kind(address)
    if kind is None:
        return None
    if host is not None and host != address:
        return _joined(_NAME_RESOLVES, kind, host=host, address=address)
    return _joined(_ADDRESS_IS, kind, address=address)


def not_allowed(what: str, reason: Text, switch: str) -> Text:
    """The words of a refusal as a user reads them, naming the setting that would allow it."""
    return Text(_NOT_ALLOWED.id.format(what=what, reason=reason.id, switch=switch),
                _NOT_ALLOWED.en.format(what=what, reason=reason.en, switch=switch))


async def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (a literal address is itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """UnsafeAddress if any of the addresses `host` resolved to is not public."""
    for address in addresses:
        reason = refusal(address, host)
        if reason is not None:
            raise UnsafeAddress(reason)


async def check_public_host(host: str, port: int) -> None:
    """UnsafeAddress if the host is, or resolves to, a non-public address. A name that does
    not resolve (yet) passes: calling it fails later, at connect time, where it is checked
    again."""
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):  # not (yet) resolvable, or not a name DNS can ask for
        return
    check_addresses(host, addresses)
