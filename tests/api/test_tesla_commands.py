"""Every charging command against the simulator: what goes on the wire, what the car does.

Each test reads the JSON body the simulator logged and the car's state from the admin
API, so a command that sends the wrong body or the wrong path fails here even when the
client's own reply parsing looks fine.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ev_charge_control.api import CommandRefused
from custom_components.ev_charge_control.api.tesla import CommandResult, TeslaClient

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, raises_exactly, sent_since


@pytest.fixture
def scenario() -> dict[str, Any]:
    # VIN: plugged in, Stopped at 77 % with an 80 % limit (80 is also its standard limit).
    # VIN2: unplugged with the charge port closed.
    return account_spec(
        vehicle_spec(),
        vehicle_spec(vin=VIN2, id=100002, plugged_in=False, charge_port_door_open=False),
    )


async def only_request(sim: SimulatorHandle, seq: int) -> dict[str, Any]:
    records = await sent_since(sim, seq)
    assert len(records) == 1, records
    return records[0]


async def charge_state(sim: SimulatorHandle, vin: str = VIN) -> dict[str, Any]:
    detail = await sim.vehicle(vin)
    state: dict[str, Any] = detail["charge_state"]
    return state


async def run(
    sim: SimulatorHandle, client: TeslaClient, name: str, *args: Any, vin: str = VIN, **kwargs: Any
) -> tuple[CommandResult, dict[str, Any]]:
    """Send one command; return its result and the request the simulator logged."""
    seq = await mark(sim)
    result = await getattr(client, name)(vin, *args, **kwargs)
    record = await only_request(sim, seq)
    assert record["method"] == "POST"
    assert record["path"] == f"/api/1/vehicles/{vin}/command/{name}"
    assert record["category"] == "command"
    assert record["status"] == 200
    return result, record


# ----------------------------------------------------------------- charge port
async def test_charge_port_door_open_opens_a_closed_port(sim: SimulatorHandle, client: TeslaClient) -> None:
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is False
    result, record = await run(sim, client, "charge_port_door_open", vin=VIN2)
    assert record["body"] == {}
    assert result == CommandResult("charge_port_door_open", "", already=False)
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is True


async def test_charge_port_door_open_unlatches_a_plugged_cable(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    assert (await charge_state(sim))["charge_port_latch"] == "Engaged"
    result, record = await run(sim, client, "charge_port_door_open")
    assert record["body"] == {}
    assert result.already is False
    assert (await charge_state(sim))["charge_port_latch"] == "Disengaged"


async def test_charge_port_door_close_closes_an_open_port(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.charge_port_door_open(VIN2)
    result, record = await run(sim, client, "charge_port_door_close", vin=VIN2)
    assert record["body"] == {}
    assert result == CommandResult("charge_port_door_close", "", already=False)
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is False


async def test_charge_port_door_close_already_closed_is_success(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    result, _ = await run(sim, client, "charge_port_door_close", vin=VIN2)
    assert result == CommandResult("charge_port_door_close", "already closed", already=True)
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is False


async def test_charge_port_door_close_with_a_cable_is_refused(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    seq = await mark(sim)
    with raises_exactly(CommandRefused) as info:
        await client.charge_port_door_close(VIN)
    assert info.value.reason == "cable_connected"
    assert info.value.command == "charge_port_door_close"
    assert len(await sent_since(sim, seq)) == 1
    assert (await charge_state(sim))["charge_port_door_open"] is True


async def test_charge_port_door_close_without_a_motor_is_refused(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    sim.world.vehicles[VIN2].motorized_port = False
    await client.charge_port_door_open(VIN2)
    with raises_exactly(CommandRefused) as info:
        await client.charge_port_door_close(VIN2)
    assert info.value.reason == "not_supported"


# ------------------------------------------------------------------ start/stop
async def test_charge_start_starts_charging(sim: SimulatorHandle, client: TeslaClient) -> None:
    assert (await charge_state(sim))["charging_state"] == "Stopped"
    result, record = await run(sim, client, "charge_start")
    assert record["body"] == {}
    assert result == CommandResult("charge_start", "", already=False)
    assert (await charge_state(sim))["charging_state"] == "Starting"
    sim.advance(10)
    assert (await charge_state(sim))["charging_state"] == "Charging"


async def test_charge_start_while_charging_is_success(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.charge_start(VIN)
    result, _ = await run(sim, client, "charge_start")
    assert result == CommandResult("charge_start", "is_charging", already=True)
    assert (await charge_state(sim))["charging_state"] == "Starting"


async def test_charge_start_unplugged_is_refused(sim: SimulatorHandle, client: TeslaClient) -> None:
    with raises_exactly(CommandRefused) as info:
        await client.charge_start(VIN2)
    assert info.value.reason == "disconnected"
    assert info.value.status is None
    assert "disconnected" in str(info.value)
    assert (await charge_state(sim, VIN2))["charging_state"] == "Disconnected"


async def test_charge_start_at_the_limit_is_refused_as_complete(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    await sim.vehicle(VIN, action="battery_level", level=80)
    with raises_exactly(CommandRefused) as info:
        await client.charge_start(VIN)
    assert info.value.reason == "complete"
    assert (await charge_state(sim))["charging_state"] == "Stopped"


async def test_charge_stop_stops_charging(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.charge_start(VIN)
    sim.advance(10)
    result, record = await run(sim, client, "charge_stop")
    assert record["body"] == {}
    assert result == CommandResult("charge_stop", "", already=False)
    assert (await charge_state(sim))["charging_state"] == "Stopped"


async def test_charge_stop_when_idle_is_success(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, _ = await run(sim, client, "charge_stop")
    assert result == CommandResult("charge_stop", "not_charging", already=True)
    assert (await charge_state(sim))["charging_state"] == "Stopped"


# ---------------------------------------------------------------------- limits
async def test_charge_standard_sets_the_standard_limit(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.set_charge_limit(VIN, 95)
    result, record = await run(sim, client, "charge_standard")
    assert record["body"] == {}
    assert result == CommandResult("charge_standard", "", already=False)
    state = await charge_state(sim)
    assert state["charge_limit_soc"] == state["charge_limit_soc_std"] == 80


async def test_charge_standard_already_standard_is_success(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, _ = await run(sim, client, "charge_standard")
    assert result == CommandResult("charge_standard", "already_standard", already=True)
    assert (await charge_state(sim))["charge_limit_soc"] == 80


async def test_charge_max_range_sets_the_maximum(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, record = await run(sim, client, "charge_max_range")
    assert record["body"] == {}
    assert result == CommandResult("charge_max_range", "", already=False)
    assert (await charge_state(sim))["charge_limit_soc"] == 100


async def test_charge_max_range_twice_is_already_max_range(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.charge_max_range(VIN)
    result, _ = await run(sim, client, "charge_max_range")
    assert result == CommandResult("charge_max_range", "already_max_range", already=True)
    assert (await charge_state(sim))["charge_limit_soc"] == 100


async def test_set_charge_limit_sends_percent(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, record = await run(sim, client, "set_charge_limit", 90)
    assert record["body"] == {"percent": 90}
    assert result == CommandResult("set_charge_limit", "", already=False)
    assert (await charge_state(sim))["charge_limit_soc"] == 90


async def test_set_charge_limit_same_value_is_already_set(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, record = await run(sim, client, "set_charge_limit", 80)
    assert record["body"] == {"percent": 80}
    assert result == CommandResult("set_charge_limit", "already_set", already=True)


async def test_set_charge_limit_below_the_car_minimum_is_clamped_by_the_car(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    # The client lets 0..100 through; the car clamps to its own minimum (50 here).
    result, record = await run(sim, client, "set_charge_limit", 0)
    assert record["body"] == {"percent": 0}
    assert result.already is False
    assert (await charge_state(sim))["charge_limit_soc"] == 50


# ------------------------------------------------------------------------ amps
async def test_set_charging_amps_sends_charging_amps(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, record = await run(sim, client, "set_charging_amps", 10)
    assert record["body"] == {"charging_amps": 10}
    assert result == CommandResult("set_charging_amps", "", already=False)
    state = await charge_state(sim)
    assert state["charge_current_request"] == 10
    assert state["charge_amps"] == 10


async def test_set_charging_amps_above_the_car_maximum_is_clamped(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    await client.set_charging_amps(VIN, 6)
    _, record = await run(sim, client, "set_charging_amps", 80)
    assert record["body"] == {"charging_amps": 80}
    assert (await charge_state(sim))["charge_current_request"] == 16


# ------------------------------------------------------------------ schedules
async def test_set_scheduled_charging_on_and_off(sim: SimulatorHandle, client: TeslaClient) -> None:
    result, record = await run(sim, client, "set_scheduled_charging", True, 1410)
    assert record["body"] == {"enable": True, "time": 1410}
    assert result == CommandResult("set_scheduled_charging", "", already=False)
    state = await charge_state(sim)
    assert state["scheduled_charging_mode"] == "StartAt"
    assert state["scheduled_charging_start_time_minutes"] == 1410

    _, record = await run(sim, client, "set_scheduled_charging", False, 0)
    assert record["body"] == {"enable": False, "time": 0}
    assert (await charge_state(sim))["scheduled_charging_mode"] == "Off"


async def test_set_scheduled_departure_sends_all_seven_parameters(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    result, record = await run(
        sim,
        client,
        "set_scheduled_departure",
        enable=True,
        departure_time=450,
        preconditioning_enabled=True,
        preconditioning_weekdays_only=True,
        off_peak_charging_enabled=True,
        off_peak_charging_weekdays_only=False,
        end_off_peak_time=360,
    )
    assert record["body"] == {
        "enable": True,
        "departure_time": 450,
        "preconditioning_enabled": True,
        "preconditioning_weekdays_only": True,
        "off_peak_charging_enabled": True,
        "off_peak_charging_weekdays_only": False,
        "end_off_peak_time": 360,
    }
    assert result == CommandResult("set_scheduled_departure", "", already=False)
    state = await charge_state(sim)
    assert state["scheduled_departure_time_minutes"] == 450
    assert state["preconditioning_enabled"] is True
    assert state["preconditioning_times"] == "weekdays"
    assert state["off_peak_charging_enabled"] is True
    assert state["off_peak_charging_times"] == "all_week"
    assert state["off_peak_hours_end_time"] == 360
    assert state["scheduled_charging_mode"] == "DepartBy"


async def test_set_scheduled_departure_defaults_are_sent_explicitly(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    _, record = await run(sim, client, "set_scheduled_departure", enable=True, departure_time=1439)
    assert record["body"] == {
        "enable": True,
        "departure_time": 1439,
        "preconditioning_enabled": False,
        "preconditioning_weekdays_only": False,
        "off_peak_charging_enabled": False,
        "off_peak_charging_weekdays_only": False,
        "end_off_peak_time": 0,
    }
    state = await charge_state(sim)
    assert state["scheduled_departure_time_minutes"] == 1439
    assert state["off_peak_charging_enabled"] is False
    assert state["scheduled_charging_mode"] == "Off"


async def test_set_scheduled_departure_disable_clears_it(sim: SimulatorHandle, client: TeslaClient) -> None:
    await client.set_scheduled_departure(VIN, enable=True, departure_time=450, off_peak_charging_enabled=True)
    _, record = await run(sim, client, "set_scheduled_departure", enable=False, departure_time=0)
    assert record["body"]["enable"] is False
    state = await charge_state(sim)
    assert state["off_peak_charging_enabled"] is False
    assert state["scheduled_charging_mode"] == "Off"


# ------------------------------------------------------- the car's reply, parsed
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"result": True, "reason": ""}, CommandResult("charge_start", "")),
        ({"result": True}, CommandResult("charge_start", "")),
        ({"result": False, "reason": "requested"}, CommandResult("charge_start", "requested", already=True)),
        (
            {"result": False, "reason": "car could not execute command: is_charging"},
            CommandResult("charge_start", "is_charging", already=True),
        ),
        (
            {"result": False, "reason": "vcsec could not execute command: already_set"},
            CommandResult("charge_start", "already_set", already=True),
        ),
        # tesla-http-proxy's car refusals carry the reason under "string" (its Go json tag).
        (
            {"result": False, "string": "car could not execute command: is_charging"},
            CommandResult("charge_start", "is_charging", already=True),
        ),
    ],
)
async def test_command_replies_that_mean_success(
    sim: SimulatorHandle, client: TeslaClient, reply: dict[str, Any], expected: CommandResult
) -> None:
    await sim.fault(kind="status", status=200, body={"response": reply}, path="/command/", count=1)
    assert await client.charge_start(VIN) == expected
    # The fault answered instead of the car, which therefore did nothing.
    assert (await charge_state(sim))["charging_state"] == "Stopped"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"result": False, "reason": "could_not_wake_buses"}, "could_not_wake_buses"),
        ({"result": False, "reason": "car could not execute command: complete"}, "complete"),
        ({"result": False, "string": "car could not execute command: disconnected"}, "disconnected"),
        ({"result": False}, ""),
        ({"result": False, "reason": None}, ""),
        # A reply that is not literally true is not a success.
        ({"result": "true", "reason": "odd"}, "odd"),
        # "already closed" only means success for the command it answers.
        ({"result": False, "reason": "already closed"}, "already closed"),
    ],
)
async def test_command_replies_that_are_refusals(
    sim: SimulatorHandle, client: TeslaClient, reply: dict[str, Any], reason: str
) -> None:
    await sim.fault(kind="status", status=200, body={"response": reply}, path="/command/", count=1)
    with raises_exactly(CommandRefused) as info:
        await client.charge_start(VIN)
    assert info.value.reason == reason
    assert info.value.command == "charge_start"
    assert str(info.value).startswith("charge_start refused: ")
