"""The re.alto evening (issue #14): our integration and a naive client, same platform.

re.alto runs a command asynchronously (Pending, Triggered, Sent, then Succeeded or
Failed), allows one command per EV every 10 minutes, and publishes readings at the
manufacturer's pace.  A client has to ask how its command ended; how often it asks is
the policy.

* **ours**: the integration, unmodified, in Home Assistant's test harness with a
  re.alto config entry on the simulated platform.  The automation's requests are
  service calls: ``switch.turn_on``/``turn_off`` on the Charging switch and
  ``ev_charge_control.schedule_charging``.
* **naive** (the anchor): sends a command, then asks for its status every second until
  it has ended (a scheduled command from its trigger time on, which is kinder to it than
  asking from the moment it was scheduled), reads ``readings/last`` every minute, and
  gets a new token when one is refused (401).  It sends every request as asked and
  lets the platform refuse what the cooldown forbids.

The day, 16:00 to 06:00 UTC: the EV (ID.4, 30 %, its own limit 90 %) is plugged in at
17:50 without charging; 19:00 the automation starts charging (a cheap hour); 19:05 it
asks to stop (the house's load peaked), inside the cooldown; 20:00 it stops charging
(the price rises); 20:30 it schedules a charging window for 01:00 to 04:00.

The platform bills nothing (re.alto publishes no per-request price) and limits one
thing: the cooldown.  Its command lifecycle here takes 55 s from the trigger time to
the end (2 s to Triggered, 3 s to Sent, 50 s for the manufacturer's cloud and the car:
the simulator's defaults, with a slower car).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import statistics
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_API_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_REALTO,
)
from custom_components.ev_charge_control.coordinator import VehicleCoordinator
from simulator import FakeClock, World, build_world

from .harness import HomeAssistantStepper, server_url, start_server, step_anchor

ENTITY = "5e1f0c2a-7b3d-4c8e-9a10-0000000be0a1"
CLIENT_ID = "bench-realto-client"
CLIENT_SECRET = "bench-realto-secret"  # noqa: S105 - the simulated platform's fixed client
START = datetime(2026, 6, 15, 16, 0, tzinfo=UTC).timestamp()
MINUTES = 14 * 60
COOLDOWN_S = 600.0
NAIVE_POLL_S = 1.0
NAIVE_READING_S = 60.0
FINAL = ("Succeeded", "Failed", "Canceled")
SPEC: dict[str, Any] = {
    "timezone": "UTC",
    "realto": {
        "seed": 14,
        "clients": [{"id": CLIENT_ID, "secret": CLIENT_SECRET}],
        "cooldown": {"mode": "reject", "status": 409, "seconds": COOLDOWN_S},
        "lifecycle": {"trigger_delay": 2, "send_delay": 3, "confirm_delay": 50},
        "entities": [
            {
                "id": ENTITY,
                "name": "ID.4",
                "manufacturer": "Volkswagen",
                "model": "ID.4 Pro",
                "vin": "WVGZZZE2ZPP0BE001",
                "battery_level": 30,
                "charge_limit": 90,
                "capacity_kwh": 77,
                "amps": 16,
                "voltage": 230,
                "phases": 3,
                "plugged_in": False,
                "reading_interval": 300,
            }
        ],
        "timeline": [
            {"at": "2026-06-15T17:50:00Z", "entity": ENTITY, "action": "plug_in", "charging": False}
        ],
    },
}


def at(hhmm: str, *, next_day: bool = False) -> float:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return START - 16 * 3600 + (86_400 if next_day else 0) + hours * 3600 + minutes * 60


@dataclass(frozen=True, slots=True)
class RealtoRequest:
    """What the automation asks for: ``start``, ``stop`` or ``schedule`` (a window)."""

    t: float
    kind: str
    window: tuple[float, float] | None = None


REQUESTS = [
    RealtoRequest(at("19:00"), "start"),
    RealtoRequest(at("19:05"), "stop"),
    RealtoRequest(at("20:00"), "stop"),
    RealtoRequest(at("20:30"), "schedule", (at("01:00", next_day=True), at("04:00", next_day=True))),
]


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _type_of(name: str) -> str:
    """The platform's command type for the integration's command name."""
    return {"start_charging": "StartCharging", "stop_charging": "StopCharging"}.get(name, name)


# ------------------------------------------------------------------------ recording
@dataclass
class CommandView:
    """What a policy showed of one command at a moment (each change recorded once)."""

    t: float
    type: str
    trigger: str
    status: str


@dataclass
class RealtoTap:
    world: World
    views: list[CommandView] = field(default_factory=list)
    samples: list[tuple[float, bool, float]] = field(default_factory=list)
    """Each minute: (t, charging, battery %)."""

    def view(self, t: float, kind: str, trigger: str, status: str) -> None:
        entry = CommandView(t, kind, trigger, status.lower())
        last = next((v for v in reversed(self.views) if (v.type, v.trigger) == (kind, trigger)), None)
        if last is None or last.status != entry.status:
            self.views.append(entry)

    def sample(self) -> None:
        now = self.world.sync()
        car = self.world.realto.entities[ENTITY].vehicle
        self.samples.append((now, bool(car.charging), round(car.battery_level, 3)))


def request_kind(record: dict[str, Any]) -> str:
    """One re.alto request's kind, for the counts."""
    path = str(record["path"]).rstrip("/")
    method = record["method"]
    if path.endswith("/authentication"):
        return "token"
    if "/readings" in path:
        return "readings"
    if "/commands" in path:
        if method in ("POST", "PATCH"):
            return "cancel" if path.endswith("/cancel") else "commands"
        return "status" if not path.endswith("/commands") else "command_lists"
    return "entities"


