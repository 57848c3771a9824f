"""The ready-by planner: when to charge so the car has its target charge by departure.

Pure: times in, windows out, no Home Assistant.  It charges in the cheapest slots the
price forecast knows of, or, without prices, as late as possible; either way the chosen
slots add up to the charging time the car's real charge rate needs, plus a margin, so a
reachable deadline is never missed by the plan itself.  When the time left is too
short, it says so at once and charges from now until departure.

Slots are a quarter of an hour (price data comes hourly or by the quarter) on the UTC
grid, so a day with a clock change simply has 92 or 100 of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import itertools
import math

from .prices import PriceForecast, covered_until, price_at
from .vehicle import ChargeWindow, PlanLimits

SLOT = timedelta(minutes=15)
MARGIN = 0.1
"""Charge this share longer than the rate says: the rate drops in the cold and near a
full battery, and a plan that ends exactly at departure has no room for a late start."""
MIN_MARGIN = timedelta(minutes=15)
ASSUMED_RATE = 10.0
"""Percent per hour before the car has been seen charging (7.4 kW into ~75 kWh)."""
ASSUMED_POWER_KW = 7.4


class PlanStatus(StrEnum):
    """What the plan sensor shows."""

    PLANNED = "planned"
    AT_TARGET = "at_target"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class ChargeRate:
    """How fast the car charges at home."""

    percent_per_hour: float
    power_kw: float | None
    measured: bool
    """Seen while the car charged, rather than assumed."""


ASSUMED = ChargeRate(ASSUMED_RATE, ASSUMED_POWER_KW, measured=False)


@dataclass(frozen=True, slots=True)
class PlanRequest:
    now: datetime
    battery_level: float
    target: int
    departure: datetime
    rate: ChargeRate
    limits: PlanLimits
    prices: PriceForecast | None = None


@dataclass(frozen=True, slots=True)
class ChargePlan:
    """The windows to charge in, and what they are expected to give."""

    status: PlanStatus
    windows: tuple[ChargeWindow, ...]
    target: int
    departure: datetime
    battery_level: float
    expected_soc: float
    """At departure, if the car charges as planned at its rate."""
    charging_time: timedelta
    """How long the plan charges (the windows may be longer where they were merged)."""
    expected_cost: float | None
    """Energy times price, where both are known for every slot charged in."""
    cost_unit: str | None
    """The currency of the price sensor's unit ("EUR" of "EUR/kWh")."""
    prices_until: datetime | None
    """The end of the price forecast; later slots were planned as the dearest known."""
    rate: ChargeRate

    def expects_charging(self, moment: datetime) -> bool:
        """Whether the car should be charging at ``moment`` under this plan."""
        return any(window.start <= moment < window.end for window in self.windows)


def next_departure(now: datetime, at: time, zone: tzinfo) -> datetime:
    """The next ``at`` in ``zone`` after ``now``, in UTC.

    On the night the clocks go forward a time that does not exist (02:30) is the moment
    the clocks jump to; on the night they go back, the first 02:30.
    """
    local_now = now.astimezone(zone)
    for days in range(3):
        day: date = local_now.date() + timedelta(days=days)
        moment = _local_moment(day, at, zone)
        if moment > now:
            return moment
    raise AssertionError("unreachable: a later day always comes")  # pragma: no cover


def _local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    naive = datetime.combine(day, at.replace(tzinfo=None))
    aware = naive.replace(tzinfo=zone, fold=0)
    moment = aware.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != naive:
        # A time in the gap: the wall clock never shows it; use when the clock jumps.
        moment = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        while moment.astimezone(zone).replace(tzinfo=None) < naive:
            moment += timedelta(minutes=1)
    return moment


