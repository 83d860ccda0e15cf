"""Which addresses the gateway refuses to call, and that it checks where it connects."""

import asyncio

import httpx
import pytest

from wapiz.kit import addresses
from wapiz.kit.addresses import (
    UnsafeAddress,
    check_public_host,
    mask_credentials,
    pinned_proxy,
    refusal,
)
from wapiz.kit.net import outbound_client


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "non-public"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"), ("fec0::1", "site-local"), ("fef0::1", "site-local"),
])
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = refusal(address)
    assert reason is not None and kind in reason.en
    assert reason.id.startswith(address + " adalah ")  # and in Indonesian


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_a_name_is_judged_by_what_it_resolves_to(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnsafeAddress) as refused:
        asyncio.run(check_public_host("localhost", 80))
    assert refused.value.reason.en.startswith("localhost resolves to ")
    assert refused.value.reason.id.startswith("localhost mengarah ke ")

    # A name that does not resolve (yet) is not refused here: connecting will check it.
    async def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(addresses, "resolve", unresolvable)
    asyncio.run(check_public_host("not-yet.example", 80))


def test_the_client_checks_the_address_it_connects_to() -> None:
    async def get(url: str) -> str:
        async with outbound_client(False, httpx.Timeout(2)) as client:
            with pytest.raises(httpx.ConnectError) as refused:
                await client.get(url)
            return str(refused.value)

    assert "localhost resolves to 127.0.0.1, a loopback address" in \
        asyncio.run(get("http://localhost:9/"))
    assert "is a loopback address" in asyncio.run(get("http://127.0.0.1:9/"))


def test_proxy_passwords_are_masked() -> None:
    assert mask_credentials("socks5://user:pass@host:1080") == "socks5://user:***@host:1080"
    assert mask_credentials("dial socks5://u:p%40w@h:1 via http://h:3128") == \
        "dial socks5://u:***@h:1 via http://h:3128"
    # An `@` in the password, as people paste it (unencoded): the host is after the last one.
    assert mask_credentials("socks5://u:p@ss@host:1080 failed") == \
        "socks5://u:***@host:1080 failed"


def test_a_proxy_is_pinned_to_the_address_it_was_checked_at() -> None:
    assert asyncio.run(pinned_proxy("socks5://u:p@localhost:1080", allow_private=True)) in (
        "socks5://u:p@127.0.0.1:1080", "socks5://u:p@[::1]:1080")
    # An https:// proxy keeps its name: its certificate is checked against it.
    assert asyncio.run(pinned_proxy("https://localhost:3128", allow_private=True)) == \
        "https://localhost:3128"
    with pytest.raises(UnsafeAddress):
        asyncio.run(pinned_proxy("socks5://u:p@localhost:1080", allow_private=False))
