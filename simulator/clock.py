"""Clocks for the simulator: real time (optionally sped up) and a fake one for tests.

Everything the simulator does is computed from ``clock.now()`` (epoch seconds), so the
same physics run against wall time in the demo, an accelerated clock in the benchmark
and a hand-driven clock in unit tests.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of simulated time in epoch seconds."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None:
        """Jump forward (used by the admin API and tests)."""


class RealClock:
    """Wall-clock time, scaled by ``speed`` and shiftable with ``advance``."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return self._start + (time.monotonic() - self._mono0) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._now += seconds