@dataclass(frozen=True, slots=True)
class _Slot:
    start: datetime
    end: datetime
    price: float | None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def make_plan(request: PlanRequest) -> ChargePlan:
    """The plan for ``request``: cheapest slots, else latest, enough to reach the target."""
    now = request.now.astimezone(UTC)
    departure = request.departure.astimezone(UTC)
    rate = request.rate
    needed_percent = request.target - request.battery_level
    unit = _currency(request.prices.unit) if request.prices is not None else None
    prices_until = covered_until(request.prices) if request.prices is not None else None

    def plan_of(status: PlanStatus, slots: Sequence[_Slot]) -> ChargePlan:
        windows = _windows(slots)
        expected, charging, cost = _expected(request.battery_level, request.target, windows, slots, rate)
        return ChargePlan(
            status=status,
            windows=windows,
            target=request.target,
            departure=departure,
            battery_level=request.battery_level,
            expected_soc=expected,
            charging_time=charging,
            expected_cost=cost,
            cost_unit=unit,
            prices_until=prices_until,
            rate=rate,
        )

    if needed_percent <= 0:
        return plan_of(PlanStatus.AT_TARGET, ())
    grid = _grid(now, departure, request.prices)
    hours = needed_percent / rate.percent_per_hour
    bare = timedelta(hours=hours)
    needed = bare + max(bare * MARGIN, MIN_MARGIN)
    available = sum((slot.end - slot.start for slot in grid), timedelta(0))
    if needed > available:
        # No time to choose: charge all the time there is.  Short of the target even
        # so: say it now, while the user can still change plans.
        return plan_of(PlanStatus.UNREACHABLE if bare > available else PlanStatus.PLANNED, grid)
    limits = request.limits
    if limits.ends_at_limit or limits.max_windows <= 1:
        chosen = _cheapest_block(grid, needed)
    else:
        chosen = _cheapest_slots(grid, needed)
        chosen = _fit(grid, chosen, needed, limits)
    return plan_of(PlanStatus.PLANNED, chosen)


def _currency(unit: str | None) -> str | None:
    """What a cost is counted in: "EUR" of "EUR/kWh", "c" of "c/kWh"."""
    if not unit:
        return None
    return unit.split("/", 1)[0].strip() or None


def _grid(now: datetime, departure: datetime, prices: PriceForecast | None) -> list[_Slot]:
    """Quarter-hour slots from the next whole minute (cars take times to the minute) to
    departure, each with its price if the forecast has one."""
    start = now.replace(second=0, microsecond=0)
    if start < now:
        start += timedelta(minutes=1)
    slots: list[_Slot] = []
    moment = start
    while moment < departure:
        end = min(_next_quarter(moment), departure)
        price = price_at(prices, moment) if prices is not None else None
        slots.append(_Slot(moment, end, price))
        moment = end
    return slots


