"""Electricity price forecasts, read from another integration's entity attributes.

Pure (no Home Assistant): the planner hands over an entity's attributes and gets the
priced slots.  The formats of the price integrations Home Assistant users run:

* Nord Pool (HACS ``custom-components/nordpool``): ``raw_today`` / ``raw_tomorrow``,
  lists of ``{start, end, value}``; ``tomorrow_valid`` is false until the next day's
  prices are out (about 13:00 CET).  Its ``today`` / ``tomorrow`` lists of bare numbers
  are not read: the raw lists say the same with times.  Home Assistant's own Nord Pool
  integration has no forecast attributes (it answers an action); a template sensor in
  any of these shapes works.
* Tibber (the Tibber API's ``priceInfo``, as HACS Tibber integrations and templates
  expose it): ``today`` / ``tomorrow`` (or ``prices``) lists of ``{startsAt, total}``.
* ENTSO-E (HACS ``hass-entso-e``): ``prices_today`` / ``prices_tomorrow`` / ``prices``,
  lists of ``{time, price}``.
* Octopus Energy (HACS ``octopus_energy``, on its rate event entities): ``rates``, lists
  of ``{start, end, value_inc_vat}`` in GBP/kWh.
* Energi Data Service (HACS): ``raw_today`` / ``raw_tomorrow`` / ``forecast``, lists of
  ``{hour, price}``.
* Anything else shaped alike: a list attribute (``forecast``, ``prices``, ``data``,
  ``rates``) of mappings with a start (start, startsAt, start_time, time, hour, from,
  valid_from), a price (price, value, total, value_inc_vat, price_per_kwh) and
  optionally an end (end, endsAt, end_time, till, to, valid_to).

A slot without a number for its price is left out: a gap is "unknown", which the
planner treats as the dearest known price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
import math
from typing import Any

LIST_ATTRIBUTES = (
    "raw_today",
    "raw_tomorrow",
    "prices_today",
    "prices_tomorrow",
    "today",
    "tomorrow",
    "prices",
    "rates",
    "forecast",
    "data",
)
START_KEYS = ("start", "startsAt", "start_time", "time", "hour", "from", "valid_from")
END_KEYS = ("end", "endsAt", "end_time", "till", "to", "valid_to")
PRICE_KEYS = ("value", "price", "total", "value_inc_vat", "price_per_kwh")
UNIT_ATTRIBUTES = ("unit_of_measurement", "unit", "currency")
MAX_FOLLOW = timedelta(hours=1, minutes=5)
"""A slot ends where the next begins if that is this close; else it lasts as long as
the one before it (or an hour)."""
DEFAULT_LENGTH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PriceSlot:
    start: datetime
    end: datetime
    price: float


@dataclass(frozen=True, slots=True)
class PriceForecast:
    slots: tuple[PriceSlot, ...]
    """Sorted by start, without overlaps; gaps are unknown prices."""
    unit: str | None
    source: str | None
    """The format recognised: nordpool, tibber, entsoe, octopus, energidataservice,
    generic; ``None`` when no price was found."""


def parse_price_forecast(
    attributes: Mapping[str, Any], *, zone: tzinfo, unit: str | None = None
) -> PriceForecast:
    """The price slots in ``attributes``; naive times are ``zone``'s wall-clock times."""
    points: list[tuple[datetime, datetime | None, float]] = []
    source: str | None = None
    for name in LIST_ATTRIBUTES:
        entries = attributes.get(name)
        if not isinstance(entries, list | tuple):
            continue
        parsed = list(_entries(entries, zone))
        if parsed:
            points.extend(parsed)
            source = source or _source(name, entries)
    return PriceForecast(_slots(points), unit or _unit(attributes), source)


def price_at(forecast: PriceForecast, moment: datetime) -> float | None:
    """The price of the slot holding ``moment``; ``None`` where unknown."""
    for slot in forecast.slots:
        if slot.start <= moment < slot.end:
            return slot.price
    return None


def covered_until(forecast: PriceForecast) -> datetime | None:
    return forecast.slots[-1].end if forecast.slots else None


def _entries(entries: Iterable[Any], zone: tzinfo) -> Iterable[tuple[datetime, datetime | None, float]]:
    seen_wall_times: set[datetime] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        price = _number(_first(entry, PRICE_KEYS))
        start = _moment(_first(entry, START_KEYS), zone, seen_wall_times)
        if price is None or start is None:
            continue
        end = _moment(_first(entry, END_KEYS), zone, set())
        yield start, end if end is not None and end > start else None, price


def _first(entry: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((entry[key] for key in keys if entry.get(key) is not None), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _moment(value: Any, zone: tzinfo, seen_wall_times: set[datetime]) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    # A wall-clock time: on the night the clocks go back the same hour comes twice, in
    # order; the second one is the later (fold=1).  One the clocks skip is no time.
    fold = 1 if moment in seen_wall_times else 0
    seen_wall_times.add(moment)
    aware = moment.replace(tzinfo=zone, fold=fold)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        return None
    return aware.astimezone(UTC)


def _slots(points: list[tuple[datetime, datetime | None, float]]) -> tuple[PriceSlot, ...]:
    points.sort(key=lambda point: point[0])
    starts: list[tuple[datetime, datetime | None, float]] = []
    for point in points:
        if not starts or point[0] != starts[-1][0]:
            starts.append(point)  # a later duplicate of the same start is dropped
    slots: list[PriceSlot] = []
    length = DEFAULT_LENGTH
    for index, (start, given_end, price) in enumerate(starts):
        following = starts[index + 1][0] if index + 1 < len(starts) else None
        end = given_end
        if end is None:
            follows = following is not None and following - start <= MAX_FOLLOW
            end = following if follows and following is not None else start + length
        if following is not None and end > following:
            end = following  # no overlaps: the next slot's own price wins
        length = end - start
        slots.append(PriceSlot(start, end, price))
    return tuple(slots)


def _unit(attributes: Mapping[str, Any]) -> str | None:
    for name in UNIT_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _source(attribute: str, entries: Iterable[Any]) -> str:
    keys = {key for entry in entries if isinstance(entry, Mapping) for key in entry}
    if "startsAt" in keys:
        return "tibber"
    if "value_inc_vat" in keys:
        return "octopus"
    if attribute.startswith("raw_") and "hour" in keys:
        return "energidataservice"
    if attribute.startswith("raw_"):
        return "nordpool"
    if attribute.startswith("prices") and "time" in keys:
        return "entsoe"
    return "generic"
