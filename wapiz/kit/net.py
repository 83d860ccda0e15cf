"""The gateway's outbound HTTP client (media to fetch, webhooks): public addresses only,
checked where each connection is made, so that DNS rebinding cannot lead it inside."""

import asyncio
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from wapiz.kit.addresses import refusal, resolve
from wapiz.kit.text import Text


class RefusedConnection(httpcore.ConnectError):
    """A connection the gateway would not make; httpx raises its own ConnectError from it."""

    def __init__(self, host: str, reason: Text) -> None:
        super().__init__(f"refused to connect to {host}: {reason.en}")
        self.reason = reason


def refusal_behind(exc: BaseException) -> Text | None:
    """The reason a connection was refused, if `exc` (an httpx error) came from one."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain of causes is short; bounded all the same
        if seen is None:
            return None
        if isinstance(seen, RefusedConnection):
            return seen.reason
        seen = seen.__cause__ or seen.__context__
    return None


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
            reason = refusal(address, host)
            if reason is not None:
                raise RefusedConnection(host, reason)
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
