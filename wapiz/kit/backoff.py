"""Capped exponential backoff with full jitter."""

import random


class Backoff:
    def __init__(self, base: float = 0.5, cap: float = 60.0, attempt: int = 0) -> None:
        self.base = base
        self.cap = cap
        self.attempt = attempt  # failures so far (kept across runners by the caller)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0
