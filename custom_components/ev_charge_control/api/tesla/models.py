"""Typed views of Tesla's vehicle API payloads.

Every field is optional: the Owner API, the Fleet API and different firmware report
different subsets, and a missing value must read as "unknown", not crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
from typing import Any

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
            time_to_full_charge=_float(data.get("time_to_full_charge")),
            scheduled_charging_mode=_str(data.get("scheduled_charging_mode")),
            scheduled_charging_pending=_bool(data.get("scheduled_charging_pending")),
            scheduled_charging_start_time=_int(data.get("scheduled_charging_start_time")),
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


@dataclass(frozen=True, slots=True)
class VehicleData:
    """A ``vehicle_data`` answer."""

    vehicle: Vehicle
    charge_state: ChargeState | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VehicleData:
        charge = data.get("charge_state")
        return cls(
            vehicle=Vehicle.from_dict(data),
            charge_state=ChargeState.from_dict(charge) if isinstance(charge, Mapping) else None,
            raw=data,
        )


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


@dataclass(frozen=True, slots=True)
class Region:
    """``GET /api/1/users/region``."""

    region: str
    base_url: str
