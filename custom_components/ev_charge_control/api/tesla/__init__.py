"""Tesla's vehicle API (Fleet API, Owner API and tesla-http-proxy)."""

from .client import TeslaClient, TokenProvider, create_ssl_context, raise_for_status
from .const import BASE_URLS, SCOPES, ChargingState, Endpoint, VehicleState
from .models import Account, ChargeState, CommandResult, Region, Vehicle, VehicleData
from .oauth import TeslaOAuth, TokenManager, TokenSet

__all__ = [
    "BASE_URLS",
    "SCOPES",
    "Account",
    "ChargeState",
    "ChargingState",
    "CommandResult",
    "Endpoint",
    "Region",
    "TeslaClient",
    "TeslaOAuth",
    "TokenManager",
    "TokenProvider",
    "TokenSet",
    "Vehicle",
    "VehicleData",
    "VehicleState",
    "create_ssl_context",
    "raise_for_status",
]
