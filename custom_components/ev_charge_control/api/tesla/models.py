"""Typed views of Tesla's vehicle API payloads.

Every field is optional: the Owner API, the Fleet API and different firmware report
different subsets, and a missing value must read as "unknown", not crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
import re
from typing import Any, Final

from .const import ChargingState, VehicleState


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    # Python's JSON reader lets NaN and Infinity through; neither is a reading.
    return number if math.isfinite(number) else None


# Epoch seconds past this (the year 5138) are milliseconds: some compatible services
# send those, and taking them for seconds would name a date Python cannot hold.
_MILLISECONDS_FROM = 100_000_000_000
_LATEST_EPOCH = 32_503_680_000  # 3000-01-01: anything later is not a real schedule


def _epoch(value: Any) -> int | None:
    """A Unix time in seconds, from seconds or milliseconds; None when implausible."""
    number = _int(value)
    if number is not None and number >= _MILLISECONDS_FROM:
        number //= 1000
    return number if number is not None and 0 <= number < _LATEST_EPOCH else None


def _hours(value: Any) -> float | None:
    """A duration in hours: a finite, non-negative figure below a year, or unknown."""
    number = _float(value)
    return number if number is not None and 0 <= number < 24 * 366 else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle as the list and single-vehicle calls describe it."""

    vin: str
    vehicle_id: int | None
    display_name: str | None
    state: VehicleState
    command_signing: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vehicle:
        try:
            state = VehicleState(str(data.get("state")))
        except ValueError:
            state = VehicleState.UNKNOWN
        return cls(
            vin=_str(data.get("vin")) or "",  # str() would turn a null VIN into "None"
            vehicle_id=_int(data.get("id")),
            display_name=_str(data.get("display_name")),
            state=state,
            command_signing=_str(data.get("command_signing")),
            raw=data,
        )

    @property
    def is_online(self) -> bool:
        return self.state is VehicleState.ONLINE


@dataclass(frozen=True, slots=True)
class ChargeState:
    """``charge_state``: the fields the integration reads, each possibly missing."""

    battery_level: int | None = None
    usable_battery_level: int | None = None
    battery_range: float | None = None
    est_battery_range: float | None = None
    charge_limit_soc: int | None = None
    charge_limit_soc_min: int | None = None
    charge_limit_soc_max: int | None = None
    charge_limit_soc_std: int | None = None
    charge_current_request: int | None = None
    charge_current_request_max: int | None = None
    charger_actual_current: int | None = None
    charger_pilot_current: int | None = None
    charger_power: float | None = None
    charger_voltage: int | None = None
    charger_phases: int | None = None
    charge_rate: float | None = None
    charge_energy_added: float | None = None
    charging_state: ChargingState | None = None
    charge_port_door_open: bool | None = None
    charge_port_latch: str | None = None
    conn_charge_cable: str | None = None
    minutes_to_full_charge: int | None = None
    time_to_full_charge: float | None = None
    scheduled_charging_mode: str | None = None
    scheduled_charging_pending: bool | None = None
    scheduled_charging_start_time: int | None = None
    scheduled_charging_start_time_minutes: int | None = None
    scheduled_departure_time_minutes: int | None = None
    off_peak_charging_enabled: bool | None = None
    off_peak_charging_times: str | None = None
    off_peak_hours_end_time: int | None = None
    preconditioning_enabled: bool | None = None
    preconditioning_times: str | None = None
    timestamp: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChargeState:
        state_text = _str(data.get("charging_state"))
        charging_state: ChargingState | None = None
        if state_text is not None:
            try:
                charging_state = ChargingState(state_text)
            except ValueError:
                charging_state = ChargingState.UNKNOWN
        minutes = _int(data.get("scheduled_charging_start_time_minutes"))
        if minutes is None:
            # Firmware reports the start time only while the schedule is on; the value
            # last set in the app is the car's time for when it is turned on again.
            minutes = _int(data.get("scheduled_charging_start_time_app"))
        return cls(
            battery_level=_int(data.get("battery_level")),
            usable_battery_level=_int(data.get("usable_battery_level")),
            battery_range=_float(data.get("battery_range")),
            est_battery_range=_float(data.get("est_battery_range")),
            charge_limit_soc=_int(data.get("charge_limit_soc")),
            charge_limit_soc_min=_int(data.get("charge_limit_soc_min")),
            charge_limit_soc_max=_int(data.get("charge_limit_soc_max")),
            charge_limit_soc_std=_int(data.get("charge_limit_soc_std")),
            charge_current_request=_int(data.get("charge_current_request")),
            charge_current_request_max=_int(data.get("charge_current_request_max")),
            charger_actual_current=_int(data.get("charger_actual_current")),
            charger_pilot_current=_int(data.get("charger_pilot_current")),
            charger_power=_float(data.get("charger_power")),
            charger_voltage=_int(data.get("charger_voltage")),
            charger_phases=_int(data.get("charger_phases")),
            charge_rate=_float(data.get("charge_rate")),
            charge_energy_added=_float(data.get("charge_energy_added")),
            charging_state=charging_state,
            charge_port_door_open=_bool(data.get("charge_port_door_open")),
            charge_port_latch=_str(data.get("charge_port_latch")),
            conn_charge_cable=_str(data.get("conn_charge_cable")),
            minutes_to_full_charge=_int(data.get("minutes_to_full_charge")),
            time_to_full_charge=_hours(data.get("time_to_full_charge")),
            scheduled_charging_mode=_str(data.get("scheduled_charging_mode")),
            scheduled_charging_pending=_bool(data.get("scheduled_charging_pending")),
            scheduled_charging_start_time=_epoch(data.get("scheduled_charging_start_time")),
            scheduled_charging_start_time_minutes=minutes,
            scheduled_departure_time_minutes=_int(data.get("scheduled_departure_time_minutes")),
            off_peak_charging_enabled=_bool(data.get("off_peak_charging_enabled")),
            off_peak_charging_times=_str(data.get("off_peak_charging_times")),
            off_peak_hours_end_time=_int(data.get("off_peak_hours_end_time")),
            preconditioning_enabled=_bool(data.get("preconditioning_enabled")),
            preconditioning_times=_str(data.get("preconditioning_times")),
            timestamp=_int(data.get("timestamp")),
            raw=data,
        )

    @property
    def is_charging(self) -> bool:
        return self.charging_state in (ChargingState.STARTING, ChargingState.CHARGING)

    @property
    def is_plugged_in(self) -> bool | None:
        """Whether a cable is connected; ``None`` when the car does not say."""
        if self.charging_state is None or self.charging_state is ChargingState.UNKNOWN:
            return None
        if self.charging_state is ChargingState.DISCONNECTED:
            # The state can flap to Disconnected when the EVSE cuts power; a latched
            # cable means it is still plugged in.
            return self.charge_port_latch == "Engaged" and self.conn_charge_cable not in (
                None, "<invalid>", "SNA",
            )  # fmt: skip
        return True


