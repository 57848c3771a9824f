"""Charge and precondition schedules (firmware 2024.26+): models, checks, REST commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from custom_components.ev_charge_control.api import CommandRefused, InvalidArgument
from custom_components.ev_charge_control.api.tesla import (
    ChargeSchedule,
    CommandResult,
    Endpoint,
    FleetStatus,
    PreconditionSchedule,
    TeslaClient,
    VehicleData,
)
from custom_components.ev_charge_control.api.tesla.models import days_from_text, firmware_version
from custom_components.ev_charge_control.api.tesla.schedules import (
    charge_schedule_params,
    days_text,
    precondition_schedule_params,
    rest_body,
)
from custom_components.ev_charge_control.api.tesla.signing import SigningKey

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, raises_exactly, sent_since

HOME = {"latitude": 52.375, "longitude": 4.875}
CHARGE = ChargeSchedule(
    id=1_262_304_001,
    name="Home Assistant",
    days_of_week=127,
    start_enabled=True,
    start_time=120,
    end_enabled=True,
    end_time=420,
    one_time=False,
    enabled=True,
    **HOME,
)
PRECONDITION = PreconditionSchedule(
    id=1_262_304_003,
    name="Home Assistant",
    days_of_week=62,
    precondition_time=450,
    one_time=False,
    enabled=True,
    **HOME,
)


# ---------------------------------------------------------------------- models
def test_charge_schedule_from_vehicle_data() -> None:
    item = {
        "id": 1_700_000_000,
        "name": "Work",
        "days_of_week": 62,
        "start_enabled": True,
        "start_time": 480,
        "end_enabled": False,
        "end_time": 0,
        "one_time": False,
        "enabled": True,
        "latitude": 52.1,
        "longitude": 4.3,
    }
    assert ChargeSchedule.from_dict(item) == ChargeSchedule(
        id=1_700_000_000,
        name="Work",
        days_of_week=62,
        start_enabled=True,
        start_time=480,
        end_enabled=False,
        end_time=0,
        one_time=False,
        enabled=True,
        latitude=52.1,
        longitude=4.3,
    )


def test_missing_and_odd_values_read_as_protobuf_defaults() -> None:
    odd = {
        "id": "17",
        "name": 5,
        "days_of_week": None,
        "start_time": "soon",
        "enabled": "yes",
        "latitude": "nan",
    }
    assert ChargeSchedule.from_dict(odd) == ChargeSchedule(id=17)
    assert PreconditionSchedule.from_dict({"id": 3, "precondition_time": 1.0e400}) == PreconditionSchedule(
        id=3
    )


@pytest.mark.parametrize(
    ("value", "mask"),
    [(127, 127), (255, 127), ("All", 127), ("Weekdays", 62), ("mon, Tuesday,THURS", 2 | 4 | 16), ("Sun", 1)],
)
def test_days_read_as_a_bitmask(value: Any, mask: int) -> None:
    assert ChargeSchedule.from_dict({"id": 1, "days_of_week": value}).days_of_week == mask


def test_unknown_day_names() -> None:
    assert days_from_text("Funday") is None
    assert days_from_text("") is None
    assert ChargeSchedule.from_dict({"id": 1, "days_of_week": "Mon,Funday"}).days_of_week == 0


@pytest.mark.parametrize(
    ("mask", "text"),
    [
        (127, "All"),
        (62, "Weekdays"),
        (1 | 64, "Sunday,Saturday"),
        (4 | 16, "Tuesday,Thursday"),
    ],
)
def test_days_as_rest_text(mask: int, text: str) -> None:
    assert days_text(mask) == text
    assert days_from_text(text) == mask


def vehicle_data(**sections: Any) -> VehicleData:
    return VehicleData.from_dict({"vin": VIN, "state": "online", **sections})


def test_schedules_absent_when_the_sections_are() -> None:
    data = vehicle_data()
    assert data.charge_schedules is None
    assert data.precondition_schedules is None
    assert data.firmware is None
    assert data.uses_charge_schedules is False


def test_schedules_parsed_and_bad_entries_skipped() -> None:
    data = vehicle_data(
        charge_schedule_data={
            "charge_schedules": [
                {"id": 5, "start_enabled": True, "start_time": 60, "enabled": True},
                {"name": "no id"},
                "junk",
                {"id": -1},
            ],
            "max_num_charge_schedules": 100,
        },
        preconditioning_schedule_data={"precondition_schedules": [{"id": 9, "precondition_time": 450}]},
    )
    assert data.charge_schedules == (ChargeSchedule(id=5, start_enabled=True, start_time=60, enabled=True),)
    assert data.precondition_schedules == (PreconditionSchedule(id=9, precondition_time=450),)
    assert data.uses_charge_schedules is True  # no firmware named: the section decides


def test_an_empty_or_odd_section_is_no_schedules() -> None:
    data = vehicle_data(charge_schedule_data={"charge_schedules": None}, preconditioning_schedule_data={})
    assert data.charge_schedules == ()
    assert data.precondition_schedules == ()


@pytest.mark.parametrize(
    ("car_version", "uses"),
    [
        ("2024.26 abc", True),
        ("2024.32.7 abcdef", True),
        ("2025.2.1", True),
        ("2024.20.9 123", False),
        ("2023.44.30.8 06f534d46010", False),
    ],
)
def test_firmware_decides_when_known(car_version: str, uses: bool) -> None:
    # An old firmware with an (empty) schedule section still takes scheduled charging.
    data = vehicle_data(
        vehicle_state={"car_version": car_version}, charge_schedule_data={"charge_schedules": []}
    )
    assert data.firmware == car_version
    assert data.uses_charge_schedules is uses


def test_firmware_version_parsing() -> None:
    assert firmware_version("2024.32.7 abcdef") == (2024, 32)
    assert firmware_version("develop") is None
    assert firmware_version(None) is None
    assert vehicle_data(vehicle_state={"car_version": 2024}).firmware is None


def test_fleet_status_from_dict() -> None:
    status = FleetStatus.from_dict(
        {
            "key_paired_vins": [VIN, 7],
            "unpaired_vins": ["5YJSA1E41GF000002"],
            "vehicle_info": {
                VIN: {
                    "firmware_version": "2025.44.25",
                    "vehicle_command_protocol_required": True,
                    "total_number_of_keys": 8,
                },
                "bad": "entry",
            },
        }
    )
    assert status.key_paired_vins == {VIN}
    assert status.unpaired_vins == {"5YJSA1E41GF000002"}
    assert set(status.vehicle_info) == {VIN}
    info = status.vehicle_info[VIN]
    assert (info.firmware_version, info.vehicle_command_protocol_required, info.total_number_of_keys) == (
        "2025.44.25",
        True,
        8,
    )
    empty = FleetStatus.from_dict({"key_paired_vins": None})
    assert (empty.key_paired_vins, empty.unpaired_vins, dict(empty.vehicle_info)) == (
        frozenset(),
        frozenset(),
        {},
    )


# ----------------------------------------------------------------- REST bodies
def test_rest_body_of_a_charge_schedule() -> None:
    assert rest_body("add_charge_schedule", charge_schedule_params(CHARGE)) == {
        "id": 1_262_304_001,
        "days_of_week": "All",
        "enabled": True,
        "start_enabled": True,
        "start_time": 120,
        "end_enabled": True,
        "end_time": 420,
        "one_time": False,
        "lat": 52.375,
        "lon": 4.875,
    }


def test_rest_body_of_a_precondition_schedule() -> None:
    assert rest_body("add_precondition_schedule", precondition_schedule_params(PRECONDITION)) == {
        "id": 1_262_304_003,
        "days_of_week": "Weekdays",
        "enabled": True,
        "precondition_time": 450,
        "one_time": False,
        "lat": 52.375,
        "lon": 4.875,
    }


# ------------------------------------------------------------------ validation
BAD_CHARGE = [
    ({"id": -1}, "schedule_id"),
    ({"id": 2**64}, "schedule_id"),
    ({"id": True}, "schedule_id"),
    ({"days_of_week": 0}, "days_of_week"),
    ({"days_of_week": 128}, "days_of_week"),
    ({"start_time": 1440}, "start_time"),
    ({"end_time": -1}, "end_time"),
    ({"start_enabled": 1}, "start_enabled"),
    ({"enabled": None}, "enabled"),
    ({"one_time": "no"}, "one_time"),
    ({"latitude": 90.5}, "latitude"),
    ({"latitude": float("nan")}, "latitude"),
    ({"longitude": float("inf")}, "longitude"),
    ({"longitude": -180.01}, "longitude"),
    ({"longitude": "4.8"}, "longitude"),
    ({"name": None}, "name"),
    ({"name": "x" * 256}, "name"),
]


@pytest.mark.parametrize(("change", "argument"), BAD_CHARGE)
async def test_an_invalid_charge_schedule_sends_nothing(
    sim: SimulatorHandle, client: TeslaClient, change: dict[str, Any], argument: str
) -> None:
    seq = await mark(sim)
    with pytest.raises(InvalidArgument) as info:
        await client.add_charge_schedule(VIN, replace(CHARGE, **change))
    assert info.value.argument == argument
    assert await sent_since(sim, seq) == []


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"precondition_time": 1440}, "precondition_time"),
        ({"days_of_week": 0}, "days_of_week"),
        ({"latitude": -91}, "latitude"),
        ({"id": -5}, "schedule_id"),
    ],
)
async def test_an_invalid_precondition_schedule_sends_nothing(
    sim: SimulatorHandle, client: TeslaClient, change: dict[str, Any], argument: str
) -> None:
    seq = await mark(sim)
    with pytest.raises(InvalidArgument) as info:
        await client.add_precondition_schedule(VIN, replace(PRECONDITION, **change))
    assert info.value.argument == argument
    assert await sent_since(sim, seq) == []


async def test_wrong_types_and_ids_send_nothing(sim: SimulatorHandle, client: TeslaClient) -> None:
    seq = await mark(sim)
    with pytest.raises(InvalidArgument, match="ChargeSchedule"):
        await client.add_charge_schedule(VIN, PRECONDITION)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="PreconditionSchedule"):
        await client.add_precondition_schedule(VIN, CHARGE)  # type: ignore[arg-type]
    for call in (client.remove_charge_schedule, client.remove_precondition_schedule):
        with pytest.raises(InvalidArgument, match="schedule_id"):
            await call(VIN, -1)
        with pytest.raises(InvalidArgument, match="schedule_id"):
            await call(VIN, "5")  # type: ignore[arg-type]
    assert await sent_since(sim, seq) == []


# ------------------------------------------------------ against the simulator
KEY = SigningKey.generate()
NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"


@pytest.fixture
def scenario() -> dict[str, Any]:
    # VIN takes both REST and signed commands and runs schedule firmware; VIN2 is older.
    return account_spec(
        vehicle_spec(command_signing="allowed", firmware=NEW_FIRMWARE, paired_keys=[KEY.public_hex()]),
        vehicle_spec(vin=VIN2, id=100002, firmware="2024.20.9 a1b2c3"),
    )


@pytest.fixture
def signed(make_client: Callable[..., TeslaClient]) -> TeslaClient:
    client = make_client(signing_key=KEY)
    client.set_command_signing(VIN, True)
    return client


async def schedules(client: TeslaClient, vin: str = VIN) -> VehicleData:
    return await client.vehicle_data(
        vin, (Endpoint.CHARGE_SCHEDULE_DATA, Endpoint.PRECONDITIONING_SCHEDULE_DATA)
    )


async def only_record(sim: SimulatorHandle, seq: int) -> dict[str, Any]:
    records = await sent_since(sim, seq)
    assert len(records) == 1, records
    return records[0]


async def test_rest_charge_schedule_added_and_removed(sim: SimulatorHandle, client: TeslaClient) -> None:
    seq = await mark(sim)
    assert await client.add_charge_schedule(VIN, CHARGE) == CommandResult("add_charge_schedule", "")
    record = await only_record(sim, seq)
    assert record["path"] == f"/api/1/vehicles/{VIN}/command/add_charge_schedule"
    assert record["body"] == rest_body("add_charge_schedule", charge_schedule_params(CHARGE))
    data = await schedules(client)
    # REST takes no name; everything else comes back as sent.
    assert data.charge_schedules == (replace(CHARGE, name=""),)
    assert data.uses_charge_schedules is True

    seq = await mark(sim)
    await client.remove_charge_schedule(VIN, CHARGE.id)
    assert (await only_record(sim, seq))["body"] == {"id": CHARGE.id}
    assert (await schedules(client)).charge_schedules == ()


async def test_rest_day_names_are_understood(sim: SimulatorHandle, client: TeslaClient) -> None:
    tuesday_thursday = replace(CHARGE, days_of_week=4 | 16, end_enabled=False, end_time=0)
    await client.add_charge_schedule(VIN, tuesday_thursday)
    (schedule,) = (await schedules(client)).charge_schedules or ()
    assert schedule.days_of_week == 4 | 16


async def test_rest_precondition_schedule_added_and_removed(
    sim: SimulatorHandle, client: TeslaClient
) -> None:
    seq = await mark(sim)
    await client.add_precondition_schedule(VIN, PRECONDITION)
    assert (await only_record(sim, seq))["body"] == rest_body(
        "add_precondition_schedule", precondition_schedule_params(PRECONDITION)
    )
    assert (await schedules(client)).precondition_schedules == (replace(PRECONDITION, name=""),)
    await client.remove_precondition_schedule(VIN, PRECONDITION.id)
    assert (await schedules(client)).precondition_schedules == ()


async def test_older_firmware_refuses_schedules(sim: SimulatorHandle, client: TeslaClient) -> None:
    with raises_exactly(CommandRefused) as info:
        await client.add_charge_schedule(VIN2, CHARGE)
    assert info.value.reason == "not_supported"
    assert (await schedules(client, VIN2)).uses_charge_schedules is False


async def test_signed_charge_schedule_added_and_removed(sim: SimulatorHandle, signed: TeslaClient) -> None:
    seq = await mark(sim)
    assert await signed.add_charge_schedule(VIN, CHARGE) == CommandResult("add_charge_schedule", "")
    records = await sent_since(sim, seq)
    assert [r["signed"] for r in records] == ["handshake", "command"]
    assert records[1]["command"] == "add_charge_schedule"
    assert records[1]["signed_fault"] == 0
    assert (await schedules(signed)).charge_schedules == (CHARGE,)  # the name travels signed

    await signed.remove_charge_schedule(VIN, CHARGE.id)
    assert (await schedules(signed)).charge_schedules == ()


async def test_signed_precondition_schedule_added_and_removed(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    await signed.add_precondition_schedule(VIN, PRECONDITION)
    assert (await schedules(signed)).precondition_schedules == (PRECONDITION,)
    seq = await mark(sim)
    await signed.remove_precondition_schedule(VIN, PRECONDITION.id)
    record = await only_record(sim, seq)
    assert (record["signed"], record["command"]) == ("command", "remove_precondition_schedule")
    assert (await schedules(signed)).precondition_schedules == ()


async def test_a_schedule_is_changed_in_place_by_id(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await signed.add_charge_schedule(VIN, CHARGE)
    await signed.add_charge_schedule(VIN, replace(CHARGE, enabled=False, start_time=60))
    assert (await schedules(signed)).charge_schedules == (replace(CHARGE, enabled=False, start_time=60),)
