"""The ready-by planner's choices, on made-up price curves (no Home Assistant needed)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import random
from zoneinfo import ZoneInfo

import pytest

from custom_components.ev_charge_control.planner import (
    ChargeRate,
    PlanRequest,
    PlanStatus,
    make_plan,
    next_departure,
)
from custom_components.ev_charge_control.prices import PriceForecast, PriceSlot
from custom_components.ev_charge_control.vehicle import ChargeWindow, PlanLimits

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RATE = ChargeRate(percent_per_hour=10.0, power_kw=7.0, measured=True)
MANY = PlanLimits(max_windows=4)
ONE = PlanLimits(max_windows=1, ends_at_limit=True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hourly(start: datetime, prices: list[float], unit: str = "EUR/kWh") -> PriceForecast:
    return PriceForecast(
        slots=tuple(
            PriceSlot(start + timedelta(hours=i), start + timedelta(hours=i + 1), price)
            for i, price in enumerate(prices)
        ),
        unit=unit,
        source="generic",
    )


def request(**changes: object) -> PlanRequest:
    base: dict[str, object] = {
        "now": utc(2026, 12, 4, 18, 0),
        "battery_level": 50,
        "target": 80,
        "departure": utc(2026, 12, 5, 7, 0),
        "rate": RATE,
        "limits": MANY,
        "prices": None,
    }
    base.update(changes)
    return PlanRequest(**base)  # type: ignore[arg-type]


def total(windows: tuple[ChargeWindow, ...]) -> timedelta:
    return sum((w.end - w.start for w in windows), timedelta(0))


def test_without_prices_it_charges_as_late_as_possible() -> None:
    plan = make_plan(request())
    # 30 % at 10 %/h is 3 h, plus 10 % margin: 3 h 18 min, rounded to the quarter.
    assert plan.status is PlanStatus.PLANNED
    assert plan.windows == (ChargeWindow(utc(2026, 12, 5, 3, 30), utc(2026, 12, 5, 7, 0)),)
    assert plan.expected_soc == 80
    assert plan.charging_time == timedelta(hours=3)
    assert plan.expected_cost is None  # no prices, no cost


def test_with_prices_it_picks_the_cheapest_hours() -> None:
    # 18:00 ... 06:00: expensive evening, cheap 01:00-04:00, dearer morning.
    prices = [0.40, 0.38, 0.35, 0.30, 0.25, 0.20, 0.15, 0.10, 0.05, 0.06, 0.12, 0.22, 0.30]
    plan = make_plan(request(prices=hourly(utc(2026, 12, 4, 18), prices)))
    assert plan.status is PlanStatus.PLANNED
    # 3 h 30 min of the cheapest: 01-04 (0.10, 0.05, 0.06) and half an hour at 0.12.
    assert plan.windows == (ChargeWindow(utc(2026, 12, 5, 1), utc(2026, 12, 5, 4, 30)),)
    # Charged: 1 h at 0.10, 0.05, 0.06 each, and none needed at 0.12 (3 h for 30 %).
    assert plan.expected_cost == pytest.approx(7.0 * (0.10 + 0.05 + 0.06))
    assert plan.cost_unit == "EUR"
    assert plan.expected_soc == 80


def test_a_car_that_holds_one_start_gets_the_cheapest_block() -> None:
    # Two cheap hours far apart: one start time must take a block around one of them.
    prices = [0.01, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.20, 0.20, 0.20, 0.01]
    plan = make_plan(request(prices=hourly(utc(2026, 12, 4, 18), prices), limits=ONE))
    assert len(plan.windows) == 1
    window = plan.windows[0]
    assert total(plan.windows) == timedelta(hours=3, minutes=30)
    # The morning block (0.20 x3 and 0.01) beats the evening one (0.01 then 0.50s).
    assert window.end == utc(2026, 12, 5, 7)


def test_too_little_time_is_said_at_once_and_charges_from_now() -> None:
    plan = make_plan(request(now=utc(2026, 12, 5, 4, 0), battery_level=20))
    assert plan.status is PlanStatus.UNREACHABLE
    assert plan.windows == (ChargeWindow(utc(2026, 12, 5, 4), utc(2026, 12, 5, 7)),)
    assert plan.expected_soc == pytest.approx(50)


def test_only_the_margin_missing_is_still_planned_from_now() -> None:
    # 3 h needed, 3 h 10 min left: reachable, but with no room to choose.
    plan = make_plan(request(now=utc(2026, 12, 5, 3, 50)))
    assert plan.status is PlanStatus.PLANNED
    assert plan.windows == (ChargeWindow(utc(2026, 12, 5, 3, 50), utc(2026, 12, 5, 7)),)
    assert plan.expected_soc == 80


def test_at_the_target_nothing_is_planned() -> None:
    plan = make_plan(request(battery_level=85))
    assert plan.status is PlanStatus.AT_TARGET
    assert plan.windows == ()
    assert plan.expected_soc == 85


def test_the_plan_starts_at_the_next_whole_minute() -> None:
    plan = make_plan(request(now=utc(2026, 12, 5, 3, 49, 30), battery_level=51))
    assert plan.windows[0].start >= utc(2026, 12, 5, 3, 50)
    assert plan.windows[0].start.second == 0


def test_windows_closer_than_the_cars_gap_are_merged() -> None:
    # Cheap, dear, cheap: with a 30-minute minimum gap the dear quarter is charged through.
    start = utc(2026, 12, 4, 18)
    slots = [0.9] * 52
    slots[8:12] = [0.1] * 4  # 20:00-21:00
    slots[12] = 0.9  # 21:00-21:15 dear
    slots[13:17] = [0.1] * 4  # 21:15-22:15
    forecast = PriceForecast(
        tuple(
            PriceSlot(start + i * timedelta(minutes=15), start + (i + 1) * timedelta(minutes=15), p)
            for i, p in enumerate(slots)
        ),
        "EUR/kWh",
        "generic",
    )
    plan = make_plan(
        request(prices=forecast, battery_level=65, limits=PlanLimits(4, min_gap=timedelta(minutes=30)))
    )
    # 15 % is 1 h 30 (1 h 45 with the margin): seven of the eight cheap quarters, the
    # latest ones, and the dear quarter between them.
    assert plan.windows == (ChargeWindow(utc(2026, 12, 4, 20, 15), utc(2026, 12, 4, 22, 15)),)
    loose = make_plan(request(prices=forecast, battery_level=65, limits=PlanLimits(4)))
    assert len(loose.windows) == 2


def test_no_more_windows_than_the_car_holds() -> None:
    start = utc(2026, 12, 4, 18)
    prices = [0.5, 0.1, 0.5, 0.1, 0.5, 0.1, 0.5, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5]
    forecast = hourly(start, prices)
    plan = make_plan(request(prices=forecast, limits=PlanLimits(max_windows=2)))
    assert len(plan.windows) <= 2
    assert total(plan.windows) >= timedelta(hours=3, minutes=18)


def test_prices_not_yet_published_count_as_the_dearest() -> None:
    # Prices end at midnight (tomorrow's are published later): the evening's cheapest
    # known hours are used rather than gambling on the night.
    prices = [0.40, 0.30, 0.20, 0.10, 0.15, 0.35]
    plan = make_plan(request(prices=hourly(utc(2026, 12, 4, 18), prices)))
    assert plan.prices_until == utc(2026, 12, 5, 0)
    assert plan.status is PlanStatus.PLANNED
    # 3 h 30: 21:00, 22:00 and 20:00, then half of the 0.30 hour next to them.
    assert plan.windows == (ChargeWindow(utc(2026, 12, 4, 19, 30), utc(2026, 12, 4, 23)),)
    # Once the night's prices arrive, a new plan moves to the cheaper night.
    night = prices + [0.05] * 7
    later = make_plan(request(prices=hourly(utc(2026, 12, 4, 18), night)))
    assert all(w.start >= utc(2026, 12, 5, 0) for w in later.windows)


def test_missing_prices_in_between_do_not_break_the_plan() -> None:
    start = utc(2026, 12, 4, 18)
    forecast = PriceForecast(
        (
            PriceSlot(start, start + timedelta(hours=2), 0.3),
            PriceSlot(utc(2026, 12, 5, 2), utc(2026, 12, 5, 5), 0.1),
        ),
        "EUR/kWh",
        "generic",
    )
    plan = make_plan(request(prices=forecast))
    assert plan.windows[0].start >= utc(2026, 12, 5, 2) - timedelta(minutes=30)
    assert plan.expected_soc == 80


@pytest.mark.parametrize(
    ("now", "at", "expected"),
    [
        # An ordinary evening: tomorrow 07:00 CET is 06:00 UTC.
        (utc(2026, 12, 4, 18), time(7), utc(2026, 12, 5, 6)),
        # Before today's departure: today.
        (utc(2026, 12, 4, 5), time(7), utc(2026, 12, 4, 6)),
        # Clocks go forward on 29 March 2026: 02:30 does not exist, the clock jumps to 03:00.
        (utc(2026, 3, 28, 20), time(2, 30), utc(2026, 3, 29, 1)),
        # 07:00 the morning after spring forward is 05:00 UTC (CEST).
        (utc(2026, 3, 28, 20), time(7), utc(2026, 3, 29, 5)),
        # Clocks go back on 25 October 2026: 02:30 happens twice; the first one.
        (utc(2026, 10, 24, 20), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 24, 20), time(7), utc(2026, 10, 25, 6)),
    ],
)
def test_next_departure_across_clock_changes(now: datetime, at: time, expected: datetime) -> None:
    assert next_departure(now, at, AMSTERDAM) == expected


@pytest.mark.parametrize(
    ("now", "departure", "night_hours"),
    [
        (utc(2026, 10, 24, 20), utc(2026, 10, 25, 6), 10),  # 22:00 CEST to 07:00 CET: 10 h
        (utc(2026, 3, 28, 21), utc(2026, 3, 29, 5), 8),  # 22:00 CET to 07:00 CEST: 8 h
    ],
)
def test_a_night_with_a_clock_change_has_its_real_length(
    now: datetime, departure: datetime, night_hours: int
) -> None:
    # 65 % at 10 %/h is 6.5 h (7 h 30 with the margin): fits in 8 and 10 real hours.
    plan = make_plan(request(now=now, departure=departure, battery_level=15))
    assert plan.status is PlanStatus.PLANNED
    assert plan.windows[-1].end == departure
    assert plan.expected_soc == 80
    assert total(plan.windows) <= timedelta(hours=night_hours)
    too_much = make_plan(request(now=now, departure=departure, battery_level=0, target=night_hours * 10 + 5))
    assert too_much.status is PlanStatus.UNREACHABLE


def test_a_reachable_deadline_is_never_missed() -> None:
    """Random curves, charge levels, departures and car limits: whenever the target can
    be reached in the time left, the plan reaches it before departure, inside the car's
    limits; when it cannot, the plan says so and charges all the time there is."""
    rng = random.Random(15)
    for case in range(400):
        now = utc(2026, 12, 4, 12) + timedelta(minutes=rng.randrange(0, 24 * 60))
        departure = now + timedelta(minutes=rng.randrange(20, 30 * 60))
        level = rng.randrange(0, 100)
        target = rng.randrange(10, 101)
        rate = ChargeRate(rng.choice([3.0, 7.5, 10.0, 25.0, 60.0]), rng.choice([None, 3.7, 11.0]), True)
        limits = rng.choice([MANY, ONE, PlanLimits(3, min_gap=timedelta(minutes=10)), PlanLimits(2)])
        prices = None
        if rng.random() < 0.8:
            first = now.replace(minute=0, second=0) - timedelta(hours=1)
            hours = rng.randrange(1, 40)
            prices = hourly(first, [round(rng.uniform(-0.05, 0.6), 3) for _ in range(hours)])
        plan = make_plan(PlanRequest(now, level, target, departure, rate, limits, prices))
        needed = timedelta(hours=max(target - level, 0) / rate.percent_per_hour)
        available = departure - now.replace(second=0, microsecond=0) - timedelta(minutes=1)
        context = f"case {case}: {now} -> {departure}, {level}->{target} at {rate}, {limits}"
        for window in plan.windows:
            assert now <= window.start < window.end <= departure, context
        assert len(plan.windows) <= max(limits.max_windows, 1), context
        for earlier, later in zip(plan.windows, plan.windows[1:], strict=False):
            assert later.start - earlier.end >= max(limits.min_gap, timedelta(minutes=1)), context
        if level >= target:
            assert plan.status is PlanStatus.AT_TARGET, context
        elif needed <= available:
            assert plan.status is PlanStatus.PLANNED, context
            assert total(plan.windows) >= needed, context
            assert plan.expected_soc == pytest.approx(target), context
        elif needed > departure - now:
            assert plan.status is PlanStatus.UNREACHABLE, context
            assert plan.expected_soc < target, context
