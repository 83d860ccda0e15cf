"""Which addresses the gateway refuses to call, and that it checks where it connects."""

import asyncio

import httpx
import pytest

from wapiz import net
from wapiz.net import UnsafeAddress, check_public_host, outbound_client, refusal


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "not a public"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = refusal(address)
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_a_name_is_judged_by_what_it_resolves_to(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnsafeAddress, match=r"localhost resolves to 127\.0\.0\.1"):
        asyncio.run(check_public_host("localhost", 80))

    # A name that does not resolve (yet) is not refused here: connecting will check it.
    async def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(net, "resolve", unresolvable)
    asyncio.run(check_public_host("not-yet.example", 80))


def test_the_client_checks_the_address_it_connects_to() -> None:
    async def get(url: str) -> str:
        async with outbound_client(False, httpx.Timeout(2)) as client:
            with pytest.raises(httpx.ConnectError) as refused:
                await client.get(url)
            return str(refused.value)

    assert "127.0.0.1 is a loopback address" in asyncio.run(get("http://localhost:9/"))
    assert "is a loopback address" in asyncio.run(get("http://127.0.0.1:9/"))
