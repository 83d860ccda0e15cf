"""The engine interface: everything the runner needs from a WhatsApp implementation.

An `Engine` lives for the life of a runner process; it makes one `EngineSession` per device
the runner holds. A session is named by a key (the device's id) under which the engine keeps
its stored keys, so a session resumes after any restart without a new scan.
"""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from wapiz.engines.events import EngineEvent

EventSink = Callable[[EngineEvent], Awaitable[None]]


class EngineSession(ABC):
    """One device's connection. The runner calls these one at a time."""

    @abstractmethod
    async def start(self) -> None:
        """Connect: resume the stored session, or begin pairing (QR codes) if there is none.

        Returns once the attempt is under way; progress arrives as events. Raises if the
        attempt failed, and the runner retries with backoff.
        """

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect, keeping the stored keys (the runner is stopping or lost the lease)."""

    @abstractmethod
    async def logout(self) -> None:
        """Log out on the network, disconnect and delete the stored keys."""


class Engine(ABC):
    name: str

    @abstractmethod
    async def open(self) -> None:
        """Acquire process-wide resources (pollers, client libraries)."""

    @abstractmethod
    async def close(self) -> None:
        """Release them."""

    @abstractmethod
    def session(self, key: str, emit: EventSink) -> EngineSession:
        """A session for the device named `key`; its events go to `emit`."""

    @abstractmethod
    async def destroy(self, key: str) -> None:
        """Forget a device that has no live session: log out if possible, delete its keys."""
