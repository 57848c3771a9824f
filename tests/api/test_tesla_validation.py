"""Argument validation: a bad argument raises InvalidArgument and nothing reaches the wire.

Every case checks the simulator's request log afterwards: an argument the client let
through by mistake shows up there even if the simulator happened to accept it.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ev_charge_control.api import ApiError, InvalidArgument
from custom_components.ev_charge_control.api.tesla import Endpoint, TeslaClient

from ..helpers import VIN, SimulatorHandle
from .support import mark, raises_exactly, sent_since

DEPARTURE_OK: dict[str, Any] = {
    "enable": True,
    "departure_time": 450,
    "preconditioning_enabled": False,
    "preconditioning_weekdays_only": False,
    "off_peak_charging_enabled": False,
    "off_peak_charging_weekdays_only": False,
    "end_off_peak_time": 360,
}
WRONG_INTS: list[Any] = [True, False, 80.0, 80.5, "80", None, [80]]
WRONG_BOOLS: list[Any] = [1, 0, "true", None, 1.0]


def int_cases(method: str, argument: str, low: int, high: int) -> list[Any]:
    out = [pytest.param(method, argument, value, id=f"{argument}={value!r}") for value in WRONG_INTS]
    out += [pytest.param(method, argument, low - 1, id=f"{argument}={low - 1}")]
    out += [pytest.param(method, argument, high + 1, id=f"{argument}={high + 1}")]
    return out


def bool_cases(method: str, argument: str) -> list[Any]:
    return [pytest.param(method, argument, value, id=f"{argument}={value!r}") for value in WRONG_BOOLS]


CASES = [
    *int_cases("set_charge_limit", "percent", 0, 100),
    *int_cases("set_charging_amps", "charging_amps", 0, 80),
    *int_cases("set_scheduled_charging", "time", 0, 1439),
    *bool_cases("set_scheduled_charging", "enable"),
    *int_cases("set_scheduled_departure", "departure_time", 0, 1439),
    *int_cases("set_scheduled_departure", "end_off_peak_time", 0, 1439),
    *bool_cases("set_scheduled_departure", "enable"),
    *bool_cases("set_scheduled_departure", "preconditioning_enabled"),
    *bool_cases("set_scheduled_departure", "preconditioning_weekdays_only"),
    *bool_cases("set_scheduled_departure", "off_peak_charging_enabled"),
    *bool_cases("set_scheduled_departure", "off_peak_charging_weekdays_only"),
]
VALID: dict[str, dict[str, Any]] = {
    "set_charge_limit": {"percent": 80},
    "set_charging_amps": {"charging_amps": 16},
    "set_scheduled_charging": {"enable": True, "time": 600},
    "set_scheduled_departure": DEPARTURE_OK,
}


@pytest.mark.parametrize(("method", "argument", "value"), CASES)
async def test_bad_argument_is_refused_before_sending(
    sim: SimulatorHandle, client: TeslaClient, method: str, argument: str, value: Any
) -> None:
    kwargs = {**VALID[method], argument: value}
    seq = await mark(sim)
    with raises_exactly(InvalidArgument) as info:
        await getattr(client, method)(VIN, **kwargs)
    assert info.value.argument == argument
    assert str(info.value).startswith(f"{argument}: ")
    assert isinstance(info.value, ValueError)
    assert await sent_since(sim, seq) == []
    assert client.costs.total.requests == 0


@pytest.mark.parametrize(
    ("method", "argument", "value"),
    [
        ("set_charge_limit", "percent", 0),
        ("set_charge_limit", "percent", 100),
        ("set_charging_amps", "charging_amps", 0),
        ("set_charging_amps", "charging_amps", 80),
        ("set_scheduled_charging", "time", 0),
        ("set_scheduled_charging", "time", 1439),
        ("set_scheduled_departure", "departure_time", 0),
        ("set_scheduled_departure", "departure_time", 1439),
        ("set_scheduled_departure", "end_off_peak_time", 0),
        ("set_scheduled_departure", "end_off_peak_time", 1439),
    ],
)
async def test_boundaries_are_sent(
    sim: SimulatorHandle, client: TeslaClient, method: str, argument: str, value: int
) -> None:
    seq = await mark(sim)
    await getattr(client, method)(VIN, **{**VALID[method], argument: value})
    records = await sent_since(sim, seq)
    assert len(records) == 1
    assert records[0]["body"][argument] == value
    assert records[0]["status"] == 200


VIN_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("vehicle", {}),
    ("vehicle_data", {}),
    ("wake_up", {}),
    ("wake_and_wait", {"timeout": 1}),
    ("charge_port_door_open", {}),
    ("charge_port_door_close", {}),
    ("charge_start", {}),
    ("charge_stop", {}),
    ("charge_standard", {}),
    ("charge_max_range", {}),
    *VALID.items(),
]


@pytest.mark.parametrize(("method", "kwargs"), VIN_CALLS, ids=[name for name, _ in VIN_CALLS])
@pytest.mark.parametrize("vin", ["", "   ", None, 12345678901234567])
async def test_bad_vin_is_refused_before_sending(
    sim: SimulatorHandle, client: TeslaClient, method: str, kwargs: dict[str, Any], vin: Any
) -> None:
    seq = await mark(sim)
    with raises_exactly(InvalidArgument) as info:
        await getattr(client, method)(vin, **kwargs)
    assert info.value.argument == "vin"
    assert await sent_since(sim, seq) == []


@pytest.mark.parametrize(
    "endpoints",
    [
        ["charge_state", "battery_state"],
        ["charge_state;climate_state"],
        [],
        ["vehicle_data_combo_x"],
        [Endpoint.CHARGE_STATE, 7],
        [["charge_state"]],
        "charge",
    ],
)
async def test_unknown_endpoint_is_refused_before_sending(
    sim: SimulatorHandle, client: TeslaClient, endpoints: Any
) -> None:
    seq = await mark(sim)
    with raises_exactly(InvalidArgument) as info:
        await client.vehicle_data(VIN, endpoints)
    assert info.value.argument == "endpoints"
    assert await sent_since(sim, seq) == []


async def test_invalid_argument_is_an_api_error() -> None:
    # Callers that catch ApiError also catch validation failures.
    assert issubclass(InvalidArgument, ApiError)
    error = InvalidArgument("percent", "must be between 0 and 100, got 101")
    assert (error.argument, error.status, error.message) == (
        "percent",
        None,
        "percent: must be between 0 and 100, got 101",
    )
