"""Our commands as CarServer.Action payloads (field numbers from car_server.proto)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ev_charge_control.api.tesla.signing import Domain, command_payload
from custom_components.ev_charge_control.api.tesla.signing.actions import _BUILDERS
from custom_components.ev_charge_control.api.tesla.signing.wire import Fields


def vehicle_action(name: str, params: dict[str, Any] | None = None) -> tuple[int, Fields]:
    """The one VehicleAction member a command sets, and its body."""
    domain, payload = command_payload(name, params or {})
    assert domain == Domain.INFOTAINMENT
    action = Fields(payload)
    assert action.numbers() == {2}
    inner = action.message(2)
    assert inner is not None
    (member,) = inner.numbers()
    body = inner.message(member)
    assert body is not None
    return member, body


@pytest.mark.parametrize(
    ("name", "choice"),
    [("charge_start", 2), ("charge_standard", 3), ("charge_max_range", 4), ("charge_stop", 5)],
)
def test_start_stop_sets_one_void_member(name: str, choice: int) -> None:
    member, body = vehicle_action(name)
    assert member == 6
    assert body.numbers() == {choice}
    assert body.blob(choice) == b""


def test_exact_bytes_of_charge_start() -> None:
    # Action{vehicleAction(2){chargingStartStopAction(6){start(2){}}}}
    assert command_payload("charge_start", {})[1].hex() == "120432021200"


def test_set_charge_limit() -> None:
    member, body = vehicle_action("set_charge_limit", {"percent": 80})
    assert (member, body.int32(1)) == (5, 80)


def test_set_charging_amps() -> None:
    member, body = vehicle_action("set_charging_amps", {"charging_amps": 16})
    assert (member, body.int32(1)) == (43, 16)


@pytest.mark.parametrize(("name", "member"), [("charge_port_door_open", 62), ("charge_port_door_close", 61)])
def test_charge_port_goes_to_infotainment(name: str, member: int) -> None:
    found, body = vehicle_action(name)
    assert found == member
    assert body.numbers() == frozenset()


def test_set_scheduled_charging() -> None:
    member, body = vehicle_action("set_scheduled_charging", {"enable": True, "time": 120})
    assert (member, body.boolean(1), body.int32(2)) == (41, True, 120)
    _, off = vehicle_action("set_scheduled_charging", {"enable": False, "time": 0})
    assert off.numbers() == frozenset()


def departure(**params: Any) -> Fields:
    member, body = vehicle_action("set_scheduled_departure", {"enable": True, **params})
    assert member == 42
    return body


def test_departure_policies() -> None:
    body = departure(
        departure_time=450,
        preconditioning_enabled=True,
        preconditioning_weekdays_only=False,
        off_peak_charging_enabled=True,
        off_peak_charging_weekdays_only=True,
        end_off_peak_time=360,
    )
    assert body.boolean(1) is True
    assert body.int32(2) == 450
    preconditioning, off_peak = body.message(3), body.message(4)
    assert preconditioning is not None
    assert preconditioning.numbers() == {1}
    assert off_peak is not None
    assert off_peak.numbers() == {2}
    assert body.int32(5) == 360


def test_weekdays_only_without_enabled_is_weekdays() -> None:
    body = departure(departure_time=450, preconditioning_weekdays_only=True)
    preconditioning = body.message(3)
    assert preconditioning is not None
    assert preconditioning.numbers() == {2}
    assert body.message(4) is None


def test_policies_off_are_left_out() -> None:
    body = departure(departure_time=450, preconditioning_enabled=False, off_peak_charging_enabled=False)
    assert body.message(3) is None
    assert body.message(4) is None


def test_departure_off_sends_enabled_false_only() -> None:
    member, body = vehicle_action(
        "set_scheduled_departure",
        {"enable": False, "departure_time": 450, "preconditioning_enabled": True, "end_off_peak_time": 60},
    )
    assert member == 42
    assert body.numbers() == frozenset()  # enabled=false is proto3's default: nothing else


CHARGE_SCHEDULE = {
    "id": 1_700_000_000,
    "name": "Home",
    "days_of_week": 62,
    "start_enabled": True,
    "start_time": 120,
    "end_enabled": True,
    "end_time": 420,
    "one_time": False,
    "enabled": True,
    "latitude": 52.25,
    "longitude": -4.5,
}


def test_add_charge_schedule() -> None:
    member, body = vehicle_action("add_charge_schedule", CHARGE_SCHEDULE)
    assert member == 97
    assert body.uint(1) == 1_700_000_000
    assert body.string(2) == "Home"
    assert body.int32(3) == 62
    assert (body.boolean(4), body.int32(5), body.boolean(6), body.int32(7)) == (True, 120, True, 420)
    assert (body.boolean(8), body.boolean(9)) == (False, True)
    assert (body.float32(10), body.float32(11)) == (52.25, -4.5)


def test_add_precondition_schedule() -> None:
    params = {
        "id": 2**64 - 1,
        "name": "",
        "days_of_week": 127,
        "precondition_time": 450,
        "one_time": True,
        "enabled": False,
        "latitude": -33.5,
        "longitude": 151.25,
    }
    member, body = vehicle_action("add_precondition_schedule", params)
    assert member == 99
    assert body.uint(1) == 2**64 - 1
    assert (body.int32(3), body.int32(4), body.boolean(5), body.boolean(6)) == (127, 450, True, False)
    assert (body.float32(7), body.float32(8)) == (-33.5, 151.25)


@pytest.mark.parametrize(
    ("name", "member"), [("remove_charge_schedule", 98), ("remove_precondition_schedule", 100)]
)
def test_remove_schedules(name: str, member: int) -> None:
    found, body = vehicle_action(name, {"id": 1_700_000_001})
    assert (found, body.uint(1)) == (member, 1_700_000_001)


def test_every_command_we_sign() -> None:
    assert {
        "charge_start",
        "charge_stop",
        "charge_standard",
        "charge_max_range",
        "set_charge_limit",
        "set_charging_amps",
        "charge_port_door_open",
        "charge_port_door_close",
        "set_scheduled_charging",
        "set_scheduled_departure",
        "add_charge_schedule",
        "remove_charge_schedule",
        "add_precondition_schedule",
        "remove_precondition_schedule",
    } == set(_BUILDERS)
    with pytest.raises(KeyError):
        command_payload("honk_horn", {})
