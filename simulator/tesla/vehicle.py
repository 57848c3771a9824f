"""One simulated Tesla: charge_state physics, sleep and the charging commands.

The car is advanced lazily: whenever the outside world looks at it (a request, the
admin API, a test), ``advance(now)`` walks from the last time it was looked at to
``now`` event by event (charging start, limit reached, falling asleep, a scheduled
start, a charge schedule's start or end, the end of a drive), integrating energy in
between.  Between two events the charging power is constant, so the integration is
exact.

Facts come from ``reference/tesla-fleet-api.md`` (sections 2.4, 4.3, 5); behaviour the
references leave open is listed in ``simulator/README.md``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from . import schedules
from .schedules import ChargeSchedule, PreconditionSchedule

CHARGING_STATES = ("Starting", "Charging")
# Reasons a parameterless command can be refused with, as seen on real cars.
REASON_DISCONNECTED = "disconnected"
REASON_IS_CHARGING = "is_charging"
REASON_COMPLETE = "complete"
REASON_NOT_CHARGING = "not_charging"
REASON_ALREADY_SET = "already_set"
REASON_ALREADY_STANDARD = "already_standard"
REASON_ALREADY_MAX_RANGE = "already_max_range"
REASON_ALREADY_CLOSED = "already closed"
# Invented where no real reply is documented (see the README).
REASON_NO_POWER = "no_power"
REASON_CABLE_CONNECTED = "cable_connected"
REASON_NOT_SUPPORTED = "not_supported"

EPS = 1e-6
LOW_AMPS_FLOOR = 5
"""Below this a car with ``low_amps_needs_repeat`` needs the request sent twice."""


@dataclass
class VehicleSettings:
    """Behaviour knobs that differ between cars (and between benchmark runs)."""

    sleep_after: float = 900.0
    """Seconds without activity after which an idle car falls asleep."""
    data_keeps_awake: bool = True
    """Older cars: every vehicle_data request counts as activity. Newer: it does not."""
    wake_delay: float = 20.0
    """Seconds from wake_up until the car reports online (Tesla: 10-60 s)."""
    starting_seconds: float = 5.0
    """How long charging_state stays "Starting" before "Charging"."""
    low_amps_needs_repeat: bool = False
    """Real cars floor a first set_charging_amps below 5 A at 5 A; a repeat sticks, and a
    low request goes back to 5 A when charging restarts (reference section 2.4)."""
    awake_drain_w: float = 0.0
    """Power an awake, idle car draws from its battery (watts), so that a car kept awake
    loses charge; off by default. Asleep, charging or driving cars do not drain this way."""

    def update(self, values: dict[str, Any]) -> None:
        """Change settings; types are checked, since ``bool("false")`` is True."""
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise KeyError(f"unknown setting {key!r}")
            current = getattr(self, key)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise TypeError(f"setting {key} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise TypeError(f"setting {key} must be a number >= 0")
            setattr(self, key, type(current)(value))


@dataclass
class Departure:
    """What set_scheduled_departure stored."""

    enabled: bool = False
    departure_minutes: int = 480
    preconditioning_enabled: bool = False
    preconditioning_weekdays_only: bool = False
    off_peak_charging_enabled: bool = False
    off_peak_charging_weekdays_only: bool = False
    end_off_peak_minutes: int = 900


@dataclass
class Drive:
    """A drive in progress."""

    until: float
    pct_per_second: float
    miles_per_second: float


@dataclass
class SimVehicle:
    """A Tesla seeded from a real vehicle_data payload."""

    base: dict[str, Any]
    vin: str
    vehicle_id: int
    display_name: str
    t: float
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    settings: VehicleSettings = field(default_factory=VehicleSettings)
    command_signing: str = "off"
    firmware: str = schedules.DEFAULT_FIRMWARE
    """``vehicle_state.car_version``; 2024.26 and later use charge schedules."""

    state: str = "online"
    forced_offline: bool = False
    stalled: bool = False
    """The charger gives nothing while the car goes on saying it charges (a tripped
    supply the car has not noticed): 0 A, 0 kW, no energy."""
    held: bool = False
    """The charger holds the car back (a wallbox waiting for its card, or for its load
    manager): a start is accepted and tried (``Starting``), then the car falls back to
    ``Stopped`` instead of charging.  Released, it waits to be started again."""
    waking_until: float | None = None
    last_activity: float = 0.0

    battery_level: float = 50.0
    capacity_kwh: float = 75.0
    miles_per_pct: float = 3.0
    est_ratio: float = 1.0
    ideal_ratio: float = 1.0
    odometer: float = 0.0

    limit: int = 80
    limit_min: int = 50
    limit_max: int = 100
    limit_std: int = 90
    amps_request: int = 16
    amps_max: int = 16
    pilot_current: int = 16
    line_voltage: int = 230
    phases: int = 1
    cable: str = "IEC"

    plugged: bool = False
    door_open: bool = False
    latch: str = "Disengaged"
    motorized_port: bool = True
    charging_state: str = "Disconnected"
    starting_since: float | None = None
    user_stopped: bool = False
    energy_added: float = 0.0
    energy_total: float = 0.0
    """kWh the car took in since the simulation began, over every session: what a
    meter counts (re.alto's positiveActiveEnergy), unlike ``energy_added``."""
    latitude: float | None = None
    longitude: float | None = None
    """Where the car is (the fixture's drive_state position, or the scenario's)."""
    low_amps_pending: int | None = None
    resume_on_power: bool = False
    """Charging (or about to) when the EVSE cut the power: resume when it returns."""
    replay: bool = False
    """Serve the seed payload's charge_state verbatim until a command changes the car
    (tests that check how real payloads are read)."""

    schedule_mode: str = "Off"
    schedule_minutes: int = 0
    schedule_app_minutes: int = 600
    next_scheduled_start: float | None = None
    departure: Departure = field(default_factory=Departure)

    charge_schedules: dict[int, ChargeSchedule] = field(default_factory=dict)
    precondition_schedules: dict[int, PreconditionSchedule] = field(default_factory=dict)
    next_charge_schedule_event: float | None = None

    drive: Drive | None = None
    events: list[tuple[float, str]] = field(default_factory=list)

    # ----------------------------------------------------------------- seeding
    @classmethod
    def from_payload(
        cls,
        payload: dict[str, Any],
        *,
        t: float,
        vin: str | None = None,
        vehicle_id: int | None = None,
        display_name: str | None = None,
        tz: str = "UTC",
        settings: VehicleSettings | None = None,
        command_signing: str | None = None,
    ) -> SimVehicle:
        """Build a car from a fixture (``{"response": {...}}`` or the bare object)."""
        base = copy.deepcopy(payload.get("response", payload))
        charge = base.get("charge_state", {})
        vstate = base.get("vehicle_state", {})
        config = base.get("vehicle_config", {})
        level = float(charge.get("battery_level", 50))
        battery_range = float(charge.get("battery_range") or level * 3.0)
        name = display_name or base.get("display_name") or vstate.get("vehicle_name") or "Tesla"
        vehicle = cls(
            base=base,
            vin=vin or base["vin"],
            vehicle_id=vehicle_id or int(base.get("id", 1)),
            display_name=name,
            t=t,
            tz=ZoneInfo(tz),
            settings=settings or VehicleSettings(),
            command_signing=command_signing or base.get("command_signing", "off"),
            firmware=vstate.get("car_version") or schedules.DEFAULT_FIRMWARE,
            last_activity=t,
            battery_level=level,
            miles_per_pct=battery_range / level if level else 3.0,
            est_ratio=float(charge.get("est_battery_range") or battery_range) / battery_range,
            ideal_ratio=float(charge.get("ideal_battery_range") or battery_range) / battery_range,
            odometer=float(vstate.get("odometer", 0.0)),
            limit=int(charge.get("charge_limit_soc", 80)),
            limit_min=int(charge.get("charge_limit_soc_min", 50)),
            limit_max=int(charge.get("charge_limit_soc_max", 100)),
            limit_std=int(charge.get("charge_limit_soc_std", 90)),
            amps_request=int(charge.get("charge_current_request", 16)),
            amps_max=int(charge.get("charge_current_request_max", 16)),
            pilot_current=int(charge.get("charger_pilot_current") or 16),
            cable=charge.get("conn_charge_cable") or "IEC",
            motorized_port=bool(config.get("motorized_charge_port", True)),
            door_open=bool(charge.get("charge_port_door_open", False)),
            latch=charge.get("charge_port_latch", "Disengaged"),
            energy_added=float(charge.get("charge_energy_added") or 0.0),
            schedule_mode=charge.get("scheduled_charging_mode") or "Off",
            schedule_minutes=int(
                charge.get("scheduled_charging_start_time_minutes")
                or charge.get("scheduled_charging_start_time_app")
                or 0
            ),
            schedule_app_minutes=int(charge.get("scheduled_charging_start_time_app") or 600),
        )
        drive_state = base.get("drive_state", {})
        if isinstance(drive_state.get("latitude"), (int, float)) and isinstance(
            drive_state.get("longitude"), (int, float)
        ):
            vehicle.latitude = float(drive_state["latitude"])
            vehicle.longitude = float(drive_state["longitude"])
        if charge.get("energy_remaining") and level:
            vehicle.capacity_kwh = float(charge["energy_remaining"]) / level * 100
        voltage = int(charge.get("charger_voltage") or 0)
        vehicle.line_voltage = voltage if voltage > 100 else 230
        vehicle.phases = int(charge.get("charger_phases") or 1)
        vehicle.departure = Departure(
            departure_minutes=int(charge.get("scheduled_departure_time_minutes") or 480),
            preconditioning_enabled=bool(charge.get("preconditioning_enabled", False)),
            preconditioning_weekdays_only=charge.get("preconditioning_times") == "weekdays",
            off_peak_charging_enabled=bool(charge.get("off_peak_charging_enabled", False)),
            off_peak_charging_weekdays_only=charge.get("off_peak_charging_times") == "weekdays",
            end_off_peak_minutes=int(charge.get("off_peak_hours_end_time") or 900),
        )
        state = charge.get("charging_state", "Disconnected")
        vehicle.plugged = state != "Disconnected"
        vehicle.charging_state = state
        if state == "Starting":
            vehicle.starting_since = t
        vehicle._settle()
        vehicle._plan_schedule()
        return vehicle

    # --------------------------------------------------------------- physics
    @property
    def charging(self) -> bool:
        return self.charging_state in CHARGING_STATES

    @property
    def actual_current(self) -> int:
        if self.charging_state != "Charging" or self.stalled:
            return 0
        return max(0, min(self.amps_request, self.pilot_current))

    @property
    def power_kw(self) -> float:
        return self.actual_current * self.line_voltage * self.phases / 1000.0

    @property
    def pct_per_second(self) -> float:
        return self.power_kw / self.capacity_kwh * 100.0 / 3600.0

    @property
    def miles_per_kwh(self) -> float:
        return self.miles_per_pct * 100.0 / self.capacity_kwh

    def _can_sleep(self) -> bool:
        return (
            self.state == "online" and not self.charging and self.drive is None and self.waking_until is None
        )

    def _next_event(self, t_end: float) -> float:
        """The earliest moment after ``self.t`` at which something changes by itself."""
        candidates = [t_end]
        if self.charging_state == "Starting" and self.starting_since is not None:
            candidates.append(self.starting_since + self.settings.starting_seconds)
        if self.charging_state == "Charging" and self.pct_per_second > 0:
            remaining = self.limit - self.battery_level
            candidates.append(self.t + max(remaining, 0.0) / self.pct_per_second)
        if self.drive is not None:
            candidates.append(self.drive.until)
        if self.waking_until is not None:
            candidates.append(self.waking_until)
        if self._can_sleep():
            candidates.append(self.last_activity + self.settings.sleep_after)
        if self.next_scheduled_start is not None:
            candidates.append(self.next_scheduled_start)
        if self.next_charge_schedule_event is not None:
            candidates.append(self.next_charge_schedule_event)
        return max(min(candidates), self.t)

    def advance(self, t_end: float) -> None:
        """Move the car forward to ``t_end``."""
        for _ in range(10_000):  # at least once: transitions due right now still apply
            t_next = self._next_event(t_end)
            self._integrate(t_next - self.t)
            self.t = t_next
            self._transitions()
            if self.t >= t_end - EPS:
                break
        else:  # pragma: no cover - defensive; means a logic error
            raise RuntimeError(f"vehicle {self.vin} did not converge")
        self.t = max(self.t, t_end)

    def _integrate(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.charging_state == "Charging":
            gained = min(self.pct_per_second * seconds, max(self.limit - self.battery_level, 0.0))
            self.battery_level += gained
            self.energy_added += gained / 100.0 * self.capacity_kwh
            self.energy_total += gained / 100.0 * self.capacity_kwh
        if self.drive is not None:
            self.battery_level = max(0.0, self.battery_level - self.drive.pct_per_second * seconds)
            self.odometer += self.drive.miles_per_second * seconds
        elif self.settings.awake_drain_w > 0 and self.state == "online" and not self.charging:
            drained = self.settings.awake_drain_w / 1000.0 / self.capacity_kwh * 100.0 / 3600.0 * seconds
            self.battery_level = max(0.0, self.battery_level - drained)

    def _transitions(self) -> None:
        t = self.t
        if self.waking_until is not None and t >= self.waking_until - EPS:
            # Never set for a car forced offline: wake() refuses and set_state() clears it.
            self.waking_until = None
            self.state = "online"
            self.last_activity = t
        if self.drive is not None and t >= self.drive.until - EPS:
            self.drive = None
            self.last_activity = t
        if (
            self.charging_state == "Starting"
            and self.starting_since is not None
            and t >= self.starting_since + self.settings.starting_seconds - EPS
        ):
            self.charging_state = "Stopped" if self.held else "Charging"
            self.starting_since = None
        if self.charging_state == "Charging" and self.battery_level >= self.limit - 1e-9:
            self.battery_level = max(self.battery_level, float(self.limit))
            self.charging_state = "Complete"
            self.last_activity = t
            self.events.append((t, "complete"))
        if self.next_scheduled_start is not None and t >= self.next_scheduled_start - EPS:
            self._scheduled_start()
        if self.next_charge_schedule_event is not None and t >= self.next_charge_schedule_event - EPS:
            self._run_charge_schedules(self.next_charge_schedule_event)
        if self._can_sleep() and t >= self.last_activity + self.settings.sleep_after - EPS:
            self.state = "asleep"
            self.events.append((t, "asleep"))

    def _settle(self) -> None:
        """Make charging_state consistent after something changed from outside."""
        if not self.plugged:
            self.charging_state = "Disconnected"
            self.starting_since = None
            return
        if self.pilot_current <= 0:
            if self.charging_state != "NoPower":
                self.resume_on_power = self.charging
            self.charging_state = "NoPower"
            self.starting_since = None
            return
        if self.charging_state == "NoPower":
            # Power is back: a car that was charging carries on (invented; see the README).
            self.charging_state = "Stopped"
            if self.resume_on_power and self.battery_level < self.limit:
                self._begin_charging()
        if self.charging and self.battery_level >= self.limit:
            self.charging_state = "Complete"
            self.starting_since = None
        elif self.charging_state == "Complete" and self.battery_level < self.limit - 0.5:
            # A raised limit resumes charging, as the car does after the app raises it.
            # (Only charging reaches Complete, so the user has not stopped this car.)
            self._begin_charging()

    def _begin_charging(self) -> None:
        if self.settings.low_amps_needs_repeat and self.amps_request < LOW_AMPS_FLOOR:
            # Cars with the quirk reset a low request to the floor when charging restarts.
            self.amps_request = min(LOW_AMPS_FLOOR, self.amps_max)
        self.charging_state = "Starting"
        self.starting_since = self.t
        self.user_stopped = False
        self._wake_by_itself()

    def _wake_by_itself(self) -> None:
        """The car wakes for something of its own (plugging in, a schedule, charging).

        A car forced offline still does what it does but stays unreachable.
        """
        if not self.forced_offline:
            self.state = "online"
        self.last_activity = self.t

    # -------------------------------------------------------------- schedule
    def _local_minutes_to_epoch(self, minutes: int, after: float) -> float:
        """The first moment strictly after ``after`` at ``minutes`` past local midnight."""
        local = datetime.fromtimestamp(after, self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        candidate = midnight + timedelta(minutes=minutes)
        if candidate.timestamp() <= after + EPS:
            candidate = (midnight + timedelta(days=1)).replace(hour=minutes // 60, minute=minutes % 60)
        return candidate.timestamp()

    def _scheduled_start_minutes(self) -> int | None:
        if self.schedule_mode == "StartAt":
            return self.schedule_minutes
        if self.schedule_mode == "DepartBy" and self.departure.off_peak_charging_enabled:
            # Off-peak charging: start early enough to reach the limit by departure.
            # The current the car will draw is its request, capped by what the EVSE offers.
            needed_pct = max(self.limit - self.battery_level, 0.0)
            amps = max(min(self.amps_request, self.pilot_current), 1)
            power = amps * self.line_voltage * self.phases / 1000.0
            needed_min = math.ceil(needed_pct / 100.0 * self.capacity_kwh / power * 60.0)
            return (self.departure.departure_minutes - needed_min) % 1440
        return None

    def _plan_schedule(self) -> None:
        minutes = self._scheduled_start_minutes()
        self.next_scheduled_start = None if minutes is None else self._local_minutes_to_epoch(minutes, self.t)

    def _scheduled_start(self) -> None:
        self.events.append((self.t, "scheduled_start"))
        if (
            self.plugged
            and self.charging_state in ("Stopped",)
            and self.battery_level < self.limit
            and self.pilot_current > 0
        ):
            self._begin_charging()
        self._plan_schedule()  # the same time tomorrow

    # ------------------------------------------------------ charge schedules
    @property
    def uses_charge_schedules(self) -> bool:
        """Firmware 2024.26+: charge schedules replace scheduled charging and departure."""
        return schedules.uses_charge_schedules(self.firmware)

    def _waits_for_charge_schedule(self) -> bool:
        """An enabled charge schedule with a start: plugging in waits for it."""
        return any(s.enabled and s.start_enabled and s.days_of_week for s in self.charge_schedules.values())

    def _plan_charge_schedules(self, after: float | None = None) -> None:
        start = self.t if after is None else after
        self.next_charge_schedule_event = schedules.next_boundary(
            self.charge_schedules.values(), start, self.tz
        )

    def _run_charge_schedules(self, at: float) -> None:
        for kind, schedule in schedules.due(self.charge_schedules.values(), at, self.tz):
            self.events.append((at, f"charge_schedule_{kind}"))
            if kind == "end" and self.charging:
                self.charging_state = "Stopped"
                self.starting_since = None
            elif (
                kind == "start"
                and self.plugged
                and self.charging_state == "Stopped"
                and self.battery_level < self.limit
                and self.pilot_current > 0
            ):
                self._begin_charging()
            if schedule.one_time and (kind == "end" or not schedule.end_enabled):
                schedule.enabled = False  # a one-time schedule has run
        self._plan_charge_schedules(after=at)

    def charge_schedule_data(self) -> dict[str, Any]:
        return {
            "charge_schedules": [s.as_dict() for s in self.charge_schedules.values()],
            "charge_buffer": 6,
            "max_num_charge_schedules": schedules.MAX_SCHEDULES,
            "next_schedule": False,
            "show_schedule_complete_state": True,
            "timestamp": {"seconds": int(self.t), "nanos": 0},
        }

    def preconditioning_schedule_data(self) -> dict[str, Any]:
        return {
            "precondition_schedules": [s.as_dict() for s in self.precondition_schedules.values()],
            "max_num_precondition_schedules": schedules.MAX_SCHEDULES,
            "next_schedule": False,
            "timestamp": {"seconds": int(self.t), "nanos": 0},
        }

    @property
    def scheduled_pending(self) -> bool:
        """Whether the next scheduled start will begin charging (see ``_scheduled_start``).

        A manual stop does not cancel a schedule: the next start still begins charging.
        """
        return (
            self.schedule_mode != "Off"
            and self.plugged
            and self.charging_state == "Stopped"
            and self.battery_level < self.limit
            and self.next_scheduled_start is not None
        )

    # ----------------------------------------------------------- sleep/wake
    def touch(self) -> None:
        """Activity that keeps an awake car awake."""
        if self.state == "online":
            self.last_activity = self.t

    def wake(self) -> None:
        if self.forced_offline:
            return
        if self.state == "online":
            self.last_activity = self.t
            return
        if self.settings.wake_delay <= 0:
            self.state = "online"
            self.last_activity = self.t
        elif self.waking_until is None:
            self.waking_until = self.t + self.settings.wake_delay

    def set_state(self, state: str) -> None:
        """Admin: force ``online``, ``asleep`` or ``offline``."""
        if state not in ("online", "asleep", "offline"):
            raise ValueError(f"unknown state {state!r}")
        self.forced_offline = state == "offline"
        self.waking_until = None
        self.state = state
        self.last_activity = self.t

    # ------------------------------------------------------- outside events
    def plug_in(self) -> None:
        self.drive = None
        self.plugged = True
        self.door_open = True
        self.latch = "Engaged"
        self.energy_added = 0.0
        self.user_stopped = False
        self.charging_state = "Stopped"
        self._wake_by_itself()
        self._plan_schedule()
        if (
            self.battery_level < self.limit
            and self.schedule_mode == "Off"
            and not self._waits_for_charge_schedule()
        ):
            self._begin_charging()  # without power yet, _settle() makes it wait for power
        self._settle()

    def unplug(self) -> None:
        self.plugged = False
        self.latch = "Disengaged"
        self.last_activity = self.t
        self._settle()

    def start_drive(self, minutes: float, miles: float, kwh_per_mile: float = 0.25) -> None:
        if self.plugged:
            self.unplug()
        self.door_open = False
        seconds = max(minutes * 60.0, 1.0)
        pct = miles * kwh_per_mile / self.capacity_kwh * 100.0
        self.drive = Drive(
            until=self.t + seconds,
            pct_per_second=pct / seconds,
            miles_per_second=miles / seconds,
        )
        self.forced_offline = False
        self.waking_until = None
        self.state = "online"
        self.last_activity = self.t

    def set_pilot_current(self, amps: int) -> None:
        self.pilot_current = max(0, amps)
        self._settle()
        self._plan_schedule()  # a DepartBy start depends on the current on offer

    def move_to(self, latitude: float, longitude: float) -> None:
        """Admin/scenario: the car is now here (nothing else changes)."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude must be within -90..90 and longitude within -180..180")
        self.latitude, self.longitude = float(latitude), float(longitude)

    def set_battery_level(self, level: float) -> None:
        """Admin/timeline: change the state of charge from outside."""
        self.battery_level = min(max(float(level), 0.0), 100.0)
        self._settle()
        self._plan_schedule()  # a DepartBy start depends on the energy still needed

    # --------------------------------------------------------------- commands
    def command(self, name: str, params: dict[str, Any]) -> tuple[bool, str]:
        """Run a charging command on an online car. Returns ``(result, reason)``."""
        self.touch()
        self.replay = False  # From now on the car reports what the physics say.
        handler = getattr(self, f"_cmd_{name}")
        result: tuple[bool, str] = handler(**params)
        self._settle()
        self._plan_schedule()
        return result

    def _cmd_charge_port_door_open(self) -> tuple[bool, str]:
        if not self.door_open:
            self.door_open = True
        elif self.plugged:
            # Unlock the cable: the car stops charging and releases the latch.
            if self.charging:
                self.charging_state = "Stopped"
                self.user_stopped = True
            self.latch = "Disengaged"
        return True, ""

    def _cmd_charge_port_door_close(self) -> tuple[bool, str]:
        if not self.motorized_port:
            return False, REASON_NOT_SUPPORTED
        if not self.door_open:
            return False, REASON_ALREADY_CLOSED
        if self.plugged:
            return False, REASON_CABLE_CONNECTED
        self.door_open = False
        return True, ""

    def _cmd_charge_start(self) -> tuple[bool, str]:
        if not self.plugged:
            return False, REASON_DISCONNECTED
        if self.charging:
            return False, REASON_IS_CHARGING
        if self.charging_state == "NoPower":
            return False, REASON_NO_POWER
        if self.battery_level >= self.limit:
            return False, REASON_COMPLETE
        self.latch = "Engaged"
        self._begin_charging()
        return True, ""

    def _cmd_charge_stop(self) -> tuple[bool, str]:
        if not self.charging:
            return False, REASON_NOT_CHARGING
        self.charging_state = "Stopped"
        self.starting_since = None
        self.user_stopped = True
        return True, ""

    def _set_limit(self, percent: int) -> None:
        self.limit = percent  # _settle() resumes a Complete car below its new limit

    def _cmd_charge_standard(self) -> tuple[bool, str]:
        if self.limit == self.limit_std:
            return False, REASON_ALREADY_STANDARD
        self._set_limit(self.limit_std)
        return True, ""

    def _cmd_charge_max_range(self) -> tuple[bool, str]:
        if self.limit == self.limit_max:
            return False, REASON_ALREADY_MAX_RANGE
        self._set_limit(self.limit_max)
        return True, ""

    def _cmd_set_charge_limit(self, percent: int) -> tuple[bool, str]:
        # The car clamps instead of refusing (a percent of 1 becomes the minimum).
        value = min(max(int(percent), self.limit_min), self.limit_max)
        if value == self.limit:
            return False, REASON_ALREADY_SET
        self._set_limit(value)
        return True, ""

    def _cmd_set_charging_amps(self, charging_amps: int) -> tuple[bool, str]:
        value = min(max(int(charging_amps), 0), self.amps_max)
        if (
            self.settings.low_amps_needs_repeat
            and value < LOW_AMPS_FLOOR
            # A value that already stuck stays; a repeated one sticks now.
            and value not in (self.amps_request, self.low_amps_pending)
        ):
            self.low_amps_pending = value
            value = LOW_AMPS_FLOOR
        else:
            self.low_amps_pending = None
        self.amps_request = value
        return True, ""

    def _cmd_set_scheduled_charging(self, enable: bool, time: int = 0) -> tuple[bool, str]:
        if self.uses_charge_schedules:
            return True, ""  # deprecated on 2024.26+: "returns success but nothing changes"
        if enable:
            self.schedule_mode = "StartAt"
            self.schedule_minutes = int(time)
            self.schedule_app_minutes = int(time)
        elif self.schedule_mode == "StartAt":
            self.schedule_mode = "Off"
        return True, ""

    def _cmd_set_scheduled_departure(
        self,
        enable: bool,
        departure_time: int = 0,
        preconditioning_enabled: bool = False,
        preconditioning_weekdays_only: bool = False,
        off_peak_charging_enabled: bool = False,
        off_peak_charging_weekdays_only: bool = False,
        end_off_peak_time: int = 0,
    ) -> tuple[bool, str]:
        if self.uses_charge_schedules:
            return True, ""  # deprecated on 2024.26+, as set_scheduled_charging
        if not enable:
            # Disabling clears the departure; the other fields are ignored.
            self.departure = Departure(
                departure_minutes=self.departure.departure_minutes,
                end_off_peak_minutes=self.departure.end_off_peak_minutes,
            )
            if self.schedule_mode == "DepartBy":
                self.schedule_mode = "Off"
            return True, ""
        self.departure = Departure(
            enabled=True,
            departure_minutes=int(departure_time),
            preconditioning_enabled=bool(preconditioning_enabled or preconditioning_weekdays_only),
            preconditioning_weekdays_only=bool(preconditioning_weekdays_only),
            off_peak_charging_enabled=bool(off_peak_charging_enabled or off_peak_charging_weekdays_only),
            off_peak_charging_weekdays_only=bool(off_peak_charging_weekdays_only),
            end_off_peak_minutes=int(end_off_peak_time),
        )
        if self.departure.off_peak_charging_enabled:
            self.schedule_mode = "DepartBy"
        elif self.schedule_mode == "DepartBy":
            self.schedule_mode = "Off"
        return True, ""

    def _cmd_add_charge_schedule(self, **params: Any) -> tuple[bool, str]:
        if not self.uses_charge_schedules:
            return False, REASON_NOT_SUPPORTED
        schedule_id = params.get("id") or schedules.new_schedule_id(self.t, self.charge_schedules)
        self.charge_schedules[schedule_id] = schedules.charge_schedule(params, schedule_id)
        self._plan_charge_schedules()
        return True, ""

    def _cmd_remove_charge_schedule(self, id: int) -> tuple[bool, str]:  # noqa: A002 - Tesla's name
        if not self.uses_charge_schedules:
            return False, REASON_NOT_SUPPORTED
        self.charge_schedules.pop(id, None)  # removing an unknown id succeeds (invented)
        self._plan_charge_schedules()
        return True, ""

    def _cmd_add_precondition_schedule(self, **params: Any) -> tuple[bool, str]:
        if not self.uses_charge_schedules:
            return False, REASON_NOT_SUPPORTED
        schedule_id = params.get("id") or schedules.new_schedule_id(self.t, self.precondition_schedules)
        self.precondition_schedules[schedule_id] = schedules.precondition_schedule(params, schedule_id)
        return True, ""

    def _cmd_remove_precondition_schedule(self, id: int) -> tuple[bool, str]:  # noqa: A002
        if not self.uses_charge_schedules:
            return False, REASON_NOT_SUPPORTED
        self.precondition_schedules.pop(id, None)
        return True, ""

    # -------------------------------------------------------------- payloads
    def summary(self) -> dict[str, Any]:
        """The object that the vehicle list and ``GET /vehicles/{id}`` return."""
        keys = (
            "user_id", "color", "access_type", "granular_access", "tokens", "in_service",
            "calendar_enabled", "api_version", "backseat_token", "backseat_token_updated_at",
            "ble_autopair_enrolled", "option_codes",
        )  # fmt: skip
        out: dict[str, Any] = {k: self.base[k] for k in keys if k in self.base}
        out.update(
            id=self.vehicle_id,
            vehicle_id=self.base.get("vehicle_id", self.vehicle_id),
            vin=self.vin,
            display_name=self.display_name,
            state=self.state,
            id_s=str(self.vehicle_id),
            command_signing=self.command_signing,
        )
        return out

    def _next_epoch(self, minutes: int) -> int:
        """Epoch seconds of the next ``minutes`` past local midnight."""
        return int(self._local_minutes_to_epoch(minutes, self.t))

    def charge_state(self) -> dict[str, Any]:
        """``charge_state`` as the car reports it now."""
        if self.replay:
            return dict(self.base.get("charge_state", {}))
        out = dict(self.base.get("charge_state", {}))
        level = self.battery_level
        charging = self.charging_state == "Charging"
        battery_range = level * self.miles_per_pct
        rate_mph = self.power_kw * self.miles_per_kwh if charging else 0.0
        remaining_pct = max(self.limit - level, 0.0)
        if charging and self.pct_per_second > 0:
            minutes_to_full = round(remaining_pct / self.pct_per_second / 60.0)
        else:
            minutes_to_full = 0
        if self.plugged:
            port_color = {"Charging": "FlashingGreen", "Starting": "FlashingGreen"}.get(
                self.charging_state, "Green" if self.charging_state == "Complete" else "White"
            )
        else:
            port_color = "Off" if not self.door_open else "White"
        out.update(
            battery_level=round(level),
            usable_battery_level=round(level),
            battery_range=round(battery_range, 2),
            est_battery_range=round(battery_range * self.est_ratio, 2),
            ideal_battery_range=round(battery_range * self.ideal_ratio, 2),
            charge_amps=self.amps_request,
            charge_current_request=self.amps_request,
            charge_current_request_max=self.amps_max,
            charge_enable_request=not self.user_stopped,
            charge_energy_added=round(self.energy_added, 2),
            charge_miles_added_rated=round(self.energy_added * self.miles_per_kwh, 1),
            charge_miles_added_ideal=round(self.energy_added * self.miles_per_kwh * self.ideal_ratio, 1),
            charge_limit_soc=self.limit,
            charge_limit_soc_min=self.limit_min,
            charge_limit_soc_max=self.limit_max,
            charge_limit_soc_std=self.limit_std,
            charge_port_door_open=self.door_open,
            charge_port_latch=self.latch if self.plugged else "Disengaged",
            charge_port_color=port_color,
            charge_rate=round(rate_mph, 1),
            charger_actual_current=self.actual_current,
            charger_pilot_current=self.pilot_current if self.plugged else 0,
            charger_power=round(self.power_kw),
            charger_voltage=self.line_voltage if charging else (2 if self.plugged else 0),
            charger_phases=self.phases if charging else None,
            charging_state=self.charging_state,
            conn_charge_cable=self.cable if self.plugged else "<invalid>",
            minutes_to_full_charge=minutes_to_full,
            time_to_full_charge=round(minutes_to_full / 60.0, 2),
            off_peak_charging_enabled=self.departure.off_peak_charging_enabled,
            off_peak_charging_times=(
                "weekdays" if self.departure.off_peak_charging_weekdays_only else "all_week"
            ),
            off_peak_hours_end_time=self.departure.end_off_peak_minutes,
            preconditioning_enabled=self.departure.preconditioning_enabled,
            preconditioning_times=(
                "weekdays" if self.departure.preconditioning_weekdays_only else "all_week"
            ),
            scheduled_charging_mode=self.schedule_mode,
            scheduled_charging_pending=self.scheduled_pending,
            # The planned start, so the car starts when it says it will.
            scheduled_charging_start_time=(
                int(self.next_scheduled_start)
                if self.schedule_mode != "Off" and self.next_scheduled_start is not None
                else None
            ),
            scheduled_charging_start_time_minutes=(
                self.schedule_minutes if self.schedule_mode == "StartAt" else None
            ),
            scheduled_charging_start_time_app=self.schedule_app_minutes,
            scheduled_departure_time=self._next_epoch(self.departure.departure_minutes),
            scheduled_departure_time_minutes=self.departure.departure_minutes,
            user_charge_enable_request=None if not self.user_stopped else False,
            timestamp=int(self.t * 1000),
        )
        if "energy_remaining" in out:
            out["energy_remaining"] = round(level / 100.0 * self.capacity_kwh, 2)
        return out

    def vehicle_data(self, endpoints: list[str] | None) -> dict[str, Any]:
        """The ``vehicle_data`` response body for the requested endpoints."""
        wanted = set(endpoints) if endpoints else {
            "charge_state", "climate_state", "drive_state", "gui_settings",
            "vehicle_config", "vehicle_state",
        }  # fmt: skip
        out = self.summary()
        stamp = int(self.t * 1000)
        if "charge_state" in wanted:
            out["charge_state"] = self.charge_state()
        for section in ("climate_state", "gui_settings", "vehicle_config", "charge_schedule_data"):
            if section in wanted and section in self.base:
                out[section] = {**self.base[section], "timestamp": stamp}
        if self.uses_charge_schedules:
            # Like location_data, only when asked for; older firmware has neither.
            if "charge_schedule_data" in wanted:
                out["charge_schedule_data"] = self.charge_schedule_data()
            if "preconditioning_schedule_data" in wanted:
                out["preconditioning_schedule_data"] = self.preconditioning_schedule_data()
        if "vehicle_state" in wanted:
            vstate = dict(self.base.get("vehicle_state", {}))
            vstate.update(odometer=round(self.odometer, 6), vehicle_name=self.display_name)
            vstate["car_version"] = self.firmware
            vstate["timestamp"] = stamp
            out["vehicle_state"] = vstate
        if wanted & {"drive_state", "location_data"}:
            drive = dict(self.base.get("drive_state", {}))
            drive.update(
                shift_state="D" if self.drive else None,
                speed=40 if self.drive else None,
                power=-round(self.power_kw) if self.charging else 0,
                timestamp=stamp,
            )
            if self.latitude is not None and self.longitude is not None:
                drive.update(
                    latitude=self.latitude,
                    longitude=self.longitude,
                    native_latitude=self.latitude,
                    native_longitude=self.longitude,
                )
            if "location_data" not in wanted:
                # Since firmware 2023.38 the location needs the location_data endpoint.
                for key in list(drive):
                    if "latitude" in key or "longitude" in key or key == "heading":
                        drive.pop(key)
            out["drive_state"] = drive
        return out
