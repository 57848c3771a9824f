"""The request log and Tesla's billing counters.

Tesla bills every request that gets a status below 500, including 401, 408 and 429
replies; auth endpoints and the vehicle list/state calls are free (reference section 4).
A request that got no answer at all (a dropped or hung connection) is logged with
status 0 and not billed.

Credentials in bodies and queries (``SECRET_FIELDS``) are logged as ``<redacted …>``
markers, never as themselves: the log is served over HTTP (``GET /sim/requests``), and
the demo's sign-in may carry a developer's real application secret.  The marker holds a
keyed digest of the value (the key is random per run), so a test can still see that
two requests sent the same value, or compare with ``Recorder.redacted(value)``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

PRICES_USD = {"data": 0.002, "command": 0.001, "wake": 0.02, "free": 0.0}
LOG_LIMIT = 100_000
SECRET_FIELDS = frozenset(
    {"refresh_token", "client_secret", "clientSecret", "code", "password", "access_token"}
)
# A secret field in text that is neither a form nor JSON (a truncated JSON body).
_SECRET_IN_TEXT = re.compile(r'("(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*")((?:[^"\\]|\\.)*)')


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
        self._key = secrets.token_bytes(32)
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
        query = {key: self._redact_field(key, value) for key, value in query.items()}
        entry = RequestRecord(
            self._seq, t, api, method, path, query, self.redact(body), status, category, vin, billed, extra
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

    # ------------------------------------------------------------- redaction
    def redacted(self, value: str) -> str:
        """The marker the log shows instead of ``value`` (the same for the same value)."""
        digest = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]
        return f"<redacted {digest}>"

    def _redact_field(self, key: object, value: Any) -> Any:
        if key in SECRET_FIELDS and value is not None:
            return self.redacted(value if isinstance(value, str) else repr(value))
        return self.redact(value)

    def redact(self, body: Any) -> Any:
        """``body`` with every secret field's value replaced by its marker."""
        if isinstance(body, Mapping):
            return {key: self._redact_field(key, value) for key, value in body.items()}
        if isinstance(body, list):
            return [self.redact(item) for item in body]
        if isinstance(body, str):
            return self._redact_text(body)
        return body

    def _redact_text(self, text: str) -> str:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            pairs = []
        if any(key in SECRET_FIELDS for key, _value in pairs):
            return urlencode([(key, self._redact_field(key, value)) for key, value in pairs])
        return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + self.redacted(m.group(2)), text)

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
