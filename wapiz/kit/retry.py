"""When a failed job is tried again: one policy object for the send queue and the webhook
deliveries, as procrastinate's `RetryStrategy` is for its tasks.

A policy says how many attempts a job gets in all, how long to wait after each failure (a
fixed schedule, or exponential from `base` up to `cap`), how much of that wait is random
(so many jobs that failed together do not retry together), and which failures are worth
another attempt at all.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

F = TypeVar("F")


def _always(_: object) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class RetryPolicy(Generic[F]):
    max_attempts: int  # attempts in all, the first included
    # Seconds to wait after the 1st, 2nd … failure; empty: exponential from `base` to `cap`.
    schedule: tuple[float, ...] = ()
    base: float = 1.0
    cap: float = 60.0
    # Each wait is multiplied by a random factor in this range.
    jitter: tuple[float, float] = (1.0, 1.0)
    # Whether a failure is worth another attempt; one that is not ends the job at once.
    retryable: Callable[[F], bool] = field(default=_always)
    # A wait the other side asked for (Retry-After) replaces the planned one, within these.
    asked_bounds: tuple[float, float] = (1.0, 3600.0)

    def delay(self, failures: int, failure: F | None = None,
              asked: float | None = None) -> float | None:
        """Seconds before the next attempt after `failures` failed attempts in a row (the
        latest being `failure`), or None when the job has failed for good."""
        if failures >= self.max_attempts or (failure is not None
                                             and not self.retryable(failure)):
            return None
        if asked is not None:
            low, high = self.asked_bounds
            return min(max(asked, low), high)
        planned = (self.schedule[failures - 1] if self.schedule
                   else min(self.cap, self.base * 2 ** (failures - 1)))
        return planned * random.uniform(*self.jitter)
