"""PLACEHOLDER by the lead so the tree imports; the prices helper replaces this file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any


@dataclass(frozen=True, slots=True)
class PriceSlot:
    start: datetime
    end: datetime
    price: float


@dataclass(frozen=True, slots=True)
class PriceForecast:
    slots: tuple[PriceSlot, ...]
    unit: str | None
    source: str | None


def parse_price_forecast(
    attributes: Mapping[str, Any], *, zone: tzinfo, unit: str | None = None
) -> PriceForecast:
    return PriceForecast((), unit, None)


def price_at(forecast: PriceForecast, moment: datetime) -> float | None:
    return next((s.price for s in forecast.slots if s.start <= moment < s.end), None)


def covered_until(forecast: PriceForecast) -> datetime | None:
    return max((s.end for s in forecast.slots), default=None)
