"""A small in-process TTL cache that loads each missing key once (no stampede).

Used on the hottest read paths (who owns a token, a device's status) where a fraction of a
second, or a few seconds, of staleness is acceptable. `evict` is final: a load that was
already under way when the key was evicted does not put its (possibly stale) value back.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
NEVER = float("-inf")


class TTLCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._loading: dict[K, asyncio.Future[V]] = {}
        # Evicted keys, until when nothing may be cached for them.
        self._evicted: OrderedDict[K, float] = OrderedDict()

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if self.ttl <= 0:
            return await load()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        pending = self._loading.get(key)
        if pending is not None:  # someone is loading it already: share their result
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # we were cancelled, not the load
                return await load()  # the loader's request went away; load for ourselves
        return await self._load(key, load)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning if nobody waits
            raise
        finally:
            # Still ours unless `evict` came meanwhile: only then may the value be kept.
            current = self._loading.get(key) is future
            if current:
                del self._loading[key]
        if current:
            self.put(key, value)
        future.set_result(value)
        return value

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        now = time.monotonic()
        if self._evicted.get(key, NEVER) + self.ttl > now:
            return
        self._entries[key] = (now + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def evict(self, key: K) -> None:
        """Forget `key`: a load under way is not kept, and for one TTL nothing is put."""
        self._entries.pop(key, None)
        self._loading.pop(key, None)
        now = time.monotonic()
        self._evicted[key] = now
        self._evicted.move_to_end(key)
        while self._evicted and next(iter(self._evicted.values())) + self.ttl < now:
            self._evicted.popitem(last=False)

    def evict_where(self, predicate: Callable[[V], bool]) -> None:
        """Evict every cached key whose value `predicate` picks (all of a user's tokens)."""
        for key in [key for key, (_, value) in self._entries.items() if predicate(value)]:
            self.evict(key)
