"""The route check a whatsmeow start makes before it asks neonize's Go library for anything
(wapiz/engines/whatsmeow/route.py), against loopback stand-ins for WhatsApp and proxies."""

import socket
from collections.abc import Iterator

import pytest

from tests.engines.whatsmeow.fakego import reachable_whatsapp
from tests.engines.whatsmeow.proxies import LoopbackProxy
from wapiz.engines.whatsmeow import route


@pytest.fixture
def whatsapp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    with reachable_whatsapp() as address:
        monkeypatch.setattr(route, "WHATSAPP_ADDRESS", address)
        yield address


def closed_port() -> int:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


async def test_a_route_that_gets_through(whatsapp, proxies) -> None:  # type: ignore[no-untyped-def]
    await route.check_route(None)
    proxies.append(LoopbackProxy(tunnels=True))
    await route.check_route(proxies[0].url)
    assert len(proxies[0].accepted) == 1


async def test_a_route_that_is_down_says_where(whatsapp, proxies, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    port = closed_port()
    with pytest.raises(route.RouteDown, match=f"through the proxy 127.0.0.1:{port}: .*refused"
                       "|through the proxy .*Couldn't connect"):
        await route.check_route(f"socks5://user:secret@127.0.0.1:{port}")
    proxies += [LoopbackProxy(), LoopbackProxy(silent=True)]
    dropping, silent = proxies
    with pytest.raises(route.RouteDown) as dropped:
        await route.check_route(dropping.url.replace("socks5://", "socks5://user:secret@"))
    assert "secret" not in str(dropped.value) and f":{dropping.port}" in str(dropped.value)
    with pytest.raises(route.RouteDown, match="timed out"):
        await route.check_route(silent.url, timeout_s=0.5)
    monkeypatch.setattr(route, "WHATSAPP_ADDRESS", ("127.0.0.1", closed_port()))
    with pytest.raises(route.RouteDown, match="directly"):
        await route.check_route(None)
