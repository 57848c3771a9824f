"""Where the car is and what its meter says: Tesla's drive_state position (location_data)
and re.alto's positiveActiveEnergy meter and locationMatches, as the clients read them."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import MissingScope
from custom_components.ev_charge_control.api.realto import Reading
from custom_components.ev_charge_control.api.tesla import Endpoint, TeslaClient, VehicleData

from ..helpers import (
    ENTITY_ID,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .realto_support import make_realto

HOME = {"latitude": 52.3731, "longitude": 4.8926}


@pytest.fixture
def scenario() -> dict[str, Any]:
    spec = account_spec(vehicle_spec(location=HOME))
    spec.update(
        realto_spec(
            realto_entity_spec(
                plugged_in=True, charging=True, energy_meter_kwh=1520.0, location_matches=["Home", "Street"]
            )
        )
    )
    return spec


# ------------------------------------------------------------------- Tesla
async def test_location_data_gives_the_position(client: TeslaClient) -> None:
    data = await client.vehicle_data(
        VIN, (Endpoint.CHARGE_STATE, Endpoint.DRIVE_STATE, Endpoint.LOCATION_DATA)
    )
    assert (data.latitude, data.longitude) == (HOME["latitude"], HOME["longitude"])


async def test_without_location_data_there_is_no_position(client: TeslaClient) -> None:
    data = await client.vehicle_data(VIN, (Endpoint.CHARGE_STATE, Endpoint.DRIVE_STATE))
    assert (data.latitude, data.longitude) == (None, None)


async def test_the_admin_api_moves_the_car(client: TeslaClient, sim: SimulatorHandle) -> None:
    detail = await sim.vehicle(location={"latitude": 48.8566, "longitude": 2.3522})
    assert detail["location"] == {"latitude": 48.8566, "longitude": 2.3522}
    data = await client.vehicle_data(VIN, (Endpoint.DRIVE_STATE, Endpoint.LOCATION_DATA))
    assert (data.latitude, data.longitude) == (48.8566, 2.3522)


@pytest.mark.parametrize(
    "location",
    [{"latitude": 91, "longitude": 0}, {"latitude": "52", "longitude": 4}, {"latitude": 52}, "home"],
)
async def test_a_bad_position_changes_nothing(sim: SimulatorHandle, location: object) -> None:
    async with sim.admin.post(f"{sim.url}/sim/vehicles/{VIN}", json={"location": location}) as response:
        assert response.status == 400
    assert (await sim.vehicle())["location"] == HOME


class TestWithoutTheScope:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        token = {"access_token": "test-access-token", "scopes": ["openid", "vehicle_device_data"]}
        return account_spec(vehicle_spec(location=HOME, state="asleep"), tokens=[token])

    async def test_location_data_is_refused_even_for_a_sleeping_car(self, client: TeslaClient) -> None:
        with pytest.raises(MissingScope):
            await client.vehicle_data(VIN, (Endpoint.CHARGE_STATE, Endpoint.LOCATION_DATA))


@pytest.mark.parametrize(
    ("drive_state", "expected"),
    [
        ({"latitude": 52.1, "longitude": 4.2}, (52.1, 4.2)),
        ({"latitude": "52.1", "longitude": "4.2"}, (52.1, 4.2)),
        ({"latitude": 52.1}, (None, None)),
        ({"latitude": 0, "longitude": 0}, (None, None)),  # no fix
        ({"latitude": 95.0, "longitude": 4.2}, (None, None)),
        ({"latitude": 52.1, "longitude": float("nan")}, (None, None)),
        ("elsewhere", (None, None)),
    ],
)
def test_drive_state_position(drive_state: object, expected: tuple[float | None, float | None]) -> None:
    data = VehicleData.from_dict({"vin": VIN, "state": "online", "drive_state": drive_state})
    assert (data.latitude, data.longitude) == expected


# ----------------------------------------------------------------- re.alto
async def test_a_reading_carries_the_meter_and_the_places(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    sim.advance(3600)
    reading = await make_realto(sim, session).last_reading(ENTITY_ID)
    assert reading is not None
    car = await sim.call("GET", f"/sim/realto/entities/{ENTITY_ID}")
    assert reading.energy_meter_kwh == pytest.approx(1520.0 + car["vehicle"]["energy_total"], abs=0.001)
    assert reading.energy_meter_kwh > 1520.0
    assert reading.location_labels == ("Home", "Street")


async def test_the_places_can_change(sim: SimulatorHandle, session: aiohttp.ClientSession) -> None:
    path = f"/sim/realto/entities/{ENTITY_ID}"
    await sim.call("POST", path, {"location_matches": [], "reading": True})
    reading = await make_realto(sim, session).last_reading(ENTITY_ID)
    assert reading is not None
    assert reading.location_labels == ()
    async with sim.admin.post(f"{sim.url}{path}", json={"location_matches": "Home"}) as response:
        assert response.status == 400


@pytest.mark.parametrize(
    ("meter", "expected"),
    [
        ({"total": 1520.5, "unit": "kWh"}, 1520.5),
        ({"total": 1520.5}, 1520.5),  # the documented unit
        ({"total": 1520500, "unit": "Wh"}, 1520.5),
        ({"total": 1.5205, "unit": "MWh"}, 1520.5),
        ({"total": 1520.5, "unit": "m3"}, None),
        ({"total": -1, "unit": "kWh"}, None),
        ({"total": None, "unit": "kWh"}, None),
        ({"t1": 3.0}, None),
        (12.0, None),
    ],
)
def test_meter_units(meter: object, expected: float | None) -> None:
    reading = Reading.from_dict({"data": {"positiveActiveEnergy": meter}})
    assert reading.energy_meter_kwh == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("matches", "expected"),
    [
        ([{"accuracy": 0.9, "location": {"id": "a", "label": "Home"}}], ("Home",)),
        ([{"location": {"id": "a"}}, {"location": "x"}, "y"], ()),
        ([], ()),
        (None, None),
        ({"label": "Home"}, None),
    ],
)
def test_location_matches(matches: object, expected: tuple[str, ...] | None) -> None:
    assert Reading.from_dict({"data": {"locationMatches": matches}}).location_labels == expected
