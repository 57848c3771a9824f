"""The re.alto platform's state: clients and tokens, EV entities, readings, commands.

Each EV entity is backed by a ``SimVehicle`` (the Tesla simulator's car), so charging
physics are the same on both platforms.  ``sync(now)`` walks every entity forward in
time order through three kinds of events: the scenario's re.alto timeline (plugging
in, driving...), command lifecycle transitions (Pending -> Triggered -> Sent ->
Succeeded/Failed, on the clock), and reading samples taken every
``reading_interval`` seconds.  A command acts on the car when it succeeds; readings
show it from the next sample on, so they are as stale as the platform's.

What re.alto documents and what is invented here: ``simulator/realto/README.md``.
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
import heapq
import json
import math
import random
from typing import Any
import uuid

from ..clock import Clock
from ..tesla.vehicle import (
    REASON_COMPLETE,
    REASON_DISCONNECTED,
    REASON_IS_CHARGING,
    REASON_NO_POWER,
    REASON_NOT_CHARGING,
    SimVehicle,
    VehicleSettings,
)
from ..world import ACTIONS, World, apply_action

KM_PER_MILE = 1.609344
EPS = 1e-6
READING_HISTORY = 5000

COMMAND_TYPES = ("StartCharging", "StopCharging", "Reset", "Disconnect", "LimitFeedIn", "StopFeedIn")
EV_TYPES = ("EV", "ChargePole", "ChargePoint")
EV_COMMANDS = ("StartCharging", "StopCharging")
FINAL = ("Succeeded", "Failed", "Canceled")
COOLDOWN_MODES = ("reject", "fail", "defer")
COOLDOWN_STATUSES = (400, 409, 429)
FAILURE_STAGES = ("create", "trigger", "send", "confirm")
SCHEDULE_SHAPES = ("batch", "legacy")
PERMISSION_LEVELS = ("Viewer", "Contributor", "Administer", "Owner")
METRICS = (
    "stateOfCharge",
    "range",
    "odometer",
    "isCharging",
    "isPluggedIn",
    "location",
    "locationMatches",
    "positiveActiveEnergy",
)
PLACES = uuid.UUID("5e0c7a1d-2b1f-4c8e-9a57-6d4b3f2e1c00")
"""Namespace of the (invented) ids of matched places, one per label."""
COOLDOWN_ERROR_TITLE = "CommandCooldownActive"

# What the car's refusal reasons become on re.alto (titles invented, see the README).
REFUSALS: dict[str, tuple[str, str]] = {
    REASON_DISCONNECTED: ("VehicleNotPluggedIn", "The vehicle is not plugged in."),
    REASON_COMPLETE: ("ChargeLimitReached", "The battery is already at its charge limit."),
    REASON_NO_POWER: ("NoPowerAvailable", "The charging station supplies no power."),
}
ALREADY = (REASON_IS_CHARGING, REASON_NOT_CHARGING)
UNREACHABLE = ("VehicleUnreachable", "The vehicle could not be reached by its manufacturer's cloud.")


def iso(t: float) -> str:
    """UTC ``...Z``; milliseconds only when the time has a fraction (as .NET writes it)."""
    moment = datetime.fromtimestamp(t, UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an ISO-8601 string (no offset means UTC), else ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# ------------------------------------------------------------------- settings
@dataclass
class Lifecycle:
    """Delays of a command's way through the platform, in simulated seconds."""

    trigger_delay: float = 2.0
    """From the trigger time until the dispatcher picks it up (Pending -> Triggered)."""
    send_delay: float = 3.0
    """Until the manufacturer's cloud has it (Triggered -> Sent)."""
    confirm_delay: float = 10.0
    """Until the car has acted and confirmed (Sent -> Succeeded or Failed)."""


@dataclass
class Cooldown:
    """The per-entity command cooldown and how a command inside it is answered."""

    mode: str = "reject"
    status: int = 409
    seconds: float = 600.0


def _update(target: Any, values: dict[str, Any], checks: dict[str, tuple[Any, ...]] | None = None) -> None:
    """Set dataclass fields from ``values`` (type-converted); all or nothing."""
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in target.__dataclass_fields__:
            raise KeyError(f"unknown setting {key!r}")
        converted[key] = type(getattr(target, key))(value)
        allowed = (checks or {}).get(key)
        if allowed is not None and converted[key] not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(map(str, allowed))}")
        if isinstance(converted[key], float) and converted[key] < 0:
            raise ValueError(f"{key} must not be negative")
    for key, value in converted.items():
        setattr(target, key, value)


