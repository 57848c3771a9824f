from custom_components.ev_charge_control.api.tesla import TeslaClient

from ..helpers import ACCESS_TOKEN, VIN


async def test_list(sim, session):
    async def token() -> str:
        return ACCESS_TOKEN

    client = TeslaClient(session, token, base_url=sim.url)
    vehicles = await client.list_vehicles()
    assert [v.vin for v in vehicles] == [VIN]
    data = await client.vehicle_data(VIN)
    assert data.charge_state.charge_limit_soc == 80
