"""Request and cost counters.

Tesla bills every request answered with a status below 500, by category: vehicle data
$0.002, a command $0.001, a wake $0.02 (developer.tesla.com, Billing and Limits).  The
vehicle list and single-vehicle state calls and the token endpoint are not billed.  The
counters let the integration show what polling costs and let the benchmark compare
policies.

Signed commands add handshakes: one request per car and domain to agree on a session
before the first command.  Tesla bills it like any ``signed_command`` (a command; an
assumption, no page says otherwise), and ``handshakes`` counts how many of the billed
commands were that overhead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class CostCategory(StrEnum):
    """Tesla's billing categories (``free`` for unbilled requests)."""

    DATA = "data"
    COMMAND = "command"
    WAKE = "wake"
    FREE = "free"


PRICE_USD: dict[CostCategory, float] = {
    CostCategory.DATA: 0.002,
    CostCategory.COMMAND: 0.001,
    CostCategory.WAKE: 0.02,
    CostCategory.FREE: 0.0,
}


def _tesla_prices() -> Mapping[CostCategory, float]:
    return PRICE_USD


def _zero() -> dict[CostCategory, int]:
    return dict.fromkeys(CostCategory, 0)


@dataclass
class CostCounter:
    """Billable requests by category; ``requests`` counts every request sent."""

    billed: dict[CostCategory, int] = field(default_factory=_zero)
    requests: int = 0
    handshakes: int = 0
    """Session handshakes of signed commands, already counted (and billed) as commands."""
    prices: Mapping[CostCategory, float] = field(default_factory=_tesla_prices, repr=False, compare=False)
    """Price per request by category; re.alto's clients pass all zeros."""

    def add(self, category: CostCategory, billed: bool) -> None:
        self.requests += 1
        if billed:
            self.billed[category] += 1

    @property
    def cost_usd(self) -> float:
        return round(sum(self.prices.get(cat, 0.0) * n for cat, n in self.billed.items()), 6)

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {cat.value: n for cat, n in self.billed.items()}
        out["requests"] = self.requests
        out["handshakes"] = self.handshakes
        out["cost_usd"] = self.cost_usd
        return out


@dataclass
class CostLedger:
    """Counters for a whole client, and per vehicle."""

    total: CostCounter = field(default_factory=CostCounter)
    by_vehicle: dict[str, CostCounter] = field(default_factory=dict)
    prices: Mapping[CostCategory, float] = field(default_factory=_tesla_prices, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.total.prices = self.prices

    def record(self, category: CostCategory, *, billed: bool, vehicle: str | None = None) -> None:
        self.total.add(category, billed)
        if vehicle is not None:
            self.for_vehicle(vehicle).add(category, billed)

    def record_handshake(self, vehicle: str) -> None:
        """A handshake request is being sent for ``vehicle`` (its billing is recorded as usual)."""
        self.total.handshakes += 1
        self.for_vehicle(vehicle).handshakes += 1

    def for_vehicle(self, vehicle: str) -> CostCounter:
        return self.by_vehicle.setdefault(vehicle, CostCounter(prices=self.prices))
