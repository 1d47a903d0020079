"""A token bucket: at most ``per_minute`` requests a minute, in bursts of at most that many."""

from __future__ import annotations

import time
from collections.abc import Callable


class Budget:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0
        self.tokens = self.capacity
        self._clock = clock
        self._at = clock()

    def available(self) -> int:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now
        return int(self.tokens)

    def take(self) -> bool:
        if self.available() < 1:
            return False
        self.tokens -= 1
        return True