def realto_result(policy: str, tap: RealtoTap, errors: dict[str, int]) -> dict[str, Any]:
    """Everything the report needs about one policy's evening, as plain JSON."""
    world = tap.world
    log = [r for r in world.recorder.since(0) if r["api"] == "realto"]
    counts = Counter(request_kind(r) for r in log)
    creates = [r for r in log if request_kind(r) == "commands" and not r["path"].endswith("/cancel")]
    cooldown_refused = sum(1 for r in creates if r["status"] in (400, 409, 429))
    ignoring = sum(1 for r in creates if str(r["query"].get("ignoreCooldown", "")).lower() == "true")
    unauthorized = sum(1 for r in log if r["status"] == 401)
    platform = world.realto
    commands = sorted(
        (c for c in platform.commands.values() if c.entity_id == ENTITY),
        key=lambda c: (c.trigger_time, c.seq),
    )
    rows: list[dict[str, Any]] = []
    delays: list[float] = []
    never = 0
    for command in commands:
        ended = next((t for t, s in command.history if s in FINAL), None)
        trigger = iso(command.trigger_time)
        shown = None
        if ended is not None:
            shown = next(
                (
                    v.t
                    for v in tap.views
                    if v.type == command.type
                    and v.trigger == trigger
                    and v.status == command.status.lower()
                    and v.t >= ended - 1e-6
                ),
                None,
            )
        if ended is not None and shown is not None:
            delays.append(shown - ended)
        elif ended is not None:
            never += 1
        rows.append(
            {
                "type": command.type,
                "trigger_s": round(command.trigger_time - START, 1),
                "status": command.status,
                "error": (command.error or {}).get("title"),
                "ended_s": None if ended is None else round(ended - START, 1),
                "shown_after_s": None if shown is None or ended is None else round(shown - ended, 1),
                "ignore_cooldown": command.ignore_cooldown,
            }
        )
    charging_minutes = sum(1 for _t, charging, _b in tap.samples if charging)
    created = len(commands)
    return {
        "policy": policy,
        "requests": dict(sorted(counts.items())),
        "requests_total": len(log),
        "commands_created": created,
        "status_polls_per_command": round(counts["status"] / created, 2) if created else 0.0,
        "cooldown_refused_by_platform": cooldown_refused,
        "refused_locally": errors,
        "ignore_cooldown_commands": ignoring,
        "unauthorized": unauthorized,
        "end_shown_max_s": round(max(delays), 1) if delays else None,
        "end_shown_median_s": round(statistics.median(delays), 1) if delays else None,
        "end_never_shown": never,
        "commands": rows,
        "status_poll_times_s": [round(r["t"] - START, 1) for r in log if request_kind(r) == "status"][:500],
        "automation_requests": len(REQUESTS),
        "charging_minutes": charging_minutes,
        "battery_start": tap.samples[0][2] if tap.samples else None,
        "battery_end": tap.samples[-1][2] if tap.samples else None,
        "minutes": MINUTES,
    }


async def _walk(
    tap: RealtoTap,
    advance_to: Callable[[float], Awaitable[None]],
    issue: Callable[[RealtoRequest], Awaitable[None]],
) -> None:
    """The evening, minute by minute: sample the car, then that moment's requests."""
    pending = list(REQUESTS)
    for minute in range(MINUTES + 1):
        boundary = START + minute * 60
        while pending and pending[0].t < boundary:
            request = pending.pop(0)
            await advance_to(request.t)
            await issue(request)
        await advance_to(boundary)
        tap.sample()


def _count(errors: dict[str, int], kind: str) -> None:
    errors[kind] = errors.get(kind, 0) + 1


