"""An asyncio client for Tesla's vehicle API: the Fleet API, the older Owner API, and
compatible endpoints such as a local ``tesla-http-proxy``, which all share the paths.

The client owns no session and no credentials: it takes an ``aiohttp.ClientSession``
and an async callable returning the current access token, so whoever embeds it (Home
Assistant's OAuth2 session, a script) decides how tokens are kept.

Cars that require Tesla's Vehicle Command Protocol get their commands signed (with a
``SigningKey``, for the VINs named with ``set_command_signing``); every other car, and
a car whose answer shows it does not know the protocol, gets the REST commands.  The
command methods look the same either way.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
import json
import logging
import math
import re
import ssl
import time as time_module
from time import time
from typing import Any, override
from urllib.parse import quote

import aiohttp

from ..costs import CostCategory, CostLedger
from ..errors import (
    ApiError,
    BadRequest,
    BillingLimitReached,
    CommandRefused,
    CommunicationError,
    Forbidden,
    InvalidArgument,
    InvalidToken,
    LoginRequired,
    MalformedResponse,
    MissingScope,
    NotFound,
    RateLimited,
    ServerError,
    SignedCommandFault,
    SigningRequired,
    TokenExpired,
    VehicleUnavailable,
    WakeTimeout,
    WrongRegion,
)
from ..transport import exchange
from ..urls import normalized, origin, safe_base_url
from .const import (
    ALREADY_DONE,
    ALREADY_SET,
    BASE_URL_NA,
    BASE_URLS,
    MAX_CHARGING_AMPS,
    MINUTES_PER_DAY,
    REASON_PREFIXES,
    Endpoint,
)
from .models import (
    Account,
    ChargeSchedule,
    CommandResult,
    FleetStatus,
    PreconditionSchedule,
    Vehicle,
    VehicleData,
)
from .schedules import charge_schedule_params, check_schedule_id, precondition_schedule_params, rest_body
from .signing import CommandSigner, SessionResync, SessionStore, SigningKey, command_payload

_LOGGER = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
UnauthorizedHandler = Callable[[str], Awaitable[None]]

DEFAULT_TIMEOUT = 30.0
DEFAULT_WAKE_TIMEOUT = 60.0
# Polling the free state call after a wake: quick at first (cars often wake in ~10 s),
# then every 5 s; the last delay repeats until the timeout.
DEFAULT_WAKE_POLL_DELAYS: tuple[float, ...] = (2.0, 3.0, 5.0)
_REGION_URL = re.compile(r"use base URL: (\S+?)(?:,|\s|$)")
_RETRY_IN = re.compile(r"Retry in (\d+) seconds")
_ENDPOINT_NAMES = frozenset(e.value for e in Endpoint)
# A signed_command answered with these statuses never reached a car that runs the
# protocol: 422 is Tesla's "vehicle does not support signed commands", and a 404, 405
# or 501 that is not about the vehicle is a server (a proxy, a relay) without the route.
_PROTOCOL_UNSUPPORTED = 422
_ROUTE_MISSING = frozenset({404, 405, 501})


def create_ssl_context(ca_file: str) -> ssl.SSLContext:
    """A TLS context that trusts ``ca_file`` (a local proxy's own CA).

    Reads the file, so call it outside an event loop (an executor).
    """
    return ssl.create_default_context(cafile=ca_file)


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(name, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidArgument(name, f"must be between {low} and {high}, got {value}")
    return value


def _check_minutes(name: str, value: object) -> int:
    return _check_int(name, value, 0, MINUTES_PER_DAY - 1)


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(name, f"must be true or false, got {type(value).__name__}")
    return value


def _reason_of(reply: Mapping[str, Any]) -> str:
    """The car's reason, without the prefix tesla-http-proxy puts in front of it.

    The proxy's Go struct tags the reason ``json:"string"``, so its refusals read
    ``{"result": false, "string": "car could not execute command: ..."}``.
    """
    reason = str(reply.get("reason") or reply.get("string") or "")
    for prefix in REASON_PREFIXES:
        if reason.startswith(prefix):
            return reason[len(prefix) :]
    return reason


def _retry_after(headers: Mapping[str, str], text: str) -> float | None:
    """Seconds to wait after a 429, from the header (seconds or a date) or the body."""
    value = (headers.get("Retry-After") or headers.get("RateLimit-Reset") or "").strip()
    seconds = _delay_seconds(value) if value else None
    if seconds is not None:
        return seconds
    match = _RETRY_IN.search(text)
    return float(match.group(1)) if match else None


def _delay_seconds(value: str) -> float | None:
    """A ``Retry-After`` value (seconds, or an HTTP date) as seconds from now."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time()
        except (TypeError, ValueError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _alt_svc_base_url(alt_svc: str) -> str | None:
    """The ``h2`` alternative of an ``Alt-Svc`` header as a base URL.

    Tesla's 421 sends ``h2=https://<host>`` (tesla-http-proxy reads exactly that); the
    standard form is ``h2="<host>:<port>"``.  Other protocols and ``clear`` name no host.
    """
    for entry in alt_svc.split(","):
        protocol, _, value = entry.split(";", 1)[0].strip().partition("=")
        value = value.strip().strip('"')
        if protocol.strip() != "h2" or not value or value.startswith(":"):
            continue
        return value if value.startswith(("https://", "http://")) else f"https://{value}"
    return None


_TESLA_HOSTS = frozenset(BASE_URLS.values())
_TESLA_ORIGINS = frozenset(origin(url) for url in _TESLA_HOSTS)


def followable_region_url(candidate: str | None, current: str | None) -> str | None:
    """Where a client at ``current`` may follow a wrong-region answer naming ``candidate``.

    The bearer token goes with it, so only to where it may go already: from one of
    Tesla's regional Fleet API hosts to another (https, exactly those hosts), or to a
    path on the server the client already talks to (the simulator's ``/eu``).  A
    compatible service cannot send the token elsewhere, nor can an answer send it over
    plain http to another machine.  ``current`` unknown counts as Tesla's own host.
    """
    if not candidate:
        return None
    try:
        target = normalized(candidate)
    except ValueError:
        return None
    if not safe_base_url(target):
        return None
    if target in _TESLA_HOSTS and (current is None or origin(current) in _TESLA_ORIGINS):
        return target
    if current is not None and origin(target) == origin(current):
        return target
    return None


def _error_text(body: Any, text: str) -> str:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, str) and error:
            description = body.get("error_description")
            return f"{error}: {description}" if description else error
        response = body.get("response")
        reason = _reason_of(response) if isinstance(response, Mapping) else ""
        if reason:
            return reason
    return text.strip()[:200] or "no details"


def raise_for_status(status: int, text: str, headers: Mapping[str, str], *, url: str | None = None) -> None:
    """Map an HTTP error answer to this package's exceptions (the one place that does).

    ``url`` is where the request went: a wrong-region answer's base URL is kept only
    when ``followable_region_url`` allows it from there.
    """
    if status < 400:
        return
    try:
        body: Any = json.loads(text) if text else None
    except ValueError:
        body = None
    message = _error_text(body, text)
    lowered = message.lower()
    if status == 400:
        raise BadRequest(message, status=status)
    if status == 401:
        if "login_required" in lowered:
            raise LoginRequired(message, status=status)
        if "expired" in lowered:
            raise TokenExpired(message, status=status)
        raise InvalidToken(message, status=status)
    if status == 402:
        raise BillingLimitReached(message, status=status)
    if status == 403:
        if "vehicle command protocol required" in lowered:
            raise SigningRequired(message, status=status)
        if "missing scope" in lowered or "invalid_scope" in lowered:
            raise MissingScope(message, status=status)
        if "exceeded_limit" in lowered or "account disabled" in lowered:
            raise BillingLimitReached(message, status=status)
        raise Forbidden(message, status=status)
    if status == 404:
        raise NotFound(message, status=status)
    if status == 408 or "vehicle unavailable" in lowered:
        # tesla-http-proxy answers 500 with the same body when the car is asleep.
        raise VehicleUnavailable(message, status=status)
    if status == 421:
        match = _REGION_URL.search(message)
        named = match.group(1) if match else _alt_svc_base_url(headers.get("Alt-Svc", ""))
        base_url = followable_region_url(named, url)
        if named and base_url is None:
            message = (
                f"the API says this account is served at {named}, which is not followed: "
                "only Tesla's own regional hosts are, and only from Tesla's own hosts; "
                "check the API URL (Reconfigure)"
            )
        raise WrongRegion(message, base_url=base_url, status=status)
    if status == 429:
        raise RateLimited(message, retry_after=_retry_after(headers, text), status=status)
    if status >= 500:
        raise ServerError(message, status=status)
    raise ApiError(message, status=status)


def _endpoint_filter(endpoints: Iterable[Endpoint | str]) -> str:
    """The ``endpoints`` query value: known section names joined by semicolons."""
    # A single name is a str, and so iterable: without this, Endpoint.CHARGE_STATE
    # would be read letter by letter.
    names = [endpoints] if isinstance(endpoints, str) else list(endpoints)
    if not names:
        raise InvalidArgument("endpoints", "name at least one section, or pass None for the default")
    for name in names:
        if not isinstance(name, str) or name not in _ENDPOINT_NAMES:
            raise InvalidArgument("endpoints", f"unknown endpoint {name!r}")
    return ";".join(str(name) for name in names)


class TeslaClient:
    """Tesla's vehicle API for one account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_provider: TokenProvider,
        *,
        base_url: str = BASE_URL_NA,
        ssl_context: ssl.SSLContext | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        on_unauthorized: UnauthorizedHandler | None = None,
        wake_poll_delays: Sequence[float] = DEFAULT_WAKE_POLL_DELAYS,
        user_agent: str = "ev-charge-control",
        signing_key: SigningKey | None = None,
        session_store: SessionStore | None = None,
        clock: Callable[[], float] = time_module.time,
    ) -> None:
        """``on_unauthorized`` is awaited with the rejected token before one retry.

        ``signing_key`` lets the client sign commands for the cars named with
        ``set_command_signing``; ``session_store`` keeps their sessions across restarts,
        and ``clock`` (seconds since 1970) times the signatures.
        """
        self._session = session
        self._token_provider = token_provider
        self.base_url = base_url
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._on_unauthorized = on_unauthorized
        self._wake_poll_delays = tuple(wake_poll_delays) or DEFAULT_WAKE_POLL_DELAYS
        self._user_agent = user_agent
        self.costs = CostLedger()
        self._signer = CommandSigner(signing_key, session_store, clock) if signing_key is not None else None
        self._signed_vins: set[str] = set()
        self._rest_vins: set[str] = set()
        """Cars set up for signing that turned out not to speak the protocol."""
        self._vin_locks: dict[str, asyncio.Lock] = {}

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")

    @override
    def __repr__(self) -> str:
        # Where it talks to, never what it sends: no token, no key.
        return f"TeslaClient(base_url={self._base_url!r}, signs={self._signer is not None})"

    # ------------------------------------------------------------------ HTTP
    async def _request(
        self,
        method: str,
        path: str,
        category: CostCategory,
        *,
        vin: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request and return the ``response`` member of the answer."""
        token = await self._token_provider()
        try:
            return await self._send(method, path, category, token, vin, params, body)
        except (TokenExpired, InvalidToken):
            if self._on_unauthorized is None:
                raise
            # One retry with a fresh token; a second 401 is the caller's to handle.
            await self._on_unauthorized(token)
            token = await self._token_provider()
            return await self._send(method, path, category, token, vin, params, body)

    async def _send(
        self,
        method: str,
        path: str,
        category: CostCategory,
        token: str,
        vin: str | None,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        try:
            answer = await exchange(
                self._session,
                method,
                f"{self._base_url}{path}",
                timeout=self._timeout,
                what=self._base_url,
                headers=headers,
                params=params,
                json=dict(body) if body is not None else ({} if method == "POST" else None),
                ssl_context=self._ssl,
            )
        except CommunicationError:
            self.costs.record(category, billed=False, vehicle=vin)
            raise
        # Tesla bills every answer below 500, errors included.
        self.costs.record(category, billed=answer.status < 500, vehicle=vin)
        status, text = answer.status, answer.text
        raise_for_status(status, text, answer.headers, url=self._base_url)
        try:
            payload = json.loads(text)
        except ValueError as err:
            raise MalformedResponse(f"{path}: the answer is not JSON", status=status) from err
        if not isinstance(payload, Mapping) or "response" not in payload:
            raise MalformedResponse(f"{path}: the answer has no 'response'", status=status)
        return payload["response"]

    @staticmethod
    def _vehicle_path(vin: str, suffix: str = "") -> str:
        # A blank VIN would still make a path (and a billed 404); a non-string one
        # would fail deep inside URL quoting.
        if not isinstance(vin, str) or not vin.strip():
            raise InvalidArgument("vin", f"must be a non-empty string, got {vin!r}")
        return f"/api/1/vehicles/{quote(vin, safe='')}{suffix}"

    # ------------------------------------------------------------ account
    async def account(self) -> Account:
        """The account behind the token (needs the ``user_data`` scope)."""
        data = await self._request("GET", "/api/1/users/me", CostCategory.FREE)
        if not isinstance(data, Mapping):
            raise MalformedResponse("users/me: expected an object")
        return Account.from_dict(data)

    # ------------------------------------------------------------ vehicles
    async def list_vehicles(self) -> list[Vehicle]:
        """Every vehicle on the account (free; does not wake anything)."""
        vehicles: list[Vehicle] = []
        previous: list[Any] | None = None
        page = 1
        while True:
            data = await self._request(
                "GET", "/api/1/vehicles", CostCategory.FREE, params={"page": str(page), "per_page": "100"}
            )
            if not isinstance(data, list):
                raise MalformedResponse("vehicles: expected a list")
            if data == previous:
                # A server that ignores ``page`` repeats the first page forever.
                return vehicles
            vehicles.extend(Vehicle.from_dict(item) for item in data if isinstance(item, Mapping))
            if len(data) < 100:
                return vehicles
            previous = data
            page += 1

    async def vehicle(self, vin: str) -> Vehicle:
        """One vehicle's state: the cheap call to ask before anything that costs."""
        data = await self._request("GET", self._vehicle_path(vin), CostCategory.FREE, vin=vin)
        if not isinstance(data, Mapping):
            raise MalformedResponse("vehicle: expected an object")
        return Vehicle.from_dict(data)

    async def vehicle_data(
        self, vin: str, endpoints: Iterable[Endpoint | str] | None = (Endpoint.CHARGE_STATE,)
    ) -> VehicleData:
        """Live data from an online car (billed). Raises ``VehicleUnavailable`` if asleep.

        ``endpoints`` is one section or several; ``None`` asks for Tesla's default set.
        """
        params = None if endpoints is None else {"endpoints": _endpoint_filter(endpoints)}
        data = await self._request(
            "GET", self._vehicle_path(vin, "/vehicle_data"), CostCategory.DATA, vin=vin, params=params
        )
        if not isinstance(data, Mapping):
            raise MalformedResponse("vehicle_data: expected an object")
        return VehicleData.from_dict(data)

    async def wake_up(self, vin: str) -> Vehicle:
        """Ask the car to wake (billed as a wake); it answers before it is online."""
        data = await self._request("POST", self._vehicle_path(vin, "/wake_up"), CostCategory.WAKE, vin=vin)
        if not isinstance(data, Mapping):
            raise MalformedResponse("wake_up: expected an object")
        return Vehicle.from_dict(data)

    async def wake_and_wait(self, vin: str, *, timeout: float = DEFAULT_WAKE_TIMEOUT) -> Vehicle:
        """Wake the car and wait until it is online, polling the free state call.

        One wake request only (each costs $0.02); raises ``WakeTimeout`` after
        ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        vehicle = await self.wake_up(vin)
        attempt = 0
        while not vehicle.is_online:
            delay = self._wake_poll_delays[min(attempt, len(self._wake_poll_delays) - 1)]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WakeTimeout(f"{vin} did not come online within {timeout:.0f} s", status=None)
            await asyncio.sleep(min(delay, remaining))
            attempt += 1
            vehicle = await self.vehicle(vin)
        return vehicle

    # ------------------------------------------------------------ signing
    def set_command_signing(self, vin: str, signed: bool) -> None:
        """Sign commands for ``vin`` (a car whose ``command_signing`` is "required"), or not.

        Signing needs the client's ``signing_key``; without one, asking for it raises
        ``InvalidArgument``.  A car found not to support the protocol stays on REST.
        """
        self._vehicle_path(vin)
        if not signed:
            self._signed_vins.discard(vin)
            return
        if self._signer is None:
            raise InvalidArgument("signed", "this client has no signing key")
        self._signed_vins.add(vin)

    def signs_commands(self, vin: str) -> bool:
        """Whether the next command to ``vin`` goes out signed."""
        return self._signer is not None and vin in self._signed_vins and vin not in self._rest_vins

    # ------------------------------------------------------------ commands
    async def _command(self, vin: str, name: str, params: Mapping[str, Any] | None = None) -> CommandResult:
        """Send one command, signed or REST as the car needs; the result means the same."""
        params = params or {}
        self._vehicle_path(vin)
        if self._signer is not None and self.signs_commands(vin):
            try:
                return await self._signed_command(self._signer, vin, name, params)
            except _ProtocolUnsupported:
                # Nothing reached the car: the REST command below is the only one it gets.
                _LOGGER.info("%s does not take signed commands; sending plain ones from now on", vin)
                self._rest_vins.add(vin)
        return await self._rest_command(vin, name, rest_body(name, params))

    async def _rest_command(self, vin: str, name: str, body: Mapping[str, Any]) -> CommandResult:
        data = await self._request(
            "POST",
            self._vehicle_path(vin, f"/command/{name}"),
            CostCategory.COMMAND,
            vin=vin,
            body=body,
        )
        if not isinstance(data, Mapping) or "result" not in data:
            raise MalformedResponse(f"{name}: expected a command result")
        return _command_result(name, data["result"] is True, _reason_of(data))

    async def _signed_command(
        self, signer: CommandSigner, vin: str, name: str, params: Mapping[str, Any]
    ) -> CommandResult:
        """Sign, send, read the answer; on a session refusal, sign and send once more.

        A refusal on session grounds (stale counter, new epoch, clock drift) comes
        before the car runs anything, so the second attempt cannot run it twice.  A
        timeout or a lost connection is never retried: the command may have run.
        Commands to one car go one at a time, so counters reach it in order.
        """
        domain, payload = command_payload(name, params)
        async with self._vin_locks.setdefault(vin, asyncio.Lock()):
            resent = False
            while True:
                if not signer.has_session(vin, domain):
                    await self._handshake(signer, vin, domain)
                routable, pending = signer.sign(vin, domain, payload)
                reply = await self._post_signed(vin, routable)
                try:
                    answer = signer.open_reply(pending, reply)
                except SessionResync as resync:
                    if resent:
                        raise SignedCommandFault(resync.fault) from None
                    _LOGGER.debug("%s: %s; signing again", vin, resync.message)
                    resent = True
                    continue
                return _command_result(name, answer.ok, answer.reason)

    async def _handshake(self, signer: CommandSigner, vin: str, domain: int) -> None:
        """Agree on a session with one car domain (a billed request, counted apart)."""
        routable, challenge = signer.session_request(vin, domain)
        self.costs.record_handshake(vin)
        reply = await self._post_signed(vin, routable)
        signer.accept_session_info(vin, domain, reply, challenge)

    async def _post_signed(self, vin: str, routable: bytes) -> bytes:
        """``POST .../signed_command``: the car's answer, still encoded."""
        try:
            data = await self._request(
                "POST",
                self._vehicle_path(vin, "/signed_command"),
                CostCategory.COMMAND,
                vin=vin,
                body={"routable_message": base64.b64encode(routable).decode("ascii")},
            )
        except ApiError as err:
            if _protocol_unsupported(err):
                raise _ProtocolUnsupported from err
            raise
        if not isinstance(data, str):
            raise MalformedResponse("signed_command: expected a base64 answer")
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as err:
            raise MalformedResponse("signed_command: the answer is not base64") from err

    async def charge_port_door_open(self, vin: str) -> CommandResult:
        """Open the charge port, or unlock the cable when one is plugged in."""
        return await self._command(vin, "charge_port_door_open")

    async def charge_port_door_close(self, vin: str) -> CommandResult:
        """Close a motorised charge port."""
        return await self._command(vin, "charge_port_door_close")

    async def charge_start(self, vin: str) -> CommandResult:
        return await self._command(vin, "charge_start")

    async def charge_stop(self, vin: str) -> CommandResult:
        return await self._command(vin, "charge_stop")

    async def charge_standard(self, vin: str) -> CommandResult:
        """Set the charge limit to the car's standard value (about 90 %)."""
        return await self._command(vin, "charge_standard")

    async def charge_max_range(self, vin: str) -> CommandResult:
        """Set the charge limit to 100 %."""
        return await self._command(vin, "charge_max_range")

    async def set_charge_limit(self, vin: str, percent: int) -> CommandResult:
        """Set the charge limit; the car clamps it to its own minimum and maximum."""
        value = _check_int("percent", percent, 0, 100)
        return await self._command(vin, "set_charge_limit", {"percent": value})

    async def set_charging_amps(self, vin: str, charging_amps: int) -> CommandResult:
        value = _check_int("charging_amps", charging_amps, 0, MAX_CHARGING_AMPS)
        return await self._command(vin, "set_charging_amps", {"charging_amps": value})

    async def set_scheduled_charging(self, vin: str, enable: bool, time: int) -> CommandResult:
        """Start charging at ``time`` minutes after local midnight, or turn that off."""
        body = {"enable": _check_bool("enable", enable), "time": _check_minutes("time", time)}
        return await self._command(vin, "set_scheduled_charging", body)

    async def set_scheduled_departure(
        self,
        vin: str,
        *,
        enable: bool,
        departure_time: int,
        preconditioning_enabled: bool = False,
        preconditioning_weekdays_only: bool = False,
        off_peak_charging_enabled: bool = False,
        off_peak_charging_weekdays_only: bool = False,
        end_off_peak_time: int = 0,
    ) -> CommandResult:
        """Set the departure (minutes after local midnight) and what happens before it."""
        body = {
            "enable": _check_bool("enable", enable),
            "departure_time": _check_minutes("departure_time", departure_time),
            "preconditioning_enabled": _check_bool("preconditioning_enabled", preconditioning_enabled),
            "preconditioning_weekdays_only": _check_bool(
                "preconditioning_weekdays_only", preconditioning_weekdays_only
            ),
            "off_peak_charging_enabled": _check_bool("off_peak_charging_enabled", off_peak_charging_enabled),
            "off_peak_charging_weekdays_only": _check_bool(
                "off_peak_charging_weekdays_only", off_peak_charging_weekdays_only
            ),
            "end_off_peak_time": _check_minutes("end_off_peak_time", end_off_peak_time),
        }
        return await self._command(vin, "set_scheduled_departure", body)

    # ------------------------------------------------------------ schedules
    async def add_charge_schedule(self, vin: str, schedule: ChargeSchedule) -> CommandResult:
        """Add a charge schedule, or change the one with the same id (firmware 2024.26+)."""
        return await self._command(vin, "add_charge_schedule", charge_schedule_params(schedule))

    async def remove_charge_schedule(self, vin: str, schedule_id: int) -> CommandResult:
        return await self._command(vin, "remove_charge_schedule", {"id": check_schedule_id(schedule_id)})

    async def add_precondition_schedule(self, vin: str, schedule: PreconditionSchedule) -> CommandResult:
        """Add a precondition schedule, or change the one with the same id."""
        return await self._command(vin, "add_precondition_schedule", precondition_schedule_params(schedule))

    async def remove_precondition_schedule(self, vin: str, schedule_id: int) -> CommandResult:
        return await self._command(
            vin, "remove_precondition_schedule", {"id": check_schedule_id(schedule_id)}
        )

    # ------------------------------------------------------------ fleet
    async def fleet_status(self, vins: Iterable[str]) -> FleetStatus:
        """Which of ``vins`` know the application's key, and what firmware they run.

        Asks Tesla, not the cars, so nothing wakes.  Treated as free: Tesla's pricing
        names no category for it (an assumption).
        """
        names = [vins] if isinstance(vins, str) else list(vins)
        if not names:
            raise InvalidArgument("vins", "name at least one vehicle")
        for vin in names:
            if not isinstance(vin, str) or not vin.strip():
                raise InvalidArgument("vins", f"each must be a non-empty string, got {vin!r}")
        data = await self._request(
            "POST", "/api/1/vehicles/fleet_status", CostCategory.FREE, body={"vins": names}
        )
        if not isinstance(data, Mapping):
            raise MalformedResponse("fleet_status: expected an object")
        return FleetStatus.from_dict(data)


class _ProtocolUnsupported(Exception):
    """The server or the car does not take signed commands; send REST instead."""


def _protocol_unsupported(err: ApiError) -> bool:
    if err.status == _PROTOCOL_UNSUPPORTED:
        return True
    # "Vehicle not found" is about the car, and REST would say the same.
    return err.status in _ROUTE_MISSING and "vehicle" not in err.message.lower()


def _command_result(name: str, ok: bool, reason: str) -> CommandResult:
    """The car's verdict; a refusal that means "already so" counts as done."""
    if ok:
        return CommandResult(name, reason)
    if reason == ALREADY_SET or reason in ALREADY_DONE.get(name, frozenset()):
        return CommandResult(name, reason, already=True)
    raise CommandRefused(name, reason)
