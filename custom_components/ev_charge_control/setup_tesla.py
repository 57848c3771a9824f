"""Building a Tesla account's client and vehicles from a config entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import ClientError, ClientResponseError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import ApiError, ConnectionFailed, LoginRequired, ServerError
from .api.tesla import TeslaClient, create_ssl_context
from .api.tesla.const import BASE_URL_NA
from .const import CONF_ACCESS_TOKEN, CONF_API_URL, CONF_CA_FILE, CONF_PROXY_URL, DOMAIN
from .coordinator import EVChargeControlConfigEntry
from .helpers import setup_error
from .tesla import TeslaAccount, TeslaVehicle
from .vehicle import AccountVehicles, Vehicle

try:  # Home Assistant 2025.12 and later
    from homeassistant.helpers.config_entry_oauth2_flow import ImplementationUnavailableError  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4 to 2025.11 raise ValueError
    ImplementationUnavailableError = ValueError  # type: ignore[assignment,misc,unused-ignore]


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
) -> TeslaClient:
    """A client on Home Assistant's shared session; a proxy's CA file is loaded off the loop."""
    ssl_context = await hass.async_add_executor_job(create_ssl_context, ca_file) if ca_file else None
    return TeslaClient(
        async_get_clientsession(hass),
        source.provider,
        base_url=base_url,
        ssl_context=ssl_context,
        on_unauthorized=source.on_unauthorized,
    )


async def async_setup_tesla(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> AccountVehicles:
    """The account's vehicles, each ready for a coordinator."""
    data = entry.data
    if "token" in data:
        source = await oauth_token_source(hass, entry)
        base_url = data.get(CONF_PROXY_URL) or data.get(CONF_API_URL) or BASE_URL_NA
    else:
        source = static_token_source(data[CONF_ACCESS_TOKEN])
        base_url = data.get(CONF_API_URL) or BASE_URL_NA
    client = await async_create_client(hass, source, base_url, data.get(CONF_CA_FILE))

    async def remember_region(url: str) -> None:
        # Tesla answered "wrong region": keep its base URL for the next start too.
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_API_URL: url})

    account = TeslaAccount(client, remember_region, follow_region=not data.get(CONF_PROXY_URL))
    try:
        summaries = await account.async_list_vehicles()
    except ApiError as err:
        raise setup_error(err) from err

    async def discover() -> list[Vehicle]:
        # The shared state check every coordinator uses: usually no extra request.
        states = await account.async_vehicle_states()
        return [TeslaVehicle(account, summary) for summary in states.values()]

    return AccountVehicles([TeslaVehicle(account, summary) for summary in summaries], discover)