@dataclass
class FailureRule:
    """An injected failure for the next command(s) matching ``entity`` and ``type``."""

    rule_id: int
    stage: str = "confirm"
    title: str = "CommandFailed"
    description: str = "The manufacturer's cloud reported an error."
    entity: str | None = None
    type: str | None = None
    count: int | None = 1
    hits: int = 0

    def matches(self, entity_id: str, command_type: str) -> bool:
        return (
            (self.count is None or self.hits < self.count)
            and (self.entity is None or self.entity == entity_id)
            and (self.type is None or self.type == command_type)
        )


# ----------------------------------------------------------------- entities
@dataclass
class SimReading:
    reading_id: str
    entity_id: str
    measured: float
    received: float
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.reading_id,
            "entityId": self.entity_id,
            "measured": iso(self.measured),
            "processed": iso(self.received),
            "received": iso(self.received),
            "data": self.data,
        }


@dataclass
class SimEntity:
    """A connected entity; EVs carry a simulated car."""

    entity_id: str
    entity_type: str
    vehicle: SimVehicle | None
    vin: str | None
    created: float
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    online: bool = True
    reporting: bool = True
    reading_interval: float = 300.0
    reading_latency: float = 0.0
    omit: set[str] = field(default_factory=set)
    location: dict[str, Any] | None = None
    location_matches: list[str] | None = None
    """Labels of the places the platform matches the car to (``locationMatches``)."""
    meter_kwh: float | None = None
    """The energy meter's value when the simulation began; ``None``: no meter in readings."""
    permissions: dict[str, str] | None = None
    tenant_id: str = ""
    collective_id: str = ""
    owner: str = ""
    readings: deque[SimReading] = field(default_factory=lambda: deque(maxlen=READING_HISTORY))
    next_reading_at: float = 0.0

    def level_for(self, client_id: str) -> str | None:
        """The client's permission level (``None``: the entity is invisible to it)."""
        if self.permissions is None:
            return "Contributor"
        return self.permissions.get(client_id)

    def metrics(self) -> dict[str, Any]:
        """The reading's ``data`` as the car is now, minus the omitted metrics."""
        car = self.vehicle
        assert car is not None
        data: dict[str, Any] = {
            "stateOfCharge": {"unit": "%", "value": round(car.battery_level, 2)},
            "range": {"unit": "km", "value": round(car.battery_level * car.miles_per_pct * KM_PER_MILE, 1)},
            "odometer": {"unit": "km", "value": round(car.odometer * KM_PER_MILE, 1)},
            "isCharging": car.charging,
            "isPluggedIn": car.plugged,
        }
        if self.location is not None:
            data["location"] = dict(self.location)
        if self.location_matches is not None:
            data["locationMatches"] = [
                {"accuracy": 1.0, "location": {"id": str(uuid.uuid5(PLACES, label)), "label": label}}
                for label in self.location_matches
            ]
        if self.meter_kwh is not None:
            # Cumulative, as a meter register: every session the car charged adds to it.
            total = round(self.meter_kwh + car.energy_total, 3)
            data["positiveActiveEnergy"] = {
                "t1": total,
                "t2": 0,
                "t3": 0,
                "t4": 0,
                "total": total,
                "unit": "kWh",
            }
        for key in self.omit:
            data.pop(key, None)
        return data

    def last_reading(self, now: float) -> SimReading | None:
        for reading in reversed(self.readings):
            if reading.received <= now + EPS:
                return reading
        return None

    def as_json(self, now: float) -> dict[str, Any]:
        """Both the re.alto fields (``information``...) and DER Connect's (``brand``...)."""
        last = self.last_reading(now)
        out: dict[str, Any] = {
            "id": self.entity_id,
            "type": self.entity_type,
            "brand": self.manufacturer,
            "identifier": self.vin,
            "created": iso(self.created),
            "parentId": None,
            "isOnline": self.online,
            "lastSeen": iso(last.received) if last is not None else None,
            "properties": {},
            "collectiveId": self.collective_id,
            "tenantId": self.tenant_id,
            "owner": self.owner,
            "information": {
                "type": self.entity_type,
                "manufacturer": self.manufacturer or "",
                "model": self.model or "",
                "vin": self.vin or "",
                "reference": self.vin or "",
            },
            "reference": {"manufacturer": self.manufacturer or "", "type": self.entity_type, "reference": ""},
            "systemProperties": {},
        }
        if self.name is not None:
            out["name"] = self.name
        return out

    def detail(self, now: float) -> dict[str, Any]:
        """What the admin API shows: settings, the car, the newest reading."""
        last = self.last_reading(now)
        car = self.vehicle
        return {
            "id": self.entity_id,
            "type": self.entity_type,
            "name": self.name,
            "vin": self.vin,
            "online": self.online,
            "reporting": self.reporting,
            "reading_interval": self.reading_interval,
            "reading_latency": self.reading_latency,
            "omit": sorted(self.omit),
            "permissions": self.permissions,
            "readings": len(self.readings),
            "next_reading_at": self.next_reading_at,
            "last_reading": last.as_json() if last is not None else None,
            "vehicle": None
            if car is None
            else {
                "battery_level": car.battery_level,
                "charge_limit": car.limit,
                "charging_state": car.charging_state,
                "charging": car.charging,
                "plugged_in": car.plugged,
                "power_kw": car.power_kw,
                "energy_total": car.energy_total,
                "range_km": round(car.battery_level * car.miles_per_pct * KM_PER_MILE, 3),
                "odometer_km": round(car.odometer * KM_PER_MILE, 3),
                "events": car.events[-20:],
            },
        }


