"""The request log and Tesla's billing counters.

Tesla bills every request that gets a status below 500, including 401, 408 and 429
replies; auth endpoints and the vehicle list/state calls are free (reference section 4).
A request that got no answer at all (a dropped or hung connection) is logged with
status 0 and not billed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

PRICES_USD = {"data": 0.002, "command": 0.001, "wake": 0.02, "free": 0.0}
LOG_LIMIT = 100_000


@dataclass
class RequestRecord:
    """One request as the simulator saw it."""

    seq: int
    t: float
    api: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    category: str
    vin: str | None
    billed: bool
    extra: dict[str, Any] | None = None
    """More fields for some requests (a signed command's kind and command); merged in."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(out.pop("extra") or {})
        return out


class Recorder:
    """Keeps every request (bounded) and the billing counters."""

    def __init__(self) -> None:
        self.records: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self._seq = 0
        self.billed: dict[str, int] = dict.fromkeys(PRICES_USD, 0)
        self.unbilled = 0
        self.by_vehicle: dict[str, dict[str, int]] = {}

    def record(
        self,
        *,
        t: float,
        api: str,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        status: int,
        category: str,
        vin: str | None,
        extra: dict[str, Any] | None = None,
    ) -> RequestRecord:
        self._seq += 1
        billed = api == "tesla" and category in PRICES_USD and 0 < status < 500
        entry = RequestRecord(
            self._seq, t, api, method, path, query, body, status, category, vin, billed, extra
        )
        self.records.append(entry)
        if billed:
            self.billed[category] += 1
            if vin is not None:
                per = self.by_vehicle.setdefault(vin, dict.fromkeys(PRICES_USD, 0))
                per[category] += 1
        elif api == "tesla":
            self.unbilled += 1
        return entry

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.records if r.seq > seq]

    @property
    def last_seq(self) -> int:
        return self._seq

    def clear(self) -> None:
        self.records.clear()

    @staticmethod
    def cost(counts: dict[str, int]) -> float:
        return round(sum(PRICES_USD[k] * n for k, n in counts.items()), 6)

    def billing(self) -> dict[str, Any]:
        return {
            "requests": dict(self.billed),
            "unbilled": self.unbilled,
            "cost_usd": self.cost(self.billed),
            "by_vehicle": {
                vin: {"requests": dict(c), "cost_usd": self.cost(c)} for vin, c in self.by_vehicle.items()
            },
        }
