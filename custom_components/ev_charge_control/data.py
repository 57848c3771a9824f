"""What entities read: one provider-neutral snapshot per vehicle, and its capabilities.

Each provider maps its own payloads (Tesla's ``charge_state``, re.alto's readings and
commands) into ``EVData``; entity descriptions read ``EVData`` only and are created
from ``Capability`` flags, so no entity code needs to know which API a car uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Capability(StrEnum):
    """What a vehicle's API lets the integration show or do."""

    CHARGING = "charging"
    """Start and stop charging."""
    CHARGE_LIMIT = "charge_limit"
    CHARGING_AMPS = "charging_amps"
    CHARGE_PORT = "charge_port"
    CHARGE_LIMIT_PRESETS = "charge_limit_presets"
    """Standard and max-range buttons."""
    SCHEDULED_CHARGING = "scheduled_charging"
    """A daily scheduled charging start time."""
    SCHEDULED_DEPARTURE = "scheduled_departure"
    CHARGING_WINDOWS = "charging_windows"
    """Charging between a start and an end datetime (the schedule_charging action)."""
    CHARGER_DETAILS = "charger_details"
    """Charging state, power, current, voltage, rate, energy added, time to full."""
    MEASURED_CHARGING = "measured_charging"
    """The car's own readings say whether it is charging (``EVData.charging_measured``),
    apart from the state last asked for, which the Charging switch shows."""
    ODOMETER = "odometer"
    COMMAND_STATUS = "command_status"
    """Commands run asynchronously and report a status."""
    COMMAND_COOLDOWN = "command_cooldown"
    API_COSTS = "api_costs"
    CHARGE_PLAN = "charge_plan"
    """The car can hold a ready-by plan's charging windows (``Vehicle.plan_limits``),
    so it charges as planned even while Home Assistant is down."""
    AWAKE_STATE = "awake_state"
    """Whether the car is awake (``EVData.online``): Tesla reports it; re.alto's
    readings do not, so an "Awake" sensor there would be unknown forever."""
    CHARGE_ENERGY = "charge_energy"
    """The car reports an energy counter (``EVData.energy_added_kwh``, per session) or
    meter (``EVData.energy_meter_kwh``, cumulative), so the energy charged at home can
    be counted."""


class ChargingStatus(StrEnum):
    """The charging state shown by the charging-state sensor."""

    STARTING = "starting"
    CHARGING = "charging"
    STOPPED = "stopped"
    COMPLETE = "complete"
    DISCONNECTED = "disconnected"
    NO_POWER = "no_power"


@dataclass(frozen=True, slots=True)
class CommandStatus:
    """The last asynchronous command and how it ended (or where it is)."""

    command: str
    status: str
    """Lower-case: pending, triggered, sent, succeeded, failed, canceled; timed_out
    (followed too long without an end); unknown (the platform lost it)."""
    trigger_time: datetime | None = None
    error_title: str | None = None
    error_description: str | None = None
    platform_status: str | None = None
    """The platform's own word, when it is not one of the statuses above."""


@dataclass(frozen=True, slots=True)
class EVData:
    """A vehicle's state as last known. ``None`` means unknown."""

    online: bool | None = None
    """Whether the car is awake and reachable right now."""
    updated_at: datetime | None = None
    """When the vehicle values below were last fresh."""
    battery_level: int | None = None
    range_km: float | None = None
    charging: bool | None = None
    charging_status: ChargingStatus | None = None
    charging_measured: bool | None = None
    """Whether the car's last reading says it is charging. Commands never set it:
    ``charging`` shows the state asked for right after a command, this waits for the car."""
    plugged_in: bool | None = None
    charge_limit: int | None = None
    charge_limit_min: int | None = None
    charge_limit_max: int | None = None
    charge_limit_standard: int | None = None
    charging_amps: int | None = None
    charging_amps_max: int | None = None
    charger_power_kw: float | None = None
    charger_current_a: float | None = None
    """The current the car draws from the charger (0 while plugged in and not charging)."""
    charger_voltage_v: float | None = None
    """The charger's voltage as the car measures it (a few volts while not charging)."""
    charge_rate_km_h: float | None = None
    energy_added_kwh: float | None = None
    minutes_to_full: int | None = None
    charge_port_open: bool | None = None
    scheduled_charging_enabled: bool | None = None
    scheduled_charging_minutes: int | None = None
    scheduled_charging_start: datetime | None = None
    odometer_km: float | None = None
    last_command: CommandStatus | None = None
    cooldown_until: datetime | None = None
    latitude: float | None = None
    """Where the car is (with ``longitude``), when its API says; personal data, redacted
    from diagnostics."""
    longitude: float | None = None
    energy_meter_kwh: float | None = None
    """A cumulative meter of the energy the car took in (re.alto's positiveActiveEnergy),
    unlike ``energy_added_kwh``, which starts again with each session."""
    location_labels: tuple[str, ...] | None = None
    """The names of the places the platform matched the car's position to (re.alto's
    locationMatches); ``()``: it matched none."""