# ----------------------------------------------------------------- commands
@dataclass
class SimCommand:
    seq: int
    command_id: str
    entity_id: str
    type: str
    value: str | None
    trigger_time: float
    created: float
    ignore_cooldown: bool = False
    batch_id: str | None = None
    status: str = "Pending"
    changed_at: float = 0.0
    error: dict[str, str] | None = None
    dispatched: bool = False
    cooldown_failed: bool = False
    failure: FailureRule | None = None
    history: list[tuple[float, str]] = field(default_factory=list)

    @property
    def counts_for_cooldown(self) -> bool:
        """Canceled commands and ones that failed before dispatch start no cooldown."""
        if self.status == "Canceled":
            return False
        return not (self.status == "Failed" and not self.dispatched)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.command_id,
            "entityId": self.entity_id,
            "status": self.status,
            "triggerTime": iso(self.trigger_time),
            "type": self.type,
            "value": self.value,
            "error": dict(self.error) if self.error is not None else None,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.as_json(),
            "created": self.created,
            "ignoreCooldown": self.ignore_cooldown,
            "batchId": self.batch_id,
            "history": [{"t": t, "status": s} for t, s in self.history],
        }


@dataclass
class CooldownHit:
    """A command the cooldown refused: which item and when it would be allowed."""

    index: int
    allowed_at: float
    remaining: float


@dataclass(order=True)
class TimelineEvent:
    at: float
    seq: int
    entity_id: str = field(compare=False)
    action: str = field(compare=False)
    params: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class SimToken:
    client_id: str
    expires_at: float