DAY_BITS: Final = {"sun": 1, "mon": 2, "tue": 4, "wed": 8, "thu": 16, "fri": 32, "sat": 64}
"""Tesla's ``days_of_week`` bitmask: Sunday is bit 0."""
ALL_DAYS: Final = 0b1111111
WEEKDAYS: Final = 0b0111110


def days_from_text(text: str) -> int | None:
    """A day list as the REST API writes it ("All", "Weekdays", "Mon,Tuesday") as a bitmask."""
    mask = 0
    for part in text.split(","):
        name = part.strip().lower()
        if name == "all":
            mask |= ALL_DAYS
        elif name == "weekdays":
            mask |= WEEKDAYS
        elif len(name) >= 3 and name[:3] in DAY_BITS:
            mask |= DAY_BITS[name[:3]]
        else:
            return None
    return mask or None


def _days(value: Any) -> int:
    if isinstance(value, str):
        return days_from_text(value) or 0
    number = _int(value)
    return number & ALL_DAYS if number is not None else 0


@dataclass(frozen=True, slots=True)
class ChargeSchedule:
    """One of a car's charge schedules (firmware 2024.26+): charge between times, on days.

    ``days_of_week`` is a bitmask (Sunday 1 ... Saturday 64); times are minutes after
    the car's local midnight; the location ties the schedule to a place.
    """

    id: int
    name: str = ""
    days_of_week: int = 0
    start_enabled: bool = False
    start_time: int = 0
    end_enabled: bool = False
    end_time: int = 0
    one_time: bool = False
    enabled: bool = False
    latitude: float = 0.0
    longitude: float = 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChargeSchedule:
        """Tolerant: a missing or odd value reads as protobuf's default (0, false, ""),
        which is also what the car means when it leaves a field out."""
        return cls(
            id=_schedule_id(data.get("id")) or 0,
            name=_str(data.get("name")) or "",
            days_of_week=_days(data.get("days_of_week")),
            start_enabled=_bool(data.get("start_enabled")) or False,
            start_time=_int(data.get("start_time")) or 0,
            end_enabled=_bool(data.get("end_enabled")) or False,
            end_time=_int(data.get("end_time")) or 0,
            one_time=_bool(data.get("one_time")) or False,
            enabled=_bool(data.get("enabled")) or False,
            latitude=_float(data.get("latitude")) or 0.0,
            longitude=_float(data.get("longitude")) or 0.0,
        )


@dataclass(frozen=True, slots=True)
class PreconditionSchedule:
    """One of a car's precondition schedules: be at temperature at a time, on days."""

    id: int
    name: str = ""
    days_of_week: int = 0
    precondition_time: int = 0
    one_time: bool = False
    enabled: bool = False
    latitude: float = 0.0
    longitude: float = 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreconditionSchedule:
        return cls(
            id=_schedule_id(data.get("id")) or 0,
            name=_str(data.get("name")) or "",
            days_of_week=_days(data.get("days_of_week")),
            precondition_time=_int(data.get("precondition_time")) or 0,
            one_time=_bool(data.get("one_time")) or False,
            enabled=_bool(data.get("enabled")) or False,
            latitude=_float(data.get("latitude")) or 0.0,
            longitude=_float(data.get("longitude")) or 0.0,
        )