def _next_quarter(moment: datetime) -> datetime:
    base = moment.replace(minute=0, second=0, microsecond=0)
    return base + timedelta(minutes=(moment.minute // 15 + 1) * 15)


def _ranking_price(grid: Sequence[_Slot]) -> dict[datetime, float]:
    """The price each slot is chosen by.

    A slot whose price is unknown (not published yet, or no price source) counts as the
    dearest known one: the plan never gambles on prices it has not seen, and a forecast
    that arrives later re-plans.  With no prices at all every slot costs the same, and
    the latest ones win.
    """
    known = [slot.price for slot in grid if slot.price is not None]
    dearest = max(known) if known else 0.0
    return {slot.start: slot.price if slot.price is not None else dearest for slot in grid}


def _cheapest_block(grid: Sequence[_Slot], needed: timedelta) -> list[_Slot]:
    """The cheapest run of consecutive slots lasting ``needed``; the latest of equals.

    For cars that hold one start time and charge until their limit.  Blocks are
    compared by what charging for ``needed`` from their start costs, so a block that
    begins with the short slot before the next quarter does not win by being shorter.
    """
    price = _ranking_price(grid)
    best: tuple[float, int, int] | None = None
    for first in range(len(grid)):
        length, cost, last = timedelta(0), 0.0, first
        while last < len(grid) and length < needed:
            slot = grid[last]
            used = min(slot.end - slot.start, needed - length)
            length += slot.end - slot.start
            cost += price[slot.start] * used.total_seconds() / 3600
            last += 1
        if length < needed:
            break  # later starts have even less time
        # <= keeps the later of equal blocks: charging late leaves the battery full for
        # less time, and without prices it is "as late as possible".
        if best is None or cost <= best[0] + 1e-9:
            best = (cost, first, last)
    assert best is not None  # the caller checked that the grid is long enough
    return list(grid[best[1] : best[2]])


def _cheapest_slots(grid: Sequence[_Slot], needed: timedelta) -> list[_Slot]:
    """The cheapest slots adding up to ``needed``.

    Among slots of equal price, one next to a slot already chosen wins (fewer windows,
    fewer commands), then the later one.
    """
    price = _ranking_price(grid)
    picked: set[int] = set()
    length = timedelta(0)
    while length < needed:
        cheapest = min(price[slot.start] for i, slot in enumerate(grid) if i not in picked)
        candidates = [
            i for i, slot in enumerate(grid) if i not in picked and price[slot.start] <= cheapest + 1e-12
        ]
        adjacent = [i for i in candidates if i - 1 in picked or i + 1 in picked]
        choice = max(adjacent or candidates)
        picked.add(choice)
        length += grid[choice].end - grid[choice].start
    return [grid[i] for i in sorted(picked)]


def _fit(grid: Sequence[_Slot], chosen: list[_Slot], needed: timedelta, limits: PlanLimits) -> list[_Slot]:
    """The chosen slots made into windows the car can hold.

    Gaps shorter than ``min_gap``, and then the cheapest gaps to fill, are charged
    through until there are at most ``max_windows`` windows; windows shorter than
    ``min_gap`` grow into the cheaper neighbouring slot.  Charging longer than needed is
    harmless: the car stops at its limit.
    """
    price = _ranking_price(grid)
    index = {slot.start: i for i, slot in enumerate(grid)}
    picked = {index[slot.start] for slot in chosen}

    def runs() -> list[tuple[int, int]]:
        result: list[tuple[int, int]] = []
        for i in sorted(picked):
            if result and result[-1][1] == i - 1:
                result[-1] = (result[-1][0], i)
            else:
                result.append((i, i))
        return result

    def span(first: int, last: int) -> timedelta:
        return grid[last].end - grid[first].start

    def gap_cost(a: tuple[int, int], b: tuple[int, int]) -> float:
        return sum(price[grid[i].start] * grid[i].hours for i in range(a[1] + 1, b[0]))

    while True:
        windows = runs()
        gaps = [
            (windows[k], windows[k + 1])
            for k in range(len(windows) - 1)
            if grid[windows[k + 1][0]].start - grid[windows[k][1]].end < limits.min_gap
        ]
        if not gaps and len(windows) > limits.max_windows:
            gaps = [min(itertools.pairwise(windows), key=lambda pair: gap_cost(*pair))]
        if not gaps:
            break
        a, b = gaps[0]
        picked.update(range(a[1] + 1, b[0]))
    for run in runs():
        first, last = run
        while span(first, last) < limits.min_gap and (first > 0 or last < len(grid) - 1):
            before = price[grid[first - 1].start] if first > 0 and first - 1 not in picked else math.inf
            after = (
                price[grid[last + 1].start] if last < len(grid) - 1 and last + 1 not in picked else math.inf
            )
            if before == math.inf and after == math.inf:
                break
            if after <= before:
                last += 1
                picked.add(last)
            else:
                first -= 1
                picked.add(first)
    return [grid[i] for i in sorted(picked)]


def _windows(slots: Sequence[_Slot]) -> tuple[ChargeWindow, ...]:
    windows: list[ChargeWindow] = []
    for slot in sorted(slots, key=lambda s: s.start):
        if windows and windows[-1].end == slot.start:
            windows[-1] = ChargeWindow(windows[-1].start, slot.end)
        else:
            windows.append(ChargeWindow(slot.start, slot.end))
    return tuple(windows)


def _expected(
    level: float,
    target: int,
    windows: Sequence[ChargeWindow],
    slots: Sequence[_Slot],
    rate: ChargeRate,
) -> tuple[float, timedelta, float | None]:
    """Charge level at departure, time spent charging and its cost, slot by slot: the
    car charges from the first window on and stops at the target."""
    in_windows = sorted(
        (s for s in slots if any(w.start <= s.start < w.end for w in windows)), key=lambda s: s.start
    )
    start_level = level
    cost: float | None = 0.0
    charging = timedelta(0)
    for slot in in_windows:
        if level >= target:
            break
        hours = min(slot.hours, (target - level) / rate.percent_per_hour)
        level += hours * rate.percent_per_hour
        charging += timedelta(hours=hours)
        if cost is not None and rate.power_kw is not None and slot.price is not None:
            cost += hours * rate.power_kw * slot.price
        else:
            cost = None
    return max(min(level, float(target)), start_level), charging, cost