# ----------------------------------------------------------------- platform
class RealtoPlatform:
    """Everything the re.alto simulator knows."""

    def __init__(self, clock: Clock, world: World | None = None, seed: int = 0) -> None:
        self.clock = clock
        self.world = world
        self.started = clock.now()
        self._rng = random.Random(seed)
        self.clients: dict[str, str] = {}
        self.tokens: dict[str, SimToken] = {}
        self.token_lifetime = 3599.0
        self.entities: dict[str, SimEntity] = {}
        self.commands: dict[str, SimCommand] = {}
        self.active: list[SimCommand] = []
        self.lifecycle = Lifecycle()
        self.cooldown = Cooldown()
        self.failures: list[FailureRule] = []
        self._next_rule = 1
        self.schedule_response = "batch"
        self.max_page_size = 100
        self.timeline: list[TimelineEvent] = []
        self._seq = 0

    # ------------------------------------------------------------- helpers
    def now(self) -> float:
        return self.clock.now()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def vin_for(self, entity_id: str) -> str | None:
        """The VIN of the EV behind ``entity_id`` (faults and the log name cars by VIN)."""
        entity = self.entities.get(entity_id)
        return entity.vin if entity is not None else None

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --------------------------------------------------------------- setup
    def add_client(self, client_id: str, secret: str) -> None:
        self.clients[client_id] = secret

    def add_entity(self, entity: SimEntity) -> None:
        entity.next_reading_at = max(entity.next_reading_at, self.now())
        self.entities[entity.entity_id] = entity

    def schedule(self, at: float, entity_id: str, action: str, params: dict[str, Any] | None = None) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        if entity_id not in self.entities:
            raise ValueError(f"timeline: no entity {entity_id}")
        heapq.heappush(self.timeline, TimelineEvent(at, self._next_seq(), entity_id, action, params or {}))

    def add_failure(self, spec: dict[str, Any]) -> FailureRule:
        unknown = set(spec) - (set(FailureRule.__dataclass_fields__) - {"rule_id", "hits"})
        if unknown:
            raise ValueError(f"unknown failure fields: {', '.join(sorted(unknown))}")
        rule = FailureRule(rule_id=self._next_rule, **spec)
        if rule.stage not in FAILURE_STAGES:
            raise ValueError(f"stage must be one of {', '.join(FAILURE_STAGES)}")
        self._next_rule += 1
        self.failures.append(rule)
        return rule

    def set_cooldown(self, values: dict[str, Any]) -> None:
        _update(self.cooldown, values, {"mode": COOLDOWN_MODES, "status": COOLDOWN_STATUSES})

    def set_lifecycle(self, values: dict[str, Any]) -> None:
        _update(self.lifecycle, values)

    def set_schedule_response(self, shape: str) -> None:
        if shape not in SCHEDULE_SHAPES:
            raise ValueError(f"schedule_response must be one of {', '.join(SCHEDULE_SHAPES)}")
        self.schedule_response = shape

    # -------------------------------------------------------------- tokens
    def issue_token(
        self, client_id: str, access_token: str | None = None, lifetime: float | None = None
    ) -> dict[str, Any]:
        now = self.now()
        life = self.token_lifetime if lifetime is None else lifetime
        if access_token is None:
            header = {"alg": "none", "typ": "JWT"}
            claims = {"sub": client_id, "iat": int(now), "exp": int(now + life), "jti": self.new_id()}
            access_token = (
                ".".join(
                    base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                    for part in (header, claims)
                )
                + "."
            )
        self.tokens[access_token] = SimToken(client_id, now + life)
        return {"access_token": access_token, "expires_in": int(life), "token_type": "Bearer"}

    def expire_tokens(self, token: str | None = None) -> int:
        now = self.now()
        count = 0
        for value, entry in self.tokens.items():
            if (token is None or value == token) and entry.expires_at > now:
                entry.expires_at = now
                count += 1
        return count

    # ---------------------------------------------------------------- time
    def sync(self, now: float) -> None:
        """Run every event due up to ``now`` in time order, then bring the cars to ``now``."""
        while True:
            best: tuple[float, int, int] | None = None
            action: Any = None
            if self.timeline and self.timeline[0].at <= now + EPS:
                event = self.timeline[0]
                best, action = (event.at, 0, event.seq), event
            for command in self.active:
                due = self._due(command)
                if due <= now + EPS and (best is None or (due, 1, command.seq) < best):
                    best, action = (due, 1, command.seq), command
            for index, entity in enumerate(self.entities.values()):
                due = entity.next_reading_at
                if (
                    entity.vehicle is not None
                    and due <= now + EPS
                    and (best is None or (due, 2, index) < best)
                ):
                    best, action = (due, 2, index), entity
            if best is None:
                break
            t = best[0]
            if isinstance(action, TimelineEvent):
                heapq.heappop(self.timeline)
                entity = self.entities[action.entity_id]
                self._advance(entity, t)
                self.apply(entity, action.action, dict(action.params))
            elif isinstance(action, SimCommand):
                self._step(action, t)
            else:
                self._sample(action, t, now)
        for entity in self.entities.values():
            self._advance(entity, now)

    @staticmethod
    def _advance(entity: SimEntity, t: float) -> None:
        if entity.vehicle is not None and entity.vehicle.t < t:
            entity.vehicle.advance(t)

    def _sample(self, entity: SimEntity, t: float, now: float) -> None:
        """A reading at ``t`` if the car reports; the next one an interval later."""
        interval = max(entity.reading_interval, 1.0)
        if entity.online and entity.reporting:
            self._advance(entity, t)
            self.take_reading(entity, t)
            entity.next_reading_at = t + interval
        else:
            # Nothing to record: skip straight to the first sample after ``now``.
            entity.next_reading_at = t + interval * max(1, math.floor((now - t) / interval) + 1)

    def take_reading(self, entity: SimEntity, t: float) -> SimReading:
        reading = SimReading(self.new_id(), entity.entity_id, t, t + entity.reading_latency, entity.metrics())
        entity.readings.append(reading)
        return reading

    def apply(self, entity: SimEntity, action: str, params: dict[str, Any]) -> None:
        """An outside event for an EV (plug in, unplug, drive...), as on the Tesla side."""
        if entity.vehicle is None:
            raise ValueError(f"entity {entity.entity_id} has no vehicle")
        apply_action(entity.vehicle, action, params)
        if action == "plug_in" and params.get("charging") is False and entity.vehicle.charging:
            entity.vehicle.command("charge_stop", {})

    # ------------------------------------------------------------ commands
    def _due(self, command: SimCommand) -> float:
        """When an active (Pending, Triggered or Sent) command moves on."""
        if command.status == "Pending":
            return command.trigger_time + self.lifecycle.trigger_delay
        if command.status == "Triggered":
            return command.changed_at + self.lifecycle.send_delay
        return command.changed_at + self.lifecycle.confirm_delay

    def _set_status(
        self, command: SimCommand, status: str, t: float, error: tuple[str, str] | None = None
    ) -> None:
        command.status = status
        command.changed_at = t
        command.history.append((t, status))
        if error is not None:
            command.error = {"title": error[0], "description": error[1]}
        if status in ("Triggered", "Sent"):
            command.dispatched = True
        if status in FINAL and command in self.active:
            self.active.remove(command)

    def _injected(self, command: SimCommand, stage: str) -> tuple[str, str] | None:
        rule = command.failure
        if rule is not None and rule.stage == stage:
            return rule.title, rule.description
        return None

    def _step(self, command: SimCommand, t: float) -> None:
        entity = self.entities[command.entity_id]
        if command.status == "Pending":
            failure = self._injected(command, "trigger")
            self._set_status(command, "Failed" if failure else "Triggered", t, failure)
        elif command.status == "Triggered":
            failure = self._injected(command, "send") or (None if entity.online else UNREACHABLE)
            self._set_status(command, "Failed" if failure else "Sent", t, failure)
        else:  # Sent: the car acts now
            self._advance(entity, t)
            failure = self._injected(command, "confirm") or self._execute(entity, command)
            self._set_status(command, "Failed" if failure else "Succeeded", t, failure)

    @staticmethod
    def _execute(entity: SimEntity, command: SimCommand) -> tuple[str, str] | None:
        """Run the command on the car; ``None`` on success, else ``(title, description)``."""
        car = entity.vehicle
        assert car is not None  # only EVs accept commands
        result, reason = car.command("charge_start" if command.type == "StartCharging" else "charge_stop", {})
        if result or reason in ALREADY:
            return None
        return REFUSALS.get(reason, ("CommandRejected", f"The vehicle refused the command: {reason}"))

    def _cooldown_times(self, entity_id: str) -> list[float]:
        return [
            c.trigger_time
            for c in self.commands.values()
            if c.entity_id == entity_id and c.counts_for_cooldown
        ]

    def clear_of_cooldown(self, t: float, times: list[float]) -> float:
        """The first moment from ``t`` at least ``cooldown.seconds`` from every time."""
        gap = self.cooldown.seconds
        candidate = t
        while True:
            conflicts = [x for x in times if abs(x - candidate) < gap - EPS]
            if not conflicts:
                return candidate
            candidate = max(conflicts) + gap

    def create_commands(
        self,
        entity: SimEntity,
        items: list[tuple[float, str, str | None]],
        *,
        ignore_cooldown: bool,
        batch_id: str | None = None,
    ) -> list[SimCommand] | CooldownHit:
        """Create commands (immediate or scheduled), applying the cooldown.

        ``reject`` mode returns a ``CooldownHit`` and creates nothing; ``fail`` creates
        the offending commands as Failed; ``defer`` moves their trigger time.
        """
        now = self.now()
        times = self._cooldown_times(entity.entity_id)
        planned: list[tuple[float, str, str | None, float | None]] = []
        for index, (trigger, kind, value) in enumerate(items):
            allowed = trigger if ignore_cooldown else self.clear_of_cooldown(trigger, times)
            if allowed > trigger + EPS and self.cooldown.mode == "reject":
                return CooldownHit(index, allowed, allowed - trigger)
            if allowed > trigger + EPS and self.cooldown.mode == "fail":
                planned.append((trigger, kind, value, allowed))
                continue
            planned.append((allowed, kind, value, None))
            times.append(allowed)
        created = []
        for trigger, kind, value, refused_until in planned:
            command = SimCommand(
                seq=self._next_seq(),
                command_id=self.new_id(),
                entity_id=entity.entity_id,
                type=kind,
                value=value,
                trigger_time=trigger,
                created=now,
                ignore_cooldown=ignore_cooldown,
                batch_id=batch_id,
                changed_at=now,
            )
            command.history.append((now, "Pending"))
            self.commands[command.command_id] = command
            created.append(command)
            if refused_until is not None:
                command.cooldown_failed = True
                description = (
                    "A command was sent to this entity less than "
                    f"{self.cooldown.seconds / 60:g} minutes ago (cooldown). Retry after {iso(refused_until)}"
                )
                self._set_status(command, "Failed", now, (COOLDOWN_ERROR_TITLE, description))
                continue
            rule = next((r for r in self.failures if r.matches(entity.entity_id, kind)), None)
            if rule is not None:
                rule.hits += 1
                command.failure = rule
                if rule.stage == "create":
                    self._set_status(command, "Failed", now, (rule.title, rule.description))
                    continue
            self.active.append(command)
        return created

    def cancel(self, command: SimCommand) -> bool:
        if command.status != "Pending":
            return False
        self._set_status(command, "Canceled", self.now())
        return True

    # --------------------------------------------------------------- views
    def describe(self) -> dict[str, Any]:
        now = self.now()
        by_status: dict[str, int] = {}
        for command in self.commands.values():
            by_status[command.status] = by_status.get(command.status, 0) + 1
        return {
            "now": now,
            "clients": sorted(self.clients),
            "tokens": sum(1 for t in self.tokens.values() if t.expires_at > now),
            "token_lifetime": self.token_lifetime,
            "entities": {eid: entity.detail(now) for eid, entity in self.entities.items()},
            "commands": by_status,
            "cooldown": asdict(self.cooldown),
            "lifecycle": asdict(self.lifecycle),
            "failures": [asdict(rule) for rule in self.failures],
            "schedule_response": self.schedule_response,
            "max_page_size": self.max_page_size,
            "timeline": len(self.timeline),
        }


