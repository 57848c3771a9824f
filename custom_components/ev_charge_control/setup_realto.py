"""Building a re.alto account's client and EVs from a config entry."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import ApiError
from .api.realto import RealtoClient
from .api.realto.const import BASE_URL
from .const import CONF_API_URL, CONF_CLIENT_ID, CONF_CLIENT_SECRET
from .coordinator import EVChargeControlConfigEntry
from .helpers import setup_error
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
