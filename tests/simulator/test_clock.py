"""The clocks: a fake one for tests, a real one (optionally sped up) for the demo."""

from __future__ import annotations

import time

import pytest

from simulator import FakeClock, RealClock


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(start=1000.0)
    assert clock.now() == 1000.0
    clock.advance(5.5)
    assert clock.now() == 1005.5
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_real_clock_starts_at_its_start_and_advances() -> None:
    clock = RealClock(start=1000.0)
    first = clock.now()
    assert first >= 1000.0
    clock.advance(3600)
    assert clock.now() >= first + 3600
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_real_clock_defaults_to_now() -> None:
    before = time.time()
    assert RealClock().now() >= before


def test_real_clock_speed() -> None:
    fast = RealClock(speed=1_000_000, start=0.0)
    first = fast.now()
    time.sleep(0.001)
    assert fast.now() - first >= 1000  # at least a millisecond passed, times a million


@pytest.mark.parametrize("speed", [0, -1])
def test_real_clock_rejects_a_speed_that_is_not_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RealClock(speed=speed)