# ------------------------------------------------------------------- builder
def _build_vehicle(spec: dict[str, Any], vin: str, name: str, now: float) -> SimVehicle:
    level = float(spec.get("battery_level", 60))
    km_per_pct = float(spec.get("km_per_pct", 4.0))
    amps = int(spec.get("amps", 16))
    payload = {
        "vin": vin,
        "charge_state": {
            "battery_level": level,
            "battery_range": level * km_per_pct / KM_PER_MILE,
            "charge_limit_soc": int(spec.get("charge_limit", 100)),
            "charge_limit_soc_min": 50,
            "charge_limit_soc_max": 100,
            "charge_current_request": amps,
            "charge_current_request_max": amps,
            "charger_pilot_current": amps,
            "charging_state": "Disconnected",
        },
        "vehicle_state": {"odometer": float(spec.get("odometer_km", 10_000)) / KM_PER_MILE},
    }
    settings = VehicleSettings()
    settings.update(spec.get("settings", {}))
    car = SimVehicle.from_payload(payload, t=now, display_name=name, settings=settings)
    car.battery_level = level
    car.miles_per_pct = km_per_pct / KM_PER_MILE
    car.capacity_kwh = float(spec.get("capacity_kwh", 77.0))
    car.line_voltage = int(spec.get("voltage", 230))
    car.phases = int(spec.get("phases", 3))
    if spec.get("plugged_in", False):
        car.plug_in()
        if not spec.get("charging", False) and car.charging:
            car.command("charge_stop", {})
        elif spec.get("charging", False) and not car.charging:
            car.command("charge_start", {})
    return car


