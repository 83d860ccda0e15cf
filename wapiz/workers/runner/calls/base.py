"""The shape of a call: the device's session and the request's payload in, its answer out."""

from collections.abc import Awaitable, Callable
from typing import Any

from wapiz.engines.base import EngineSession

SessionCall = Callable[[EngineSession, dict[str, Any]], Awaitable[dict[str, Any]]]
