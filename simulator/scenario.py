"""Scenario files: who has which cars, in what state, and what happens to them when.

A scenario is YAML (or JSON, which is YAML too).  Every key is optional; see
``simulator/README.md`` for the format and ``simulator/scenarios/`` for examples.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any
import uuid
from zoneinfo import ZoneInfo

import yaml

from .clock import Clock
from .tesla.accounts import ALL_SCOPES, Account
from .tesla.partner import App
from .tesla.schedules import firmware_version
from .tesla.signed.settings import apply_knobs, check_knobs
from .tesla.vehicle import SimVehicle, VehicleSettings
from .world import World

FIXTURES = Path(__file__).parent / "fixtures"
SCENARIOS = Path(__file__).parent / "scenarios"
DEFAULT_FIXTURE = "ha_tesla_fleet_vehicle_data.json"


def load_fixture(name: str) -> dict[str, Any]:
    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a scenario file."""
    text = Path(path).read_text()
    spec = yaml.safe_load(text) or {}
    if not isinstance(spec, dict):
        raise TypeError(f"{path}: a scenario must be a mapping")
    return spec


def scenario_start(spec: dict[str, Any]) -> float | None:
    """The scenario's start time (epoch seconds), if it sets one."""
    start = spec.get("start")
    if start is None:
        return None
    if isinstance(start, (int, float)):
        return float(start)
    return datetime.fromisoformat(str(start).replace("Z", "+00:00")).timestamp()


def _event_time(at: Any, t0: float, tz: ZoneInfo) -> float:
    """``at`` is seconds after the start, or ``"HH:MM"`` / ``"D HH:MM"`` (day D from 0)."""
    if isinstance(at, (int, float)):
        return t0 + float(at)
    text = str(at).strip()
    day = 0
    if " " in text:
        day_text, text = text.split(None, 1)
        day = int(day_text.lstrip("+d").rstrip("d") or 0)
    hours, minutes = (int(part) for part in text.split(":")[:2])
    start_local = datetime.fromtimestamp(t0, tz)
    moment = start_local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    moment += timedelta(days=day)
    if day == 0 and moment.timestamp() < t0:
        moment += timedelta(days=1)
    return moment.timestamp()


def _build_vehicle(spec: dict[str, Any], defaults: dict[str, Any], now: float, index: int) -> SimVehicle:
    settings = VehicleSettings()
    settings.update({**defaults.get("settings", {}), **spec.get("settings", {})})
    payload = load_fixture(spec.get("fixture", DEFAULT_FIXTURE))
    vehicle = SimVehicle.from_payload(
        payload,
        t=now,
        vin=spec.get("vin"),
        vehicle_id=spec.get("id") or (1_000_000 + index),
        display_name=spec.get("display_name"),
        tz=spec.get("timezone", defaults.get("timezone", "UTC")),
        settings=settings,
        command_signing=spec.get("command_signing"),
    )
    simple = {
        "battery_level": "battery_level",
        "charge_limit": "limit",
        "amps": "amps_request",
        "amps_max": "amps_max",
        "pilot_current": "pilot_current",
        "voltage": "line_voltage",
        "phases": "phases",
        "capacity_kwh": "capacity_kwh",
        "charge_port_door_open": "door_open",
    }
    for key, attr in simple.items():
        if key in spec:
            setattr(vehicle, attr, type(getattr(vehicle, attr))(spec[key]))
    if "location" in spec:
        location = spec["location"]
        vehicle.move_to(float(location["latitude"]), float(location["longitude"]))
    if "firmware" in spec:
        firmware_version(str(spec["firmware"]))  # fails the scenario on a malformed version
        vehicle.firmware = str(spec["firmware"])
    if "scheduled_charging" in spec:
        sched = spec["scheduled_charging"]
        vehicle.schedule_mode = "StartAt" if sched.get("enable", True) else "Off"
        vehicle.schedule_minutes = int(sched.get("time", 0))
    if "plugged_in" in spec:
        if spec["plugged_in"] and not vehicle.plugged:
            vehicle.plug_in()
            if not spec.get("charging", False) and vehicle.charging:
                vehicle.charging_state = "Stopped"
                vehicle.user_stopped = True
        elif not spec["plugged_in"] and vehicle.plugged:
            vehicle.unplug()
    if "charging" in spec and vehicle.plugged:
        if spec["charging"] and not vehicle.charging and vehicle.battery_level < vehicle.limit:
            vehicle.charging_state = "Charging"
        elif not spec["charging"] and vehicle.charging:
            vehicle.charging_state = "Stopped"
            vehicle.user_stopped = True
    vehicle._settle()  # noqa: SLF001 - building the car
    vehicle._plan_schedule()  # noqa: SLF001
    if "driving" in spec:
        drive = spec["driving"]
        vehicle.start_drive(float(drive.get("minutes", 30)), float(drive.get("miles", 10)))
    if "state" in spec:
        vehicle.set_state(spec["state"])
    vehicle.replay = bool(spec.get("replay", False))
    return vehicle


def build_world(spec: dict[str, Any], clock: Clock) -> World:
    """Create a world from a scenario mapping."""
    world = World(clock)
    now = clock.now()
    defaults = spec.get("defaults", {})
    tz = ZoneInfo(spec.get("timezone", defaults.get("timezone", "UTC")))
    index = 0
    for app in spec.get("tesla", {}).get("apps", []):
        origins = app.get("allowed_origins", [])
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise TypeError("tesla.apps: allowed_origins must be a list of URLs")
        world.partners.apps[str(app["client_id"])] = App(
            str(app["client_id"]), str(app["client_secret"]), origins
        )
    for account_spec in spec.get("tesla", {}).get("accounts", []):
        account = Account(
            account_id=str(account_spec.get("id") or uuid.uuid4()),
            email=account_spec.get("email", "owner@example.com"),
            full_name=account_spec.get("full_name", "Tesla Owner"),
            region=account_spec.get("region", "na"),
        )
        world.add_account(account)
        for token in account_spec.get("tokens", []):
            world.tokens.issue(
                account,
                now,
                scopes=tuple(token.get("scopes", ALL_SCOPES)),
                lifetime=float(token.get("expires_in", 8 * 3600)),
                access_token=token.get("access_token"),
                refresh_token=token.get("refresh_token"),
                client_id=token.get("client_id"),
            )
        for vehicle_spec in account_spec.get("vehicles", []):
            index += 1
            knobs = check_knobs(vehicle_spec)  # checked before the car joins the world
            vehicle = _build_vehicle(vehicle_spec, defaults, now, index)
            world.add_vehicle(account, vehicle)
            apply_knobs(world.signing[vehicle.vin], knobs)
    for event in spec.get("timeline", []):
        params = {k: v for k, v in event.items() if k not in ("at", "vin", "action")}
        world.schedule(_event_time(event["at"], now, tz), event["vin"], event["action"], params)
    if "realto" in spec:
        from .realto import build_platform

        world.realto = build_platform(spec["realto"], clock, world)
    return world


def default_spec() -> dict[str, Any]:
    return load_spec(SCENARIOS / "default.yaml")
