"""Command parameters, content type and unknown commands over HTTP (Fleet mode)."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import VIN, SimulatorHandle
from .conftest import Fleet

OK = {"response": {"result": True, "reason": ""}}


def refused(reason: str) -> dict[str, Any]:
    return {"response": {"result": False, "reason": reason}, "error": "", "error_description": ""}


@pytest.mark.parametrize(
    ("command", "params", "reason"),
    [
        ("set_charge_limit", {}, "missing percent param"),
        ("set_charge_limit", {"percent": None}, "missing percent param"),
        ("set_charge_limit", {"percent": "80"}, "invalid percent param"),
        ("set_charge_limit", {"percent": True}, "invalid percent param"),
        ("set_charge_limit", {"percent": 80.5}, "invalid percent param"),
        ("set_charge_limit", {"percent": [80]}, "invalid percent param"),
        ("set_charging_amps", {}, "missing charging_amps param"),
        ("set_charging_amps", {"charging_amps": "16"}, "invalid charging_amps param"),
        ("set_scheduled_charging", {"time": 60}, "missing enable param"),
        ("set_scheduled_charging", {"enable": "true", "time": 60}, "invalid enable param"),
        ("set_scheduled_charging", {"enable": 1, "time": 60}, "invalid enable param"),
        ("set_scheduled_charging", {"enable": True, "time": 1440}, "invalid time param"),
        ("set_scheduled_charging", {"enable": True, "time": -1}, "invalid time param"),
        ("set_scheduled_departure", {}, "missing enable param"),
        ("set_scheduled_departure", {"enable": True, "departure_time": 1440}, "invalid departure_time param"),
        (
            "set_scheduled_departure",
            {"enable": True, "end_off_peak_time": "6"},
            "invalid end_off_peak_time param",
        ),
        (
            "set_scheduled_departure",
            {"enable": True, "off_peak_charging_enabled": "yes"},
            "invalid off_peak_charging_enabled param",
        ),
    ],
)
async def test_bad_parameters(
    sim: SimulatorHandle, fleet: Fleet, command: str, params: dict[str, Any], reason: str
) -> None:
    before = (await sim.vehicle())["charge_state"]
    reply = await fleet.command(VIN, command, params)
    assert (reply.status, reply.body) == (400, refused(reason))
    assert (await sim.vehicle())["charge_state"] == before  # nothing changed


@pytest.mark.parametrize(
    ("command", "params"),
    [
        ("set_charge_limit", {"percent": 90}),
        ("set_charge_limit", {"percent": 90.0}),  # an integral float is a number
        ("set_charging_amps", {"charging_amps": 10}),
        ("set_scheduled_charging", {"enable": True}),  # time defaults to 0
        ("set_scheduled_charging", {"enable": True, "time": 1439}),
        ("set_scheduled_departure", {"enable": True}),
        ("set_scheduled_departure", {"enable": False, "departure_time": None}),
        ("charge_start", {"ignored": 1}),
    ],
)
async def test_good_parameters(fleet: Fleet, command: str, params: dict[str, Any]) -> None:
    reply = await fleet.command(VIN, command, params)
    assert (reply.status, reply.body) == (200, OK)


@pytest.mark.parametrize("raw", ['{"percent": NaN}', '{"percent": Infinity}', '{"percent": 1e400}'])
async def test_non_finite_numbers_are_invalid(fleet: Fleet, raw: str) -> None:
    reply = await fleet.post(
        f"/api/1/vehicles/{VIN}/command/set_charge_limit", json=None, data=raw, headers=fleet.headers()
    )
    assert (reply.status, reply.body) == (400, refused("invalid percent param"))


async def test_huge_numbers_are_clamped(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "set_charge_limit", {"percent": 10**30})
    assert reply.body == OK
    assert (await sim.vehicle())["charge_state"]["charge_limit_soc"] == 100


async def test_malformed_json_body(fleet: Fleet) -> None:
    reply = await fleet.post(
        f"/api/1/vehicles/{VIN}/command/charge_start", json=None, data='{"a": ', headers=fleet.headers()
    )
    assert reply.status == 400
    assert reply.body["response"] is None
    assert reply.body["error"] == "invalid_request"


async def test_body_must_be_an_object(fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "charge_start", [1, 2])  # type: ignore[arg-type]
    assert reply.status == 400
    assert reply.body == {
        "response": None,
        "error": "invalid_request",
        "error_description": "body must be a JSON object",
    }


async def test_406_without_a_json_content_type(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.post(
        f"/api/1/vehicles/{VIN}/command/set_charge_limit",
        json=None,
        data='{"percent": 90}',
        headers=fleet.headers(content_type="text/plain"),
    )
    assert (reply.status, reply.body) == (
        406,
        {"response": None, "error": "not_a_JSON_request", "error_description": ""},
    )
    assert (await sim.vehicle())["charge_state"]["charge_limit_soc"] == 80
    form = await fleet.post(
        f"/api/1/vehicles/{VIN}/command/set_charge_limit",
        json=None,
        data={"percent": "90"},
        headers=fleet.headers(content_type=None),
    )
    assert form.status == 406


async def test_a_command_without_a_body_is_accepted(fleet: Fleet) -> None:
    """No body at all is read as ``{}``, as the proxy does (invented for the Fleet host)."""
    reply = await fleet.request(
        "POST", f"/api/1/vehicles/{VIN}/command/charge_start", headers=fleet.headers(content_type=None)
    )
    assert (reply.status, reply.body) == (200, OK)


async def test_unknown_command(fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "honk_horn")
    assert (reply.status, reply.body) == (
        400,
        {"response": None, "error": "invalid_command", "error_description": ""},
    )


async def test_unknown_command_for_an_unknown_car_is_404(fleet: Fleet) -> None:
    reply = await fleet.command("5YJ3E1EA0000NOPE0", "honk_horn")
    assert reply.status == 404


async def test_get_on_a_command_is_405(fleet: Fleet) -> None:
    reply = await fleet.get(f"/api/1/vehicles/{VIN}/command/charge_start")
    assert reply.status == 405


async def test_refusals_over_http_are_200(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "charge_stop")
    assert (reply.status, reply.body) == (200, {"response": {"result": False, "reason": "not_charging"}})
    await sim.vehicle(action="unplug")
    reply = await fleet.command(VIN, "charge_start")
    assert reply.body == {"response": {"result": False, "reason": "disconnected"}}
