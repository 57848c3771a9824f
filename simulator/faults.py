"""Faults injected through the admin API.

A fault matches requests by API (``tesla`` or ``realto``), path regex, method, billing
category and VIN, fires ``count`` times (or until cleared), and either answers in its
own way (a status and body, or a redirect) or disturbs the normal answer (a delay, a
hang, a dropped connection, or a reply lost after the request was carried out).  The presets produce the bodies the real APIs send (reference section 3).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
import json
import re
from typing import Any

from aiohttp import web

VEHICLE_UNAVAILABLE = "vehicle unavailable: vehicle is offline or asleep"
SIGNING_REQUIRED = (
    "Tesla Vehicle Command Protocol required, please refer to the documentation here: "
    "https://developer.tesla.com/docs/fleet-api#2023-10-09-rest-api-vehicle-commands-"
    "endpoint-deprecation-warning"
)


def tesla_body(error: str, description: str = "") -> dict[str, Any]:
    return {"response": None, "error": error, "error_description": description}


# kind -> (status, body, content type); bodies may use {retry_after} and {base_url}.
PRESETS: dict[str, tuple[int, Any, str]] = {
    "rate_limit": (429, "Retry in {retry_after} seconds\n", "text/plain"),
    "server_error": (500, tesla_body("upstream internal error"), "application/json"),
    "service_unavailable": (503, tesla_body("service unavailable"), "application/json"),
    "malformed": (200, '{"response": {"result": tru', "application/json"),
    "html_error": (502, "<html><body>Bad gateway</body></html>", "text/html"),
    "token_expired": (401, {"error": "token expired (401)"}, "application/json"),
    "invalid_token": (401, {"error": "invalid bearer token"}, "application/json"),
    "missing_scope": (403, tesla_body("Unauthorized missing scopes"), "application/json"),
    "signing_required": (403, tesla_body(SIGNING_REQUIRED), "application/json"),
    "billing_limit": (402, tesla_body("Payment required"), "application/json"),
    "account_disabled": (403, {"error": "account disabled: EXCEEDED_LIMIT"}, "application/json"),
    "not_found": (404, tesla_body("not_found", "Vehicle not found"), "application/json"),
    "vehicle_unavailable": (408, tesla_body(VEHICLE_UNAVAILABLE), "application/json"),
    "wrong_region": (
        421,
        tesla_body(
            "user out of region, use base URL: {base_url}, see "
            "https://developer.tesla.com/docs/fleet-api#regional-requirements"
        ),
        "application/json",
    ),
}
DISTURBANCES = ("delay", "hang", "disconnect", "drop_reply")
# A redirect to ``base_url`` plus the request's path and query (default 307, which
# tells a client to send the same method and body again, there).
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
REDIRECT_TO = "https://elsewhere.invalid"
KINDS = (*PRESETS, *DISTURBANCES, "status", "redirect")
# Field -> the JSON types it takes; ``body`` takes anything. None means "not set" for the
# optional fields (those whose default is None).
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "api": (str,),
    "path": (str,),
    "method": (str,),
    "category": (str,),
    "vin": (str,),
    "count": (int,),
    "status": (int,),
    "headers": (dict,),
    "retry_after": (int,),
    "seconds": (int, float),
    "base_url": (str,),
    "content_type": (str,),
}


@dataclass
class Fault:
    """One injected fault."""

    fault_id: int
    kind: str
    api: str = "tesla"
    path: str | None = None
    method: str | None = None
    category: str | None = None
    vin: str | None = None
    count: int | None = None
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int = 60
    seconds: float = 0.0
    base_url: str | None = None
    content_type: str | None = None
    hits: int = 0

    def matches(self, api: str, method: str, path: str, category: str, vin: str | None) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        return (
            self.api == api
            and (self.method is None or self.method.upper() == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.category is None or self.category == category)
            and (self.vin is None or self.vin == vin)
        )

    def response(self, default_base_url: str, path_qs: str = "/") -> web.Response:
        """The reply for a fault that answers by itself."""
        if self.kind == "redirect":
            location = f"{(self.base_url or REDIRECT_TO).rstrip('/')}{path_qs}"
            headers = {**self.headers, "Location": location}
            return web.Response(status=self.status or 307, headers=headers)
        status, body, content_type = PRESETS.get(self.kind, (500, tesla_body("error"), "application/json"))
        if self.status is not None:
            status = self.status
        if self.body is not None:
            # A text body replacing a JSON one is plain text; a preset's own text type
            # (HTML, the malformed JSON) stays.
            if not isinstance(self.body, str):
                content_type = "application/json"
            elif not isinstance(body, str):
                content_type = "text/plain"
            body = self.body
        if self.content_type is not None:
            content_type = self.content_type
        text = body if isinstance(body, str) else json.dumps(body)
        text = text.replace("{retry_after}", str(self.retry_after)).replace(
            "{base_url}", self.base_url or default_base_url
        )
        headers = dict(self.headers)
        if self.kind == "rate_limit":
            headers.setdefault("Retry-After", str(self.retry_after))
        return web.Response(status=status, text=text, content_type=content_type, headers=headers)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultSet:
    """The faults currently armed."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> Fault:
        """Arm a fault; a bad spec raises ValueError here, not on the next request."""
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        allowed = set(FIELD_TYPES) | {"body"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        for key, value in spec.items():
            if key != "body":
                _check_field(key, value)
        if kind == "redirect" and spec.get("status") not in (None, *REDIRECT_STATUSES):
            raise ValueError(f"a redirect's status is one of {', '.join(map(str, REDIRECT_STATUSES))}")
        fault = Fault(fault_id=self._next_id, **spec)
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def take(self, api: str, method: str, path: str, category: str, vin: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(api, method, path, category, vin):
                fault.hits += 1
                return fault
        return None

    def remove(self, fault_id: int | None = None) -> None:
        self.faults = [] if fault_id is None else [f for f in self.faults if f.fault_id != fault_id]


def _check_field(key: str, value: Any) -> None:
    if value is None and Fault.__dataclass_fields__[key].default is None:
        return
    types = FIELD_TYPES[key]
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"fault field {key} must be {' or '.join(t.__name__ for t in types)}")
    _check_value(key, value)


def _check_value(key: str, value: Any) -> None:
    """Range checks for a fault field whose type is right."""
    if isinstance(value, (int, float)) and value < 0:
        raise ValueError(f"fault field {key} must be >= 0")
    if key == "status" and not 100 <= value <= 599:
        raise ValueError("fault field status must be an HTTP status (100-599)")
    if key == "headers" and not all(isinstance(v, str) for v in value.values()):
        raise ValueError("fault field headers must map names to strings")
    if key == "path":
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"fault field path is not a regular expression: {err}") from None


async def hang(request: web.Request, seconds: float) -> None:
    """Never answer: the client's own timeout has to end the request.  Stop waiting once
    the client has gone, so a test server can shut down promptly."""
    waited, limit = 0.0, seconds or 3600.0
    while waited < limit:
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        await asyncio.sleep(0.05)
        waited += 0.05
    raise asyncio.CancelledError


async def disturb(fault: Fault, request: web.Request) -> web.Response | None:
    """Apply a disturbance before the handler (``drop_reply`` acts after it: see
    ``app.py``). Returns a response only when the request must end here."""
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "hang":
        await hang(request, fault.seconds)
    # disconnect: drop the connection without an HTTP answer.
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError
