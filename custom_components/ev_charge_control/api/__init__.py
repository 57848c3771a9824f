"""Typed asyncio clients for the vehicle APIs EV Charge Control talks to.

This package imports nothing from Home Assistant, so it can be published on its own;
the integration is a thin layer over it.
"""

from .costs import PRICE_USD, CostCategory, CostCounter, CostLedger
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    BillingLimitReached,
    CommandRefused,
    CommunicationError,
    ConnectionFailed,
    CooldownActive,
    Forbidden,
    InvalidArgument,
    InvalidToken,
    LoginRequired,
    MalformedResponse,
    MissingScope,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    SigningRequired,
    TokenExpired,
    VehicleUnavailable,
    WakeTimeout,
    WrongRegion,
)

__all__ = [
    "PRICE_USD",
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "BillingLimitReached",
    "CommandRefused",
    "CommunicationError",
    "ConnectionFailed",
    "CooldownActive",
    "CostCategory",
    "CostCounter",
    "CostLedger",
    "Forbidden",
    "InvalidArgument",
    "InvalidToken",
    "LoginRequired",
    "MalformedResponse",
    "MissingScope",
    "NotFound",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "SigningRequired",
    "TokenExpired",
    "VehicleUnavailable",
    "WakeTimeout",
    "WrongRegion",
]
