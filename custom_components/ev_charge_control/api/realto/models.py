"""Typed views of re.alto payloads, and the request shapes the client sends.

The platform documents every field as optional ("some metrics may be omitted") and
has changed shapes between versions, so parsing never fails on a missing or oddly typed
field: it reads as ``None``.  Each object keeps the payload it came from in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
from typing import Any, override

from .const import FINAL_STATUSES, CommandStatus, CommandType

KM_PER_MILE = 1.609344


# ------------------------------------------------------------------ primitives
def parse_datetime(value: Any) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (fractions, ``Z`` and offsets accepted).

    The platform speaks UTC only, so a time without an offset is read as UTC.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # out of range, or past year 9999 once in UTC
        return None


def format_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC; the caller has checked that ``moment`` is aware."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    """A finite number (JSON's NaN and Infinity, and the strings "NaN" and "inf", are not)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A measured value with the unit the platform reported (``"km"``, ``"%"``...)."""

    value: float
    unit: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Quantity | None:
        if not isinstance(data, Mapping):
            return None
        value = _float(data.get("value"))
        if value is None:
            return None
        return cls(value=value, unit=_str(data.get("unit")))

    @property
    def km(self) -> float | None:
        """The value in kilometres, for a distance in km or miles; else ``None``."""
        unit = (self.unit or "km").strip().lower()
        if unit in ("km", "kilometer", "kilometers", "kilometre", "kilometres"):
            return self.value
        if unit in ("mi", "mile", "miles"):
            km = self.value * KM_PER_MILE
            return km if math.isfinite(km) else None
        return None


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Location | None:
        if not isinstance(data, Mapping):
            return None
        return cls(
            latitude=_float(data.get("latitude")),
            longitude=_float(data.get("longitude")),
            address=_str(data.get("address")),
        )


# Energy units to kWh: the docs give energy in kWh but do not spell the unit strings.
_KWH_PER_UNIT = {"kwh": 1.0, "wh": 0.001, "mwh": 1000.0}


def energy_kwh(data: Any) -> float | None:
    """A meter's ``total`` (``{t1..t4, total, unit}``) in kWh; ``None`` when absent, not a
    finite number, negative, or in a unit that is no energy (no unit: kWh, as documented)."""
    if not isinstance(data, Mapping):
        return None
    total = _float(data.get("total"))
    unit = (_str(data.get("unit")) or "kWh").strip().lower()
    factor = _KWH_PER_UNIT.get(unit)
    if total is None or factor is None or total < 0:
        return None
    return total * factor


def location_labels(data: Any) -> tuple[str, ...] | None:
    """The labels of ``locationMatches``: ``None`` when the reading has no such list,
    ``()`` when it matched no place."""
    if not isinstance(data, list):
        return None
    labels = (_str(_mapping(_mapping(match).get("location")).get("label")) for match in data)
    return tuple(label for label in labels if label is not None)


# ---------------------------------------------------------------------- entities
@dataclass(frozen=True, slots=True)
class Entity:
    """A connected device or vehicle, from either the re.alto or the DER Connect shape.

    re.alto puts manufacturer, model and VIN in ``information``; DER Connect has
    ``brand``, ``identifier`` and an optional ``name`` at the top level.
    """

    id: str
    type: str | None = None
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    vin: str | None = None
    is_online: bool | None = None
    last_seen: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entity:
        info = _mapping(data.get("information"))
        reference = _mapping(data.get("reference"))
        return cls(
            id=str(data.get("id") or ""),
            type=_str(data.get("type")) or _str(info.get("type")),
            name=_str(data.get("name")) or _str(info.get("name")),
            manufacturer=(
                _str(info.get("manufacturer"))
                or _str(data.get("brand"))
                or _str(info.get("brand"))
                or _str(reference.get("manufacturer"))
                or _str(reference.get("brand"))
            ),
            model=_str(info.get("model")) or _str(data.get("model")),
            vin=_str(info.get("vin")) or _str(data.get("vin")) or _str(data.get("identifier")),
            is_online=_bool(data.get("isOnline")),
            last_seen=parse_datetime(data.get("lastSeen")),
            raw=data,
        )

    @property
    def brand(self) -> str | None:
        """DER Connect's word for the manufacturer."""
        return self.manufacturer

    @property
    def display_name(self) -> str:
        """The entity's name, else "manufacturer model", else its VIN, else its id."""
        if self.name:
            return self.name
        make_model = " ".join(part for part in (self.manufacturer, self.model) if part)
        return make_model or self.vin or self.id


# ---------------------------------------------------------------------- readings
@dataclass(frozen=True, slots=True)
class Reading:
    """The latest normalised reading of an EV; any metric may be missing."""

    id: str | None = None
    entity_id: str | None = None
    measured: datetime | None = None
    received: datetime | None = None
    state_of_charge: float | None = None
    range: Quantity | None = None
    odometer: Quantity | None = None
    is_charging: bool | None = None
    is_plugged_in: bool | None = None
    location: Location | None = None
    location_labels: tuple[str, ...] | None = None
    """The places the platform matched this reading to (``locationMatches``), by label."""
    energy_meter_kwh: float | None = None
    """``positiveActiveEnergy.total``: the energy the car took in, cumulative, in kWh."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reading:
        metrics = _mapping(data.get("data"))
        soc = Quantity.from_dict(metrics.get("stateOfCharge"))
        return cls(
            id=_str(data.get("id")),
            entity_id=_str(data.get("entityId")),
            measured=parse_datetime(data.get("measured")),
            received=parse_datetime(data.get("received")),
            state_of_charge=soc.value if soc is not None else None,
            range=Quantity.from_dict(metrics.get("range")),
            odometer=Quantity.from_dict(metrics.get("odometer")),
            is_charging=_bool(metrics.get("isCharging")),
            is_plugged_in=_bool(metrics.get("isPluggedIn")),
            location=Location.from_dict(metrics.get("location")),
            location_labels=location_labels(metrics.get("locationMatches")),
            energy_meter_kwh=energy_kwh(metrics.get("positiveActiveEnergy")),
            raw=data,
        )

    @property
    def range_km(self) -> float | None:
        return self.range.km if self.range is not None else None

    @property
    def odometer_km(self) -> float | None:
        return self.odometer.km if self.odometer is not None else None


# ---------------------------------------------------------------------- commands
@dataclass(frozen=True, slots=True)
class CommandError:
    """Why a command failed: ``{title, description}`` as the platform sends it."""

    title: str | None = None
    description: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> CommandError | None:
        if not isinstance(data, Mapping):
            return None
        title, description = _str(data.get("title")), _str(data.get("description"))
        if title is None and description is None:
            return None
        return cls(title=title, description=description)

    @override
    def __str__(self) -> str:
        return ": ".join(part for part in (self.title, self.description) if part) or "unknown error"


def _command_type(value: Any) -> CommandType | str | None:
    text = _str(value)
    if text is None:
        return None
    try:
        return CommandType(text)
    except ValueError:
        return text  # a type this package does not send (LimitFeedIn, Reset...)


@dataclass(frozen=True, slots=True)
class Command:
    """An instruction to an entity and where it is in its lifecycle."""

    id: str
    entity_id: str | None = None
    status: CommandStatus | None = None
    trigger_time: datetime | None = None
    type: CommandType | str | None = None
    value: str | None = None
    error: CommandError | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], entity_id: str | None = None) -> Command:
        status = _str(data.get("status"))
        return cls(
            id=str(data.get("id") or ""),
            entity_id=_str(data.get("entityId")) or entity_id,
            status=CommandStatus(status) if status is not None else None,
            trigger_time=parse_datetime(data.get("triggerTime")),
            type=_command_type(data.get("type")),
            value=_str(data.get("value")),
            error=CommandError.from_dict(data.get("error")),
            raw=data,
        )

    @property
    def is_final(self) -> bool:
        """Succeeded, Failed or Canceled: the status will not change any more."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class ScheduledCommand:
    """One item of a schedule request; ``trigger_time`` must be timezone-aware."""

    trigger_time: datetime
    type: CommandType | str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class CommandBatch:
    """What scheduling returns; ``batch_id`` is ``None`` in the older page-shaped answer."""

    batch_id: str | None
    commands: tuple[Command, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], entity_id: str | None = None) -> CommandBatch:
        items = data.get("commands")
        if not isinstance(items, list):
            items = data.get("data")  # the older "page of commands" shape
        commands = tuple(
            Command.from_dict(item, entity_id)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        )
        return cls(batch_id=_str(data.get("batchId")), commands=commands, raw=data)
