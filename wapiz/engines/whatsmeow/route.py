"""Is WhatsApp reachable on a session's route? Checked before neonize is asked to connect.

Every connect through neonize costs a key-store handle that can never be given back: its Go
`Neonize` opens the store (`sqlstore.New`, a `database/sql` pool with a SQLite file or a
PostgreSQL connection) for each call and nothing closes it, and no exported function can
(docs/architecture.md). So a device whose route is down must not reach Go at all: its
attempt dials WhatsApp's address here, through the device's proxy as whatsmeow would
(HTTP CONNECT or SOCKS), and only a route that gets through is handed to neonize. A refused
or silent proxy, a proxy that cannot reach WhatsApp, or no network at all then costs a
socket for a moment and nothing more.
"""

import asyncio
import errno
import socket
import ssl
from urllib.parse import urlsplit, urlunsplit

from wapiz.engines import events

# What whatsmeow dials (wss://web.whatsapp.com/ws/chat); tests point it at a loopback port.
WHATSAPP_ADDRESS = ("web.whatsapp.com", 443)
# whatsmeow gives a dial this long too.
ROUTE_TIMEOUT_S = 10.0


class RouteDown(Exception):
    """WhatsApp's address cannot be reached on the route; the words say where it failed
    (for the log), `kind` how (for /status: one of events' connect-failure kinds)."""

    def __init__(self, words: str, kind: str) -> None:
        super().__init__(words)
        self.kind = kind


async def check_route(proxy: str | None, timeout_s: float = ROUTE_TIMEOUT_S) -> None:
    """Open a connection to WhatsApp's address (through `proxy`) and close it again."""
    host, port = WHATSAPP_ADDRESS
    given = proxy
    try:
        if proxy is None:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
            writer.close()
            return
        from python_socks.async_.asyncio.v2 import Proxy

        parts = urlsplit(proxy)
        proxy_ssl = None
        if parts.scheme == "https":  # an HTTP proxy spoken to over TLS
            proxy_ssl = ssl.create_default_context()
            proxy = urlunsplit(parts._replace(scheme="http"))
        # The proxy resolves WhatsApp's name, as whatsmeow's SOCKS dialer lets it.
        stream = await Proxy.from_url(proxy, proxy_ssl=proxy_ssl, rdns=True).connect(
            host, port, timeout=timeout_s)
        await stream.close()
    except Exception as exc:  # OSError, a timeout, python-socks' errors, a malformed URL
        raise RouteDown(_describe(exc, given), failure_kind(exc, given is not None)) from None


def _describe(exc: BaseException, proxy: str | None) -> str:
    where = "directly"
    if proxy is not None:
        parts = urlsplit(proxy)  # host and port only: never the credentials
        where = f"through the proxy {parts.hostname}:{parts.port}"
    return f"WhatsApp is not reachable {where}: {str(exc) or type(exc).__name__}"


def failure_kind(exc: BaseException, through_proxy: bool) -> str:
    """How the route failed, from the error itself (not its words)."""
    from python_socks import ProxyError

    if isinstance(exc, TimeoutError):  # python-socks' ProxyTimeoutError too
        return events.TIMEOUT
    if isinstance(exc, socket.gaierror):
        return events.DNS_FAILED
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return events.CONNECTION_REFUSED
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return events.NETWORK_UNREACHABLE
    if isinstance(exc, ProxyError) or through_proxy:  # the proxy refused or garbled it
        return events.PROXY_ERROR
    return events.CONNECTION_CLOSED
