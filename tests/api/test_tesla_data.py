"""Reading: the account, the vehicle list (paged), one vehicle, and vehicle_data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.ev_charge_control.api.tesla import (
    Account,
    ChargingState,
    Endpoint,
    TeslaClient,
    VehicleState,
)

from ..helpers import ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, sent_since


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(),
        vehicle_spec(
            vin=VIN2,
            id=100002,
            display_name="Road Runner",
            fixture="timdorr_owner_api_vehicle_data_2018_charging.json",
            plugged_in=True,
            charging=True,
            state="asleep",
            command_signing="required",
        ),
    )


async def test_account(client: TeslaClient, sim: SimulatorHandle) -> None:
    assert await client.account() == Account(
        account_id=ACCOUNT_ID, email="owner@example.com", full_name="Test Owner"
    )
    records = await sent_since(sim, 0)
    assert [(r["path"], r["category"]) for r in records] == [("/api/1/users/me", "free")]


async def test_list_vehicles(client: TeslaClient, sim: SimulatorHandle) -> None:
    vehicles = await client.list_vehicles()
    assert [(v.vin, v.vehicle_id, v.display_name, v.state, v.command_signing) for v in vehicles] == [
        (VIN, 100001, "Model 3", VehicleState.ONLINE, "off"),
        (VIN2, 100002, "Road Runner", VehicleState.ASLEEP, "required"),
    ]
    assert vehicles[0].raw["id_s"] == "100001"
    records = await sent_since(sim, 0)
    assert [(r["method"], r["path"], r["query"], r["category"]) for r in records] == [
        ("GET", "/api/1/vehicles", {"page": "1", "per_page": "100"}, "free")
    ]
    # Listing does not wake anything.
    assert (await sim.vehicle(VIN2))["state"] == "asleep"


async def test_vehicle(client: TeslaClient, sim: SimulatorHandle) -> None:
    vehicle = await client.vehicle(VIN2)
    assert (vehicle.vin, vehicle.state, vehicle.is_online) == (VIN2, VehicleState.ASLEEP, False)
    # The numeric id works as well as the VIN on the Fleet API.
    assert (await client.vehicle("100001")).vin == VIN
    records = await sent_since(sim, 0)
    assert [r["path"] for r in records] == [f"/api/1/vehicles/{VIN2}", "/api/1/vehicles/100001"]
    assert {r["category"] for r in records} == {"free"}


async def test_vehicle_data_asks_for_charge_state_by_default(
    client: TeslaClient, sim: SimulatorHandle
) -> None:
    data = await client.vehicle_data(VIN)
    records = await sent_since(sim, 0)
    assert [(r["path"], r["query"], r["category"]) for r in records] == [
        (f"/api/1/vehicles/{VIN}/vehicle_data", {"endpoints": "charge_state"}, "data")
    ]
    assert data.vehicle.vin == VIN
    assert data.vehicle.state is VehicleState.ONLINE
    assert "charge_state" in data.raw
    assert "climate_state" not in data.raw
    assert "vehicle_state" not in data.raw
    charge = data.charge_state
    assert charge is not None
    assert charge.charging_state is ChargingState.STOPPED
    assert (charge.battery_level, charge.charge_limit_soc, charge.charge_current_request) == (77, 80, 16)
    assert charge.is_plugged_in is True
    assert charge.is_charging is False


async def test_vehicle_data_endpoint_filter_is_honoured(client: TeslaClient, sim: SimulatorHandle) -> None:
    data = await client.vehicle_data(VIN, [Endpoint.CHARGE_STATE, "vehicle_state", Endpoint.LOCATION_DATA])
    records = await sent_since(sim, 0)
    assert records[0]["query"] == {"endpoints": "charge_state;vehicle_state;location_data"}
    assert {"charge_state", "vehicle_state", "drive_state"} <= set(data.raw)
    assert "climate_state" not in data.raw
    assert "latitude" in data.raw["drive_state"]


async def test_vehicle_data_without_charge_state(client: TeslaClient, sim: SimulatorHandle) -> None:
    data = await client.vehicle_data(VIN, Endpoint.CLIMATE_STATE)
    records = await sent_since(sim, 0)
    assert records[0]["query"] == {"endpoints": "climate_state"}
    assert data.charge_state is None
    assert "climate_state" in data.raw


async def test_vehicle_data_drive_state_without_location(client: TeslaClient, sim: SimulatorHandle) -> None:
    data = await client.vehicle_data(VIN, ("drive_state",))
    assert "latitude" not in data.raw["drive_state"]


async def test_vehicle_data_none_sends_no_filter(client: TeslaClient, sim: SimulatorHandle) -> None:
    data = await client.vehicle_data(VIN, None)
    records = await sent_since(sim, 0)
    assert records[0]["query"] == {}
    assert {"charge_state", "climate_state", "vehicle_state", "vehicle_config", "gui_settings"} <= set(
        data.raw
    )


async def test_vehicle_data_follows_the_car(client: TeslaClient, sim: SimulatorHandle) -> None:
    await client.charge_start(VIN)
    # 16 A on one 230 V phase brings 77 % to 80 % in about half an hour; the car then
    # stays awake for its 15 minutes.
    sim.advance(2000)
    charge = (await client.vehicle_data(VIN)).charge_state
    assert charge is not None
    assert charge.charging_state is ChargingState.COMPLETE
    assert charge.battery_level == 80
    assert charge.charge_energy_added is not None
    assert charge.charge_energy_added > 0


# ------------------------------------------------------------------- paging
class TestPaging:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        cars = [vehicle_spec(vin=f"LRW3E7EK4NC{n:06d}", id=200000 + n) for n in range(1, 102)]
        return account_spec(*cars)

    async def test_list_vehicles_reads_every_page(self, client: TeslaClient, sim: SimulatorHandle) -> None:
        vehicles = await client.list_vehicles()
        assert [v.vin for v in vehicles] == [f"LRW3E7EK4NC{n:06d}" for n in range(1, 102)]
        records = await sent_since(sim, 0)
        assert [r["query"] for r in records] == [
            {"page": "1", "per_page": "100"},
            {"page": "2", "per_page": "100"},
        ]


class TestPagingExactlyFull:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        cars = [vehicle_spec(vin=f"LRW3E7EK4NC{n:06d}", id=200000 + n) for n in range(1, 101)]
        return account_spec(*cars)

    async def test_a_full_page_asks_for_the_next(self, client: TeslaClient, sim: SimulatorHandle) -> None:
        assert len(await client.list_vehicles()) == 100
        assert [r["query"]["page"] for r in await sent_since(sim, 0)] == ["1", "2"]


async def test_a_server_that_ignores_paging_does_not_loop(client: TeslaClient, sim: SimulatorHandle) -> None:
    # An Owner-API-style server that answers every page with the same full list.
    same = [{"vin": f"LRW3E7EK4NC{n:06d}", "id": n, "state": "online"} for n in range(100)]
    await sim.fault(kind="status", status=200, body={"response": same, "count": 100}, path="/vehicles$")
    async with asyncio.timeout(30):  # a safety net against the loop, not a speed check
        vehicles = await client.list_vehicles()
    assert len(vehicles) == 100
    assert len({v.vin for v in vehicles}) == 100
    assert len(await sent_since(sim, 0)) == 2


async def test_list_skips_entries_that_are_not_objects(client: TeslaClient, sim: SimulatorHandle) -> None:
    body = {"response": [{"vin": VIN, "state": "online"}, "junk", None, {"state": "asleep"}]}
    await sim.fault(kind="status", status=200, body=body, path="/vehicles$", count=1)
    vehicles = await client.list_vehicles()
    assert [(v.vin, v.state) for v in vehicles] == [(VIN, VehicleState.ONLINE), ("", VehicleState.ASLEEP)]


async def test_billing_of_reads(client: TeslaClient, sim: SimulatorHandle) -> None:
    seq = await mark(sim)
    await client.list_vehicles()
    await client.vehicle(VIN)
    await client.vehicle_data(VIN)
    assert [r["category"] for r in await sent_since(sim, seq)] == ["free", "free", "data"]
    assert client.costs.total.billed["data"] == 1
    assert client.costs.total.billed["free"] == 2
