"""Registering the user's Tesla developer application with this installation's key.

Tesla fetches the public key from the application's domain when the application is
registered ("partner account") and answers with the key it now holds.  When that fails,
Tesla's answer seldom says why, so the key's URL is fetched here too, to tell the user
which of the usual causes it is: the domain does not answer, or it serves another key.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import ApiError, AuthenticationError, CommunicationError, PartnerDomainRejected, WrongRegion
from .api.tesla.partner import partner_token, register_partner
from .api.tesla.signing import SigningKey
from .const import LOGGER
from .signing import public_key_url

# The scopes a partner token needs to register; Tesla checks them against the app's.
PARTNER_SCOPES = ("openid", "vehicle_device_data", "vehicle_cmds", "vehicle_charging_cmds")
HOSTED_KEY_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True)
class Application:
    """The developer application: its client credentials and Tesla's token endpoint."""

    client_id: str
    client_secret: str
    token_url: str


async def async_register(
    hass: HomeAssistant, app: Application, api_url: str, domain: str, key: SigningKey
) -> tuple[str, str] | None:
    """Register ``domain`` for the application; ``None``, or (form error, detail)."""
    session = async_get_clientsession(hass)
    try:
        token = await partner_token(
            session, app.token_url, app.client_id, app.client_secret, audience=api_url, scopes=PARTNER_SCOPES
        )
    except AuthenticationError:
        return "partner_auth_failed", ""
    except CommunicationError as err:
        return "cannot_connect", err.message
    except ApiError as err:
        return "registration_failed", err.message
    try:
        held = await register_partner(session, api_url, token, domain)
    except PartnerDomainRejected:
        return "domain_not_allowed", ""
    except WrongRegion as err:
        return "wrong_region", err.base_url or ""
    except CommunicationError as err:
        return "cannot_connect", err.message
    except ApiError as err:
        LOGGER.debug("Registering %s failed: %s", domain, err.message)
        return await async_hosted_key_problem(hass, domain, key) or ("registration_failed", err.message)
    if held.lower() != key.public_hex().lower():
        return "public_key_mismatch", ""
    return None


async def async_hosted_key_problem(
    hass: HomeAssistant, domain: str, key: SigningKey
) -> tuple[str, str] | None:
    """What is wrong with the key at the domain's well-known URL, if anything."""
    url = public_key_url(domain)
    try:
        async with async_get_clientsession(hass).get(url, timeout=HOSTED_KEY_TIMEOUT) as response:
            if response.status != 200:
                return "key_not_hosted", url
            body = await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return "key_not_hosted", url
    if _public_point(body) != key.public_point():
        return "hosted_key_mismatch", url
    return None


def _public_point(pem: bytes) -> bytes | None:
    try:
        public = serialization.load_pem_public_key(pem)
    except ValueError:
        return None
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return None
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
