"""A re.alto account from its settings: testing them for the config flow, and building
the client and EVs of a loaded entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import ApiError
from .api.realto import RealtoClient
from .api.realto.const import BASE_URL
from .const import CONF_API_URL, CONF_CLIENT_ID, CONF_CLIENT_SECRET
from .coordinator import EVChargeControlConfigEntry
from .helpers import setup_error
from .provider import AccountFound
from .realto import RealtoVehicle
from .vehicle import AccountVehicles, Vehicle


def create_client(hass: HomeAssistant, api_url: str, client_id: str, client_secret: str) -> RealtoClient:
    return RealtoClient(async_get_clientsession(hass), client_id, client_secret, base_url=api_url)


async def async_setup_realto(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> AccountVehicles:
    """The account's EVs, each ready for a coordinator."""
    data = entry.data
    client = create_client(
        hass, data.get(CONF_API_URL) or BASE_URL, data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET]
    )
    try:
        entities = await client.list_entities()
    except ApiError as err:
        raise setup_error(err) from err

    async def discover() -> list[Vehicle]:
        return [RealtoVehicle(client, entity) for entity in await client.list_entities()]

    return AccountVehicles([RealtoVehicle(client, entity) for entity in entities], discover)


async def async_probe_realto(
    hass: HomeAssistant, data: Mapping[str, Any], _reconfiguring: ConfigEntry[Any] | None
) -> AccountFound:
    """Sign in with the client credentials and list the account's EVs."""
    client = create_client(hass, data[CONF_API_URL], data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET])
    await client.authenticate()
    entities = await client.list_entities()
    # The token's subject names the account; without one, the client id does: it is
    # issued per customer and, unlike the list of EVs, does not change with the fleet.
    return AccountFound(
        account_id=client.principal or f"client-{data[CONF_CLIENT_ID]}",
        account_id_is_fallback=not client.principal,
        title=f"re.alto ({data[CONF_CLIENT_ID]})",
        vehicles={e.id: f"{e.display_name} ({e.vin or e.id})" for e in entities},
    )