def _schedule_id(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and 0 <= number < 1 << 64 else None


def _schedules[S: (ChargeSchedule, PreconditionSchedule)](
    section: Any, key: str, parse: type[S]
) -> tuple[S, ...] | None:
    """The schedules in a data section; ``None`` when the section is absent."""
    if not isinstance(section, Mapping):
        return None
    items = section.get(key)
    if not isinstance(items, list):
        return ()
    return tuple(
        parse.from_dict(item)
        for item in items
        if isinstance(item, Mapping) and _schedule_id(item.get("id")) is not None
    )


SCHEDULES_FIRMWARE: Final = (2024, 26)
"""From this firmware on, charge schedules replace scheduled charging and departure."""
_FIRMWARE = re.compile(r"^\s*(\d{4})\.(\d+)")


def firmware_version(text: str | None) -> tuple[int, int] | None:
    """``(year, week)`` of a firmware string such as "2024.32.7 abcdef"."""
    match = _FIRMWARE.match(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _position(drive: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """``drive_state``'s latitude and longitude, or neither: a half position, one out of
    range, or 0, 0 (what some replies hold for "no fix") is no position."""
    latitude, longitude = _float(drive.get("latitude")), _float(drive.get("longitude"))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    if latitude == 0 and longitude == 0:
        return None, None
    return latitude, longitude


@dataclass(frozen=True, slots=True)
class VehicleData:
    """A ``vehicle_data`` answer."""

    vehicle: Vehicle
    charge_state: ChargeState | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    charge_schedules: tuple[ChargeSchedule, ...] | None = None
    """``None`` when ``charge_schedule_data`` was not in the answer."""
    precondition_schedules: tuple[PreconditionSchedule, ...] | None = None
    firmware: str | None = None
    """``vehicle_state.car_version``, e.g. "2024.32.7 abcdef"; only with that section."""
    latitude: float | None = None
    """``drive_state.latitude``: on firmware 2023.38+ only when ``location_data`` was
    asked for (which needs the ``vehicle_location`` scope)."""
    longitude: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VehicleData:
        charge = data.get("charge_state")
        vehicle_state = data.get("vehicle_state")
        drive = data.get("drive_state")
        latitude, longitude = _position(drive) if isinstance(drive, Mapping) else (None, None)
        return cls(
            vehicle=Vehicle.from_dict(data),
            charge_state=ChargeState.from_dict(charge) if isinstance(charge, Mapping) else None,
            raw=data,
            charge_schedules=_schedules(data.get("charge_schedule_data"), "charge_schedules", ChargeSchedule),
            precondition_schedules=_schedules(
                data.get("preconditioning_schedule_data"), "precondition_schedules", PreconditionSchedule
            ),
            firmware=_str(vehicle_state.get("car_version")) if isinstance(vehicle_state, Mapping) else None,
            latitude=latitude,
            longitude=longitude,
        )

    @property
    def uses_charge_schedules(self) -> bool:
        """Whether the car takes charge schedules instead of scheduled charging.

        The firmware decides when the answer names it (2024.26 or later); otherwise a
        ``charge_schedule_data`` section in the answer says the car has schedules.
        """
        version = firmware_version(self.firmware)
        if version is not None:
            return version >= SCHEDULES_FIRMWARE
        return isinstance(self.raw.get("charge_schedule_data"), Mapping)


@dataclass(frozen=True, slots=True)
class FleetVehicleInfo:
    """What ``fleet_status`` says about one car."""

    firmware_version: str | None = None
    vehicle_command_protocol_required: bool | None = None
    total_number_of_keys: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FleetVehicleInfo:
        return cls(
            firmware_version=_str(data.get("firmware_version")),
            vehicle_command_protocol_required=_bool(data.get("vehicle_command_protocol_required")),
            total_number_of_keys=_int(data.get("total_number_of_keys")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class FleetStatus:
    """``POST /api/1/vehicles/fleet_status``: which cars know the application's key.

    "Paired" is relative to the public key registered for the application that issued
    the token; a car in neither set was not asked about or is not on the account.
    """

    key_paired_vins: frozenset[str]
    unpaired_vins: frozenset[str]
    vehicle_info: Mapping[str, FleetVehicleInfo] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FleetStatus:
        info = data.get("vehicle_info")
        return cls(
            key_paired_vins=_vins(data.get("key_paired_vins")),
            unpaired_vins=_vins(data.get("unpaired_vins")),
            vehicle_info={
                vin: FleetVehicleInfo.from_dict(item)
                for vin, item in (info.items() if isinstance(info, Mapping) else ())
                if isinstance(vin, str) and isinstance(item, Mapping)
            },
            raw=data,
        )


def _vins(value: Any) -> frozenset[str]:
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command the car accepted; ``already`` when it was already in that state."""

    command: str
    reason: str = ""
    already: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    """``GET /api/1/users/me``."""

    account_id: str | None
    email: str | None
    full_name: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            account_id=_str(data.get("vault_uuid")),
            email=_str(data.get("email")),
            full_name=_str(data.get("full_name")),
        )
