"""Electricity price forecasts, read from another integration's entity attributes.

Pure (no Home Assistant): the planner hands over an entity's attributes and gets the
priced slots.  The shapes below were checked against each integration's source:

* Nord Pool (HACS ``custom-components/nordpool``, ``sensor.py`` ``extra_state_attributes``):
  ``raw_today`` / ``raw_tomorrow``, lists of ``{start, end, value}`` (local aware
  datetimes; ``value`` is ``None`` where the price is missing; quarter-hours since Nord
  Pool's move to 15-minute prices in 2025), and ``tomorrow_valid``, false until the next
  day's prices are out (about 13:00 CET).  Its ``today`` / ``tomorrow`` lists of bare
  numbers are not read: their times would have to be guessed from the list's length,
  and the raw lists say the same with times.
* Home Assistant's own Nord Pool integration has no list attributes: its prices come
  from the ``nordpool.get_prices_for_date`` action (``{area: [{start, end, price}]}``,
  per MWh).  Likewise Home Assistant's Tibber integration (``tibber.get_prices``:
  ``{start_time, price}``).  A template sensor that stores such a list in one of the
  generic attributes below works.
* Tibber (the Tibber API's ``priceInfo`` items ``{startsAt, total, energy, tax, level}``):
  ``today`` / ``tomorrow`` as the HACS "Tibber Future Prices" (``klspn/tibber-future-prices``)
  and templates write them, or ``prices``.  The HACS "Tibber Prices"
  (``jpawlowski/hass.tibber_prices``, its chart data export sensor) and "Tibber
  Extended" (``adnansarajlic/Tibber-Extended``) sensors hold ``data``, a list of
  ``{start_time, price_per_kwh}``, read as the generic shape.
* ENTSO-E (HACS ``JaccoR/hass-entso-e``, average price sensor, ``coordinator.py``
  ``get_timestamped_prices``): ``prices_today`` / ``prices_tomorrow`` / ``prices``,
  lists of ``{time, price}`` with ``time`` as ``"2025-10-26 02:00:00+01:00"``.
* Octopus Energy (HACS ``BottlecapDave/HomeAssistant-OctopusEnergy``, the current / next
  day rates event entities, ``_docs/entities/electricity.md``): ``rates``, lists of
  ``{start, end, value_inc_vat}`` in GBP/kWh (half-hours).  An event entity has no unit,
  so GBP/kWh is assumed.
* Energi Data Service (HACS ``MTrab/energidataservice``, ``sensor.py``): ``raw_today`` /
  ``raw_tomorrow`` (``None`` until published; ``tomorrow_valid`` says so) and, with the
  Carnot forecast on, ``forecast``: lists of ``{hour, price}``.  A published price beats
  a forecast one for the same slot.
* Anything else shaped alike: a list attribute (``forecast``, ``prices``, ``data``,
  ``rates``) of mappings with a start (start, startsAt, start_time, time, hour, from,
  valid_from), a price (value, price, total, value_inc_vat, price_per_kwh) and
  optionally an end (end, endsAt, end_time, till, to, valid_to).

A slot without a number for its price is left out: a gap is "unknown", which the
planner treats as the dearest known price.  Nothing here raises on odd input: what
cannot be read is skipped.
"""

from __future__ import annotations

from bisect import bisect_right
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
    "data",
    "forecast",
)
"""In this order: of two slots with the same start the first read wins, so published
prices come before forecasts."""
TOMORROW_ATTRIBUTES = frozenset({"raw_tomorrow", "prices_tomorrow", "tomorrow"})
"""Not read when the source says ``tomorrow_valid: false``: Nord Pool has shown stale
copies of today there before publication (custom-components/nordpool#84)."""
START_KEYS = ("start", "startsAt", "start_time", "time", "hour", "from", "valid_from")
END_KEYS = ("end", "endsAt", "end_time", "till", "to", "valid_to")
PRICE_KEYS = ("value", "price", "total", "value_inc_vat", "price_per_kwh")
UNIT_ATTRIBUTES = ("unit_of_measurement", "unit", "currency")
OCTOPUS_UNIT = "GBP/kWh"
MAX_FOLLOW = timedelta(hours=1, minutes=5)
"""A slot without an end ends where the next begins if that is this close; else it lasts
as long as the one before it (or an hour)."""
DEFAULT_LENGTH = timedelta(hours=1)

type _Point = tuple[datetime, datetime | None, float]


@dataclass(frozen=True, slots=True)
class PriceSlot:
    start: datetime
    """Aware, UTC."""
    end: datetime
    """Aware, UTC."""
    price: float
    """In the source's unit (currency or cents per kWh)."""


