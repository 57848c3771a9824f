"""Constants of Tesla's vehicle API (reference: tesla-fleet-api.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

BASE_URL_NA: Final = "https://fleet-api.prd.na.vn.cloud.tesla.com"
BASE_URL_EU: Final = "https://fleet-api.prd.eu.vn.cloud.tesla.com"
BASE_URL_CN: Final = "https://fleet-api.prd.cn.vn.cloud.tesla.cn"
BASE_URLS: Final = {"na": BASE_URL_NA, "eu": BASE_URL_EU, "cn": BASE_URL_CN}

AUTHORIZE_URL: Final = "https://auth.tesla.com/oauth2/v3/authorize"
# Tesla moved the token exchange to fleet-auth in 2025; the older host still appears.
TOKEN_URL: Final = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"  # noqa: S105

SCOPES: Final = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    # Where the car is (since 2024-11-26): tells a session at home from one elsewhere.
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
)


class VehicleState(StrEnum):
    """What ``GET /api/1/vehicles/{id}`` says about connectivity."""

    ONLINE = "online"
    ASLEEP = "asleep"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class Endpoint(StrEnum):
    """Sections ``vehicle_data`` can return (its ``endpoints`` filter)."""

    CHARGE_STATE = "charge_state"
    CLIMATE_STATE = "climate_state"
    CLOSURES_STATE = "closures_state"
    DRIVE_STATE = "drive_state"
    GUI_SETTINGS = "gui_settings"
    LOCATION_DATA = "location_data"
    CHARGE_SCHEDULE_DATA = "charge_schedule_data"
    PRECONDITIONING_SCHEDULE_DATA = "preconditioning_schedule_data"
    VEHICLE_CONFIG = "vehicle_config"
    VEHICLE_STATE = "vehicle_state"


class ChargingState(StrEnum):
    """``charge_state.charging_state`` values."""

    STARTING = "Starting"
    CHARGING = "Charging"
    STOPPED = "Stopped"
    COMPLETE = "Complete"
    DISCONNECTED = "Disconnected"
    NO_POWER = "NoPower"
    CALIBRATING = "Calibrating"
    UNKNOWN = "Unknown"


# Replies that mean the car is already where it was asked to go: success, not an error.
ALREADY_DONE: Final[dict[str, frozenset[str]]] = {
    "charge_start": frozenset({"is_charging", "requested"}),
    "charge_stop": frozenset({"not_charging"}),
    "charge_standard": frozenset({"already_standard"}),
    "charge_max_range": frozenset({"already_max_range"}),
    "charge_port_door_open": frozenset({"already open", "already_open"}),
    "charge_port_door_close": frozenset({"already closed", "already_closed"}),
}
ALREADY_SET: Final = "already_set"
# tesla-http-proxy and the signed path put these in front of the car's reason.
REASON_PREFIXES: Final = ("car could not execute command: ", "vcsec could not execute command: ")

MINUTES_PER_DAY: Final = 1440
MAX_CHARGING_AMPS: Final = 80
