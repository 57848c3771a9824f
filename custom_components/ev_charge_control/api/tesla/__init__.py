"""Tesla's vehicle API (Fleet API, Owner API and tesla-http-proxy)."""

from .client import TeslaClient, TokenProvider, create_ssl_context, raise_for_status
from .const import BASE_URLS, SCOPES, ChargingState, Endpoint, VehicleState
from .models import (
    Account,
    ChargeSchedule,
    ChargeState,
    CommandResult,
    FleetStatus,
    FleetVehicleInfo,
    PreconditionSchedule,
    Vehicle,
    VehicleData,
)
from .oauth import TeslaOAuth, TokenSet
from .partner import partner_token, register_partner
from .signing import SessionStore, SigningKey

__all__ = [
    "BASE_URLS",
    "SCOPES",
    "Account",
    "ChargeSchedule",
    "ChargeState",
    "ChargingState",
    "CommandResult",
    "Endpoint",
    "FleetStatus",
    "FleetVehicleInfo",
    "PreconditionSchedule",
    "SessionStore",
    "SigningKey",
    "TeslaClient",
    "TeslaOAuth",
    "TokenProvider",
    "TokenSet",
    "Vehicle",
    "VehicleData",
    "VehicleState",
    "create_ssl_context",
    "partner_token",
    "raise_for_status",
    "register_partner",
]
