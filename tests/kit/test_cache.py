"""The TTL cache on the hot paths: one load per key, eviction that sticks, no shared fate."""

import asyncio

import pytest

from wapiz.kit.cache import TTLCache

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_concurrent_misses_share_one_load() -> None:
    cache: TTLCache[str, int] = TTLCache(10)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.05)
        return 7

    assert await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(20))) == [7] * 20
    assert loads == 1
    assert await cache.get_or_load("k", load) == 7 and loads == 1


async def test_an_eviction_during_a_load_is_not_undone() -> None:
    cache: TTLCache[str, str] = TTLCache(10)
    release = asyncio.Event()

    async def stale_load() -> str:
        await release.wait()
        return "valid token"  # read before the logout committed

    loading = asyncio.create_task(cache.get_or_load("token", stale_load))
    await asyncio.sleep(0)
    cache.evict("token")  # logout
    release.set()
    assert await loading == "valid token"

    async def fresh_load() -> str:
        return "revoked"

    assert await cache.get_or_load("token", fresh_load) == "revoked"


async def test_a_cancelled_loader_does_not_cancel_the_others() -> None:
    cache: TTLCache[str, int] = TTLCache(10)
    started = asyncio.Event()

    async def slow() -> int:
        started.set()
        await asyncio.sleep(10)
        return 1

    async def quick() -> int:
        return 2

    first = asyncio.create_task(cache.get_or_load("k", slow))
    await started.wait()
    second = asyncio.create_task(cache.get_or_load("k", quick))
    await asyncio.sleep(0)
    first.cancel()  # the first request's client went away
    assert await second == 2


async def test_zero_ttl_never_caches() -> None:
    cache: TTLCache[str, int] = TTLCache(0)
    values = iter(range(3))

    async def load() -> int:
        return next(values)

    assert [await cache.get_or_load("k", load) for _ in range(3)] == [0, 1, 2]


async def test_a_load_that_outlives_the_ttl_after_an_eviction_is_not_kept() -> None:
    cache: TTLCache[str, str] = TTLCache(0.05)
    release = asyncio.Event()

    async def slow_stale_load() -> str:
        await release.wait()
        return "stale"

    loading = asyncio.create_task(cache.get_or_load("k", slow_stale_load))
    await asyncio.sleep(0)
    cache.evict("k")
    await asyncio.sleep(0.1)  # longer than the TTL
    release.set()
    await loading

    async def fresh() -> str:
        return "fresh"

    assert await cache.get_or_load("k", fresh) == "fresh"


async def test_evict_where_forgets_every_entry_it_picks() -> None:
    cache: TTLCache[str, int] = TTLCache(10)
    for key, value in (("a", 1), ("b", 2), ("c", 1)):
        cache.put(key, value)

    async def fresh() -> int:
        return 9

    cache.evict_where(lambda value: value == 1)
    assert await cache.get_or_load("b", fresh) == 2  # untouched
    # Picked ones load again, and (evicted) are not kept for a TTL.
    assert await cache.get_or_load("a", fresh) == 9 and await cache.get_or_load("c", fresh) == 9
    cache.put("a", 5)
    assert await cache.get_or_load("a", fresh) == 9