# ------------------------------------------------------------------------------ ours
async def run_ours_realto(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> dict[str, Any]:
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    clock = FakeClock(start=START)
    world = build_world(SPEC, clock)
    tap = RealtoTap(world)
    server = await start_server(world)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="bench re.alto",
        unique_id=CLIENT_ID,
        data={
            CONF_PROVIDER: PROVIDER_REALTO,
            CONF_API_URL: f"{server_url(server)}/api",
            CONF_CLIENT_ID: CLIENT_ID,
            CONF_CLIENT_SECRET: CLIENT_SECRET,
            CONF_VEHICLES: [ENTITY],
        },
    )
    entry.add_to_hass(hass)
    stepper = HomeAssistantStepper(hass, freezer, clock)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await stepper.settle()
    coordinator: VehicleCoordinator = entry.runtime_data.coordinators[ENTITY]
    switch = er.async_get(hass).async_get_entity_id("switch", DOMAIN, f"{ENTITY}_charging")
    assert switch is not None
    device = next(
        d
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, ENTITY) in d.identifiers
    )

    def record_view() -> None:
        data = coordinator.data
        last = data.last_command if data is not None else None
        if last is not None and last.trigger_time is not None:
            trigger = iso(last.trigger_time.timestamp())
            tap.view(clock.now(), _type_of(last.command), trigger, last.status)

    unsubscribe = coordinator.async_add_listener(record_view)
    errors: dict[str, int] = {}

    async def issue(request: RealtoRequest) -> None:
        if request.kind == "schedule":
            assert request.window is not None
            domain, service = DOMAIN, "schedule_charging"
            data: dict[str, Any] = {
                "device_id": device.id,
                "start": iso(request.window[0]),
                "end": iso(request.window[1]),
            }
        else:
            domain, service = "switch", "turn_on" if request.kind == "start" else "turn_off"
            data = {ATTR_ENTITY_ID: switch}
        try:
            await hass.services.async_call(domain, service, data, blocking=True)
        except ServiceValidationError as err:
            _count(errors, f"refused:{err.translation_key}")
        except HomeAssistantError as err:
            _count(errors, f"failed:{err.translation_key}")
        await stepper.settle()

    await _walk(tap, stepper.advance_to, issue)
    unsubscribe()
    result = realto_result("ours", tap, errors)
    result["steps"] = stepper.steps
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()
    return result


# ---------------------------------------------------------------------------- anchor
class NaiveRealto:
    """Send, then ask every second until the command has ended; read every minute."""

    def __init__(self, session: aiohttp.ClientSession, base: str, tap: RealtoTap) -> None:
        self.session = session
        self.base = f"{base}/api/v1"
        self.tap = tap
        self.token: str | None = None
        self.following: dict[str, float] = {}
        """Command id -> when to ask next."""
        self.next_reading = 0.0
        self.errors: dict[str, int] = {}

    async def _authenticate(self) -> None:
        async with self.session.post(
            f"{self.base}/authentication", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
        ) as response:
            self.token = (await response.json())["access_token"]

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        for _attempt in range(2):
            if self.token is None:
                await self._authenticate()
            headers = {"Authorization": f"Bearer {self.token}"}
            async with self.session.request(
                method, f"{self.base}{path}", headers=headers, **kwargs
            ) as response:
                if response.status == 401:
                    self.token = None
                    continue
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                return response.status, body
        return 401, None

    @property
    def next_run(self) -> float:
        return min([self.next_reading, *self.following.values()])

    def _show(self, now: float, command: dict[str, Any]) -> None:
        self.tap.view(now, str(command["type"]), str(command["triggerTime"]), str(command["status"]))

    async def run(self, now: float) -> None:
        if now >= self.next_reading - 1e-6:
            await self._call("GET", f"/entities/{ENTITY}/readings/last")
            self.next_reading = now + NAIVE_READING_S
        for command_id, due in list(self.following.items()):
            if due > now + 1e-6:
                continue
            status, body = await self._call("GET", f"/entities/{ENTITY}/commands/{command_id}")
            if status != 200:
                self.following[command_id] = now + NAIVE_POLL_S
                continue
            self._show(now, body)
            if body["status"] in FINAL:
                del self.following[command_id]
            else:
                self.following[command_id] = now + NAIVE_POLL_S

    async def request(self, request: RealtoRequest, now: float) -> None:
        if request.kind == "schedule":
            assert request.window is not None
            items = [
                {"triggerTime": iso(request.window[0]), "type": "StartCharging", "value": None},
                {"triggerTime": iso(request.window[1]), "type": "StopCharging", "value": None},
            ]
            status, body = await self._call("POST", f"/entities/{ENTITY}/commands/schedule", json=items)
            commands = (body or {}).get("commands", []) if status == 201 else []
        else:
            kind = "StartCharging" if request.kind == "start" else "StopCharging"
            status, body = await self._call(
                "POST", f"/entities/{ENTITY}/commands", json={"type": kind, "value": None}
            )
            commands = [body] if status == 201 else []
        if status != 201:
            _count(self.errors, f"platform:{status}")
            return
        for command in commands:
            self._show(now, command)
            trigger = datetime.fromisoformat(command["triggerTime"].replace("Z", "+00:00")).timestamp()
            self.following[command["id"]] = max(trigger, now) + NAIVE_POLL_S


async def run_naive_realto() -> dict[str, Any]:
    clock = FakeClock(start=START)
    world = build_world(SPEC, clock)
    tap = RealtoTap(world)
    server = await start_server(world)
    async with aiohttp.ClientSession() as session:
        anchor = NaiveRealto(session, server_url(server), tap)
        anchor.next_reading = clock.now()

        async def advance_to(target: float) -> None:
            await step_anchor(anchor, clock, target)

        async def issue(request: RealtoRequest) -> None:
            await anchor.request(request, clock.now())

        await _walk(tap, advance_to, issue)
    await server.close()
    return realto_result("naive", tap, anchor.errors)
