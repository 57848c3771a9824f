"""Building a Tesla account's client and vehicles from a config entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import ClientError, ClientResponseError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .api import ApiError, ConnectionFailed, LoginRequired, ServerError
from .api.tesla import TeslaClient, Vehicle as ApiVehicle, create_ssl_context
from .api.tesla.const import BASE_URL_NA
from .api.tesla.signing import SigningKey
from .compat import ImplementationUnavailableError
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_DOMAIN,
    CONF_PROXY_URL,
    CONF_SIGNING,
    DOMAIN,
    LOGGER,
    SIGNING_KEY,
)
from .coordinator import EVChargeControlConfigEntry
from .helpers import setup_error
from .issues import async_clear_car_issues, async_raise_key_not_paired, async_raise_signing_not_set_up
from .signing import async_get_session_store, async_load_key
from .tesla import TeslaAccount, TeslaVehicle, vehicle_name
from .tesla_schedules import Home
from .vehicle import AccountVehicles, Vehicle


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Where a client gets its access token, and what to do when it is rejected."""

    provider: Callable[[], Awaitable[str]]
    on_unauthorized: Callable[[str], Awaitable[None]] | None = None


async def oauth_token_source(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> TokenSource:
    """Tokens from Home Assistant's OAuth2 session for the entry."""
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(hass, entry)
    except ImplementationUnavailableError as err:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="oauth_unavailable") from err
    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)

    async def provider() -> str:
        # OAuth2Session refreshes under a lock and stores the rotated refresh token in
        # the config entry before the new access token is handed out.
        try:
            await session.async_ensure_token_valid()
        except ClientResponseError as err:
            if 400 <= err.status < 500:
                raise LoginRequired(f"token refresh refused ({err.status})", status=err.status) from err
            raise ServerError(f"token refresh failed ({err.status})", status=err.status) from err
        except (ClientError, TimeoutError) as err:
            raise ConnectionFailed(f"token refresh failed: {err}") from err
        return str(session.token["access_token"])

    async def on_unauthorized(rejected: str) -> None:
        # The API said no to this token: make the next call refresh it (once per token).
        current = session.token
        if current.get("access_token") == rejected:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, "token": {**current, "expires_at": 0}}
            )

    return TokenSource(provider, on_unauthorized)


def static_token_source(token: str) -> TokenSource:
    """A token issued outside Home Assistant (a proxy or compatible service): no refresh."""

    async def provider() -> str:
        return token

    return TokenSource(provider)


async def async_create_client(
    hass: HomeAssistant,
    source: TokenSource,
    base_url: str,
    ca_file: str | None = None,
    signing_key: SigningKey | None = None,
) -> TeslaClient:
    """A client on Home Assistant's shared session; a proxy's CA file is loaded off the loop.

    With ``signing_key`` it signs commands for the cars it is told need it, keeping
    their sessions in Home Assistant's storage so a restart costs no new handshake.
    """
    ssl_context = await hass.async_add_executor_job(create_ssl_context, ca_file) if ca_file else None
    return TeslaClient(
        async_get_clientsession(hass),
        source.provider,
        base_url=base_url,
        ssl_context=ssl_context,
        on_unauthorized=source.on_unauthorized,
        signing_key=signing_key,
        session_store=await async_get_session_store(hass) if signing_key is not None else None,
        # Home Assistant's clock, which the tests' frozen time moves too.
        clock=lambda: dt_util.utcnow().timestamp(),
    )


async def _async_signing_key(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> SigningKey | None:
    """The key for an entry set up to sign commands here."""
    if entry.data.get(CONF_SIGNING) != SIGNING_KEY or entry.data.get(CONF_PROXY_URL):
        return None
    key = await async_load_key(hass)
    if key is None:
        # The key file was deleted, and the cars' pairing with it. Plain commands still
        # reach older cars; the others get the repair that says to set signing up again.
        LOGGER.warning(
            "The Tesla command key file is missing; set up command signing again under Reconfigure"
        )
    return key


async def async_setup_tesla(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> AccountVehicles:
    """The account's vehicles, each ready for a coordinator."""
    data = entry.data
    if "token" in data:
        source = await oauth_token_source(hass, entry)
        base_url = data.get(CONF_PROXY_URL) or data.get(CONF_API_URL) or BASE_URL_NA
    else:
        source = static_token_source(data[CONF_ACCESS_TOKEN])
        base_url = data.get(CONF_API_URL) or BASE_URL_NA
    signing_key = await _async_signing_key(hass, entry)
    client = await async_create_client(hass, source, base_url, data.get(CONF_CA_FILE), signing_key)

    async def remember_region(url: str) -> None:
        # Tesla answered "wrong region": keep its base URL for the next start too.
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_API_URL: url})

    account = TeslaAccount(
        client,
        remember_region,
        follow_region=not data.get(CONF_PROXY_URL),
        signs_commands=signing_key is not None,
    )
    try:
        summaries = await account.async_list_vehicles()
    except ApiError as err:
        raise setup_error(err) from err
    home = Home(hass.config.latitude, hass.config.longitude)
    await _async_check_signing(hass, entry, account, summaries)

    async def discover() -> list[Vehicle]:
        # The shared state check every coordinator uses: usually no extra request.
        states = await account.async_vehicle_states()
        return [TeslaVehicle(account, summary, home) for summary in states.values()]

    return AccountVehicles([TeslaVehicle(account, summary, home) for summary in summaries], discover)


async def _async_check_signing(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, account: TeslaAccount, summaries: list[ApiVehicle]
) -> None:
    """Raise the signing repairs now, not at the first failed command.

    Only cars that require signed commands can need one.  Behind a proxy or a service
    with its own token, commands are signed elsewhere and nothing is known here.
    """
    needing = [s for s in summaries if s.command_signing == "required"]
    if not needing or entry.data.get(CONF_PROXY_URL) or "token" not in entry.data:
        return
    if not account.signs_commands:
        for summary in needing:
            async_raise_signing_not_set_up(hass, entry.entry_id, summary.vin, vehicle_name(summary))
        return
    try:
        # Free, and it asks Tesla rather than the car: nothing wakes.
        unpaired = await account.async_unpaired([s.vin for s in needing])
    except ApiError as err:
        LOGGER.debug("Could not check which cars know the key: %s", err.message)
        return
    for summary in needing:
        if summary.vin in unpaired:
            async_raise_key_not_paired(
                hass, entry.entry_id, summary.vin, vehicle_name(summary), entry.data[CONF_DOMAIN]
            )
        else:
            async_clear_car_issues(hass, entry.entry_id, summary.vin)
