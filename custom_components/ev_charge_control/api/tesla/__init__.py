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
    Region,
    Vehicle,
    VehicleData,
)
from .oauth import TeslaOAuth, TokenManager, TokenSet
from .partner import partner_public_key, partner_token, register_partner
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
    "Region",
    "SessionStore",
    "SigningKey",
    "TeslaClient",
    "TeslaOAuth",
    "TokenManager",
    "TokenProvider",
    "TokenSet",
    "Vehicle",
    "VehicleData",
    "VehicleState",
    "create_ssl_context",
    "partner_public_key",
    "partner_token",
    "raise_for_status",
    "register_partner",
]
