"""The ready-by planner's settings per car, as the user chose them and as learned, saved
across restarts in one store per config entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .vehicle import ChargeWindow

CONF_PRICE_ENTITY = "price_entity"
"""The entry option naming the price forecast sensor."""
STORE_VERSION = 1
DEFAULT_TARGET = 80
DEFAULT_DEPARTURE = time(7, 0)


@dataclass(frozen=True, slots=True)
class ReadyBySettings:
    """What the user chose for one car, and what was learned about it."""

    enabled: bool = False
    target: int = DEFAULT_TARGET
    departure: time = DEFAULT_DEPARTURE
    departure_once: datetime | None = None
    """A one-off departure from the plan_charging action; the daily time after it."""
    price_entity: str | None = None
    """From the plan_charging action; else the entry's option."""
    rate_percent_per_hour: float | None = None
    rate_power_kw: float | None = None
    written: tuple[ChargeWindow, ...] | None = None
    """The windows the car was last made to hold (``None``: nothing written yet)."""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["departure"] = self.departure.isoformat()
        data["departure_once"] = self.departure_once.isoformat() if self.departure_once else None
        data["written"] = (
            None
            if self.written is None
            else [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in self.written]
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadyBySettings:
        defaults = cls()
        try:
            departure = time.fromisoformat(str(data.get("departure")))
        except ValueError:
            departure = defaults.departure
        once = dt_util.parse_datetime(str(data.get("departure_once") or ""))
        return cls(
            enabled=data.get("enabled") is True,
            target=int(data.get("target") or defaults.target),
            departure=departure,
            departure_once=once,
            price_entity=data.get("price_entity") or None,
            rate_percent_per_hour=_float(data.get("rate_percent_per_hour")),
            rate_power_kw=_float(data.get("rate_power_kw")),
            written=_windows(data.get("written")),
        )


def _windows(value: Any) -> tuple[ChargeWindow, ...] | None:
    if not isinstance(value, list):
        return None
    windows: list[ChargeWindow] = []
    for item in value:
        start = dt_util.parse_datetime(str(item.get("start"))) if isinstance(item, dict) else None
        end = dt_util.parse_datetime(str(item.get("end"))) if isinstance(item, dict) else None
        if start is None or end is None:
            return None
        windows.append(ChargeWindow(start, end))
    return tuple(windows)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class ReadyByStore:
    """Every car's settings of one entry, saved across restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, dict[str, Any]]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.ready_by.{entry_id}"
        )
        self._cars: dict[str, ReadyBySettings] = {}

    async def async_load(self) -> None:
        stored = await self._store.async_load() or {}
        self._cars = {car: ReadyBySettings.from_dict(data) for car, data in stored.items()}

    def get(self, car: str) -> ReadyBySettings:
        return self._cars.get(car, ReadyBySettings())

    @callback
    def set(self, car: str, settings: ReadyBySettings) -> None:
        self._cars[car] = settings
        self._store.async_delay_save(lambda: {c: s.as_dict() for c, s in self._cars.items()}, 1)

    async def async_remove(self) -> None:
        await self._store.async_remove()