def build_entity(platform: RealtoPlatform, spec: dict[str, Any], defaults: dict[str, Any]) -> SimEntity:
    now = platform.now()
    entity_id = str(spec.get("id") or platform.new_id())
    kind = str(spec.get("type", "EV"))
    vin = spec.get("vin")
    name = spec.get("name")
    vehicle = None
    if kind in EV_TYPES:
        vin = str(vin or f"WVGZZZE2Z{entity_id.replace('-', '').upper()}00000000"[:17])
        vehicle = _build_vehicle(spec, vin, str(name or spec.get("model") or "EV"), now)
    omit = set(spec.get("omit", []))
    unknown = omit - set(METRICS)
    if unknown:
        raise ValueError(f"entity {entity_id}: cannot omit {sorted(unknown)}; metrics are {METRICS}")
    permissions = spec.get("permissions")
    if permissions is not None:
        for level in permissions.values():
            if level not in PERMISSION_LEVELS:
                raise ValueError(f"permission level {level!r} is not one of {PERMISSION_LEVELS}")
    return SimEntity(
        entity_id=entity_id,
        entity_type=kind,
        vehicle=vehicle,
        vin=vin,
        created=now - 86_400.0,
        name=name,
        manufacturer=spec.get("manufacturer"),
        model=spec.get("model"),
        online=bool(spec.get("online", True)),
        reporting=bool(spec.get("reporting", vehicle is not None)),
        reading_interval=float(spec.get("reading_interval", defaults.get("reading_interval", 300.0))),
        reading_latency=float(spec.get("reading_latency", defaults.get("reading_latency", 0.0))),
        omit=omit,
        location=spec.get("location"),
        location_matches=list(spec["location_matches"]) if spec.get("location_matches") is not None else None,
        meter_kwh=float(spec["energy_meter_kwh"]) if spec.get("energy_meter_kwh") is not None else None,
        permissions=dict(permissions) if permissions is not None else None,
        tenant_id=str(spec.get("tenant_id", "00000000-0000-4000-8000-00000000a170")),
        collective_id=str(spec.get("collective_id", "00000000-0000-4000-8000-00000000c011")),
        owner=str(spec.get("owner", "00000000-0000-4000-8000-0000000000e1")),
    )