@dataclass(frozen=True, slots=True)
class PriceForecast:
    slots: tuple[PriceSlot, ...]
    """Sorted by start, without overlaps; gaps are unknown prices."""
    unit: str | None
    """E.g. "EUR/kWh", "c/kWh"."""
    source: str | None
    """The format recognised: nordpool, tibber, entsoe, octopus, energidataservice,
    generic; ``None`` when no price was found."""


def parse_price_forecast(
    attributes: Mapping[str, Any], *, zone: tzinfo, unit: str | None = None
) -> PriceForecast:
    """The price slots in ``attributes``; naive times are ``zone``'s wall-clock times.

    ``unit`` is the entity's unit of measurement; without one the attributes' own
    ``unit_of_measurement`` / ``unit`` / ``currency`` are read.
    """
    skip_tomorrow = attributes.get("tomorrow_valid") is False
    points: list[_Point] = []
    source: str | None = None
    for name in LIST_ATTRIBUTES:
        entries = attributes.get(name)
        if not isinstance(entries, list | tuple) or (skip_tomorrow and name in TOMORROW_ATTRIBUTES):
            continue
        parsed = list(_entries(entries, zone))
        if parsed:
            points.extend(parsed)
            source = source or _source(name, entries)
    unit = unit or _unit(attributes) or (OCTOPUS_UNIT if source == "octopus" else None)
    return PriceForecast(_slots(points), unit, source)


def price_at(forecast: PriceForecast, moment: datetime) -> float | None:
    """The price of the slot holding ``moment`` (aware); ``None`` where unknown."""
    index = bisect_right(forecast.slots, moment, key=lambda slot: slot.start) - 1
    if index >= 0 and moment < forecast.slots[index].end:
        return forecast.slots[index].price
    return None


def covered_until(forecast: PriceForecast) -> datetime | None:
    """The end of the last priced slot."""
    return forecast.slots[-1].end if forecast.slots else None


def _entries(entries: Iterable[Any], zone: tzinfo) -> Iterable[_Point]:
    seen_wall_times: set[datetime] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        price = _number(_first(entry, PRICE_KEYS))
        wall = _timestamp(_first(entry, START_KEYS))
        if price is None or wall is None:
            continue
        # On the night the clocks go back a wall-clock hour comes twice, in list order:
        # the second one is the later (fold=1).
        fold = 0
        if wall.utcoffset() is None:
            fold = int(wall in seen_wall_times)
            seen_wall_times.add(wall)
        start = _utc(wall, zone, fold)
        if start is not None:
            yield start, _end(_timestamp(_first(entry, END_KEYS)), zone, start), price


def _first(entry: Mapping[Any, Any], keys: tuple[str, ...]) -> Any:
    return next((entry[key] for key in keys if entry.get(key) is not None), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _utc(moment: datetime, zone: tzinfo, fold: int) -> datetime | None:
    try:
        if moment.utcoffset() is not None:
            return moment.astimezone(UTC)
        local = moment.replace(tzinfo=zone, fold=fold)
        utc = local.astimezone(UTC)
        if utc.astimezone(zone).replace(tzinfo=None) != moment:
            return None  # a wall-clock time the clocks skip in spring is no time
        return utc
    except OverflowError:  # the first or last representable day
        return None


def _end(moment: datetime | None, zone: tzinfo, start: datetime) -> datetime | None:
    """The given end, if it is after the start; a naive end in the repeated hour is the
    earlier occurrence that is."""
    if moment is None:
        return None
    for fold in (0, 1):
        end = _utc(moment, zone, fold)
        if end is not None and end > start:
            return end
    return None


def _slots(points: list[_Point]) -> tuple[PriceSlot, ...]:
    points.sort(key=lambda point: point[0])  # stable: the first read of a start stays first
    starts: list[_Point] = []
    for point in points:
        if not starts or point[0] != starts[-1][0]:
            starts.append(point)
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
    """A price unit from the attributes; Nord Pool and Energi Data Service give the
    energy unit and the currency apart (``unit: kWh``, ``currency: EUR``)."""
    measurement, unit, currency = (_text(attributes.get(name)) for name in UNIT_ATTRIBUTES)
    if measurement is not None:
        return measurement
    if unit is not None and "/" not in unit and unit.endswith("Wh"):
        return f"{currency}/{unit}" if currency is not None else None
    return unit or currency


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _source(attribute: str, entries: Iterable[Any]) -> str:
    keys = {key for entry in entries if isinstance(entry, Mapping) for key in entry}
    if "startsAt" in keys:
        return "tibber"
    if "value_inc_vat" in keys:
        return "octopus"
    if "hour" in keys and attribute in {"raw_today", "raw_tomorrow", "forecast"}:
        return "energidataservice"
    if attribute.startswith("raw_"):
        return "nordpool"
    if attribute.startswith("prices") and "time" in keys:
        return "entsoe"
    return "generic"
