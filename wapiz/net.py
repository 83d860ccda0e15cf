"""Network addresses users give us: proxies to dial through, and URLs the gateway calls
(media to fetch, webhooks) without becoming a way into its own network."""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

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


# --- reaching URLs users give us (media to fetch, webhooks to call) ----------------------


class UnsafeAddress(ValueError):
    """A URL's host is, or resolves to, an address the gateway must not call."""


def refusal(address: str) -> str | None:
    """Why an IP address must not be called from the gateway, or None if it is public.

    Loopback, private (RFC 1918, ULA), link-local, CGNAT, multicast, reserved and the like
    would let a user reach the gateway's own network through it (SSRF)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a scoped IPv6 keeps its scope
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 inside IPv6 (mapped, 6to4, Teredo) is judged as the IPv4 address it carries.
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is not None:
            ip = carried
    # The most telling word first: Python counts link-local and the like as private too.
    for kind, is_kind in (("a loopback", ip.is_loopback), ("a link-local", ip.is_link_local),
                          ("a multicast", ip.is_multicast), ("an unspecified", ip.is_unspecified),
                          ("a reserved", ip.is_reserved), ("a private", ip.is_private)):
        if is_kind:
            return f"{ip} is {kind} address"
    if not ip.is_global:  # CGNAT (100.64/10) and other shared or special ranges
        return f"{ip} is not a public address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (a literal address is itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_public_host(host: str, port: int) -> None:
    """UnsafeAddress if the host is, or resolves to, a non-public address. A name that does
    not resolve (yet) passes: calling it fails later, at connect time, where it is checked
    again."""
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):  # not (yet) resolvable, or not a name DNS can ask for
        return
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise UnsafeAddress(f"{host} resolves to {reason}" if host != address else reason)


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, refusing every connection to a non-public address.

    The check is made on the addresses actually dialled, at connect time: a name that
    resolved to a public address when it was saved and to 127.0.0.1 now (DNS rebinding) is
    refused. The connection goes to the checked address itself, so no second lookup can
    differ; TLS still verifies the name (httpcore passes it for SNI separately)."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()

    # The signatures are httpcore's (hence `timeout` parameters).
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(resolve(host, port), timeout)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise httpcore.ConnectError(f"refused to connect to {host}: {reason}")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address,
                                                    socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from here")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def outbound_client(allow_private: bool, timeout: httpx.Timeout, follow_redirects: bool = False,
                    max_redirects: int = 5) -> httpx.AsyncClient:
    """An HTTP client for URLs users give us: public addresses only, unless allowed
    (local development and tests). Proxies from the environment are not used, as they would
    dial on the client's behalf and hide where it goes."""
    transport = httpx.AsyncHTTPTransport(retries=0)
    if not allow_private:
        # httpx has no parameter for the network backend: the pool is rebuilt with it.
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=PublicOnlyBackend())
    return httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False,
                             follow_redirects=follow_redirects, max_redirects=max_redirects)
