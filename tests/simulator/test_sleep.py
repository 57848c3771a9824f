"""Sleep and wake over HTTP: what keeps a car awake, 408 while asleep, wake_up."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.faults import VEHICLE_UNAVAILABLE

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet

ASLEEP_BODY = {"response": None, "error": VEHICLE_UNAVAILABLE, "error_description": ""}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=60,
            charge_limit=80,
            settings={"sleep_after": 900, "wake_delay": 20, "data_keeps_awake": True},
        )
    )


async def test_falls_asleep_after_sleep_after(sim: SimulatorHandle, fleet: Fleet) -> None:
    sim.advance(899)
    assert await fleet.state(VIN) == "online"
    sim.advance(1)
    assert await fleet.state(VIN) == "asleep"
    events = (await sim.vehicle())["events"]
    assert [kind for _, kind in events] == ["asleep"]


async def test_list_and_vehicle_never_reset_the_idle_timer(sim: SimulatorHandle, fleet: Fleet) -> None:
    for _ in range(3):
        sim.advance(299)
        listing = await fleet.get("/api/1/vehicles")
        assert listing.body["response"][0]["state"] == "online"
        assert await fleet.state(VIN) == "online"
    sim.advance(3)  # 900 s after the last real activity
    assert await fleet.state(VIN) == "asleep"


@pytest.mark.parametrize("keeps_awake", [True, False])
async def test_data_requests_keep_it_awake_only_if_set(
    sim: SimulatorHandle, fleet: Fleet, keeps_awake: bool
) -> None:
    await sim.vehicle(settings={"data_keeps_awake": keeps_awake})
    statuses = []
    for _ in range(12):  # an hour of polling every five minutes
        sim.advance(300)
        statuses.append((await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")).status)
    if keeps_awake:
        assert statuses == [200] * 12
        assert await fleet.state(VIN) == "online"
    else:
        assert statuses == [200, 200, 408, 408, 408, 408, 408, 408, 408, 408, 408, 408]
        assert await fleet.state(VIN) == "asleep"


async def test_not_while_charging(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "charge_start")
    assert reply.body == {"response": {"result": True, "reason": ""}}
    sim.advance(3000)  # 16 A x 230 V from 60 to 80 % of 61 kWh: 3.3 hours
    detail = await sim.vehicle()
    assert detail["charge_state"]["charging_state"] == "Charging"
    assert await fleet.state(VIN) == "online"
    sim.advance(12000)
    detail = await sim.vehicle()
    assert detail["charge_state"]["charging_state"] == "Complete"
    # Asleep 900 s after charging completed.
    complete_at = next(t for t, kind in detail["events"] if kind == "complete")
    asleep_at = next(t for t, kind in detail["events"] if kind == "asleep")
    assert asleep_at == pytest.approx(complete_at + 900)


async def test_not_while_driving(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="drive", minutes=30, miles=15)
    sim.advance(1700)
    assert await fleet.state(VIN) == "online"
    sim.advance(100 + 899)  # the drive ended at 1800 s
    assert await fleet.state(VIN) == "online"
    sim.advance(1)
    assert await fleet.state(VIN) == "asleep"


async def test_vehicle_data_and_commands_answer_408_while_asleep(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="asleep")
    data = await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    assert (data.status, data.body) == (408, ASLEEP_BODY)
    command = await fleet.command(VIN, "charge_start")
    assert (command.status, command.body) == (408, ASLEEP_BODY)
    # Neither woke it.
    sim.advance(3600)
    assert await fleet.state(VIN) == "asleep"
    assert (await sim.vehicle())["charge_state"]["charging_state"] == "Stopped"


async def test_wake_up_brings_it_online_after_the_delay(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="asleep")
    reply = await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")
    assert reply.status == 200
    assert reply.body["response"]["state"] == "asleep"
    assert reply.body["response"]["vin"] == VIN
    assert (await sim.vehicle())["waking"] is True
    sim.advance(10)
    again = await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")  # does not restart the delay
    assert again.body["response"]["state"] == "asleep"
    sim.advance(9)
    assert await fleet.state(VIN) == "asleep"
    sim.advance(1)
    assert await fleet.state(VIN) == "online"
    data = await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    assert data.status == 200
    # Awake for a full sleep_after period from the moment it woke.
    sim.advance(899)
    assert await fleet.state(VIN) == "online"


async def test_wake_up_on_an_online_car_counts_as_activity(sim: SimulatorHandle, fleet: Fleet) -> None:
    sim.advance(800)
    reply = await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")
    assert reply.body["response"]["state"] == "online"
    sim.advance(800)
    assert await fleet.state(VIN) == "online"


async def test_wake_up_with_no_delay(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="asleep", settings={"wake_delay": 0})
    reply = await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")
    assert reply.body["response"]["state"] == "online"


async def test_forced_offline_never_wakes(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="offline")
    for _ in range(3):
        reply = await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")
        assert reply.body["response"]["state"] == "offline"
        sim.advance(600)
    assert await fleet.state(VIN) == "offline"
    data = await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    assert (data.status, data.body) == (408, ASLEEP_BODY)
    # It still charges when plugged in; it just cannot be reached.
    await sim.vehicle(action="unplug")
    await sim.vehicle(action="plug_in")
    assert await fleet.state(VIN) == "offline"
    sim.advance(600)
    detail = await sim.vehicle()
    assert detail["charge_state"]["charging_state"] == "Charging"
    assert detail["state"] == "offline"
    # Back online only when told so.
    await sim.vehicle(action="state", state="online")
    assert await fleet.state(VIN) == "online"


async def test_scheduled_start_does_not_bring_a_forced_offline_car_online(
    sim: SimulatorHandle, fleet: Fleet
) -> None:
    reply = await fleet.command(VIN, "set_scheduled_charging", {"enable": True, "time": 60})
    assert reply.body["response"]["result"] is True
    await sim.vehicle(action="state", state="offline")
    sim.advance(3600 + 10)
    detail = await sim.vehicle()
    assert detail["charge_state"]["charging_state"] == "Charging"
    assert detail["state"] == "offline"


async def test_plugging_in_wakes_a_sleeping_car(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="unplug")
    sim.advance(900)
    assert await fleet.state(VIN) == "asleep"
    await sim.vehicle(action="plug_in")
    assert await fleet.state(VIN) == "online"