def build_platform(spec: dict[str, Any], clock: Clock, world: World | None = None) -> RealtoPlatform:
    """A platform from a scenario's ``realto:`` mapping (keys: README.md)."""
    spec = spec or {}
    platform = RealtoPlatform(clock, world, seed=int(spec.get("seed", 0)))
    platform.token_lifetime = float(spec.get("token_lifetime", 3599))
    platform.max_page_size = int(spec.get("max_page_size", 100))
    platform.set_schedule_response(str(spec.get("schedule_response", "batch")))
    platform.set_cooldown(dict(spec.get("cooldown", {})))
    platform.set_lifecycle(dict(spec.get("lifecycle", {})))
    for client in spec.get("clients", []):
        platform.add_client(str(client["id"]), str(client["secret"]))
        for token in client.get("tokens", []):
            platform.issue_token(
                str(client["id"]),
                str(token["access_token"]),
                float(token.get("expires_in", platform.token_lifetime)),
            )
    for entity_spec in spec.get("entities", []):
        platform.add_entity(build_entity(platform, entity_spec, spec))
    for failure in spec.get("failures", []):
        platform.add_failure(dict(failure))
    t0 = platform.now()
    for event in spec.get("timeline", []):
        at = event["at"]
        when = t0 + float(at) if isinstance(at, (int, float)) else parse_time(at)
        if when is None:
            raise ValueError(f"timeline: cannot read the time {at!r}")
        params = {k: v for k, v in event.items() if k not in ("at", "entity", "action")}
        platform.schedule(when, str(event["entity"]), str(event["action"]), params)
    return platform
