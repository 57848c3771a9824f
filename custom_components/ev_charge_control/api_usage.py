"""The API usage sensors' month: Tesla's billing period, kept across restarts.

The request counters (``api/costs.py``) count what this run of Home Assistant sent, from
zero.  Tesla bills per calendar month ("Billing cycles are monthly and begin on the first
day of the month", Billing and Limits; the month turns at midnight UTC), so a sensor
shows this month's usage: what earlier runs counted this month (restored from what it saved
at stop or removal) plus what this run's counter added since.  The counters stay free of Home
Assistant; the month and the restore live here, on the entity's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self, override

from homeassistant.components.sensor import SensorExtraStoredData
from homeassistant.util import dt as dt_util

from .api import CostCounter


def month_start(moment: datetime) -> datetime:
    """The start of ``moment``'s billing month: the first of the month, 00:00 UTC."""
    utc = moment.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass
class ApiUsageStoredData(SensorExtraStoredData):
    """What a usage sensor keeps across restarts: its value, and the month it counts.

    Written when Home Assistant saves its states (on stop, and when the entity is
    removed, as on a reload): the value then, not the last state written.
    """

    last_reset: datetime | None = None

    @override
    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "last_reset": self.last_reset.isoformat() if self.last_reset else None}

    @classmethod
    @override
    def from_dict(cls, restored: dict[str, Any]) -> Self | None:
        value = restored.get("native_value")
        last_reset = dt_util.parse_datetime(str(restored.get("last_reset")))
        if isinstance(value, bool) or not isinstance(value, int | float) or last_reset is None:
            return None
        return cls(value, restored.get("native_unit_of_measurement"), last_reset)


@dataclass
class MonthlyUsage:
    """One usage sensor's count this month: ``carried`` (what earlier runs counted this
    month) plus what its counter added since it read ``base``.

    The entity keeps it: added again on the same counter (Home Assistant re-adds the
    same entity when its id is renamed), it goes on from here instead of adding the
    restored value to a count it already holds.  A new counter (a reload, a restart)
    starts from zero, so the restored value is added to all of it.
    """

    counter: CostCounter
    period_start: datetime
    carried: float
    base: float = 0

    def follows(self, counter: CostCounter) -> bool:
        return self.counter is counter

    def value(self, raw: float, now: datetime) -> float:
        """This month's usage, given the counter's value ``raw`` ``now``."""
        start = month_start(now)
        if start != self.period_start:
            # A new billing month: what was counted belongs to the one that ended.
            self.period_start, self.carried, self.base = start, 0, raw
        total = self.carried + raw - self.base
        return round(total, 6) if isinstance(total, float) else total


def monthly_usage(counter: CostCounter, restored: dict[str, Any] | None) -> MonthlyUsage:
    """A sensor's month on a new counter: from ``restored`` (its saved data) when that
    is from this month, else from zero."""
    start = month_start(dt_util.utcnow())
    stored = None if restored is None else ApiUsageStoredData.from_dict(restored)
    carried: float = 0
    if stored is not None and stored.last_reset == start and isinstance(stored.native_value, int | float):
        carried = stored.native_value
    return MonthlyUsage(counter, start, carried)
