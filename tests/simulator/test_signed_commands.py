"""Every charging command signed end to end changes the car, with the REST path's refusal
reasons; VCSEC's charge port; encrypted replies; payloads the car cannot run."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import VIN, SimulatorHandle, account_spec
from .conftest import Fleet
from .signed_support import (
    CHARGE_MAX_RANGE,
    CHARGE_STANDARD,
    CHARGE_START,
    CHARGE_STOP,
    FLAG_ENCRYPT_RESPONSE,
    INFOTAINMENT,
    PORT_CLOSE,
    PORT_OPEN,
    VCSEC,
    SignedClient,
    action_result,
    decrypt_reply,
    pair,
    pb_bytes,
    pb_int,
    scheduled_charging,
    scheduled_departure,
    set_charge_limit,
    set_charging_amps,
    signing_car,
    vcsec_charge_port,
    vehicle_action,
)

OK = (0, "")


@pytest.fixture
def scenario() -> dict[str, Any]:
    # Old firmware, so the legacy schedule commands still act (charge schedules: their own file).
    return account_spec(signing_car())


@pytest.fixture
async def client(sim: SimulatorHandle, fleet: Fleet) -> SignedClient:
    signed = SignedClient(fleet, sim, VIN)
    await pair(sim, VIN, signed.key)
    return signed


async def charge(sim: SimulatorHandle) -> dict[str, Any]:
    state: dict[str, Any] = (await sim.vehicle())["charge_state"]
    return state


# ---------------------------------------------------------------- the commands
async def test_start_and_stop(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(CHARGE_START) == OK
    assert (await charge(sim))["charging_state"] == "Starting"
    sim.advance(60)
    assert (await charge(sim))["charging_state"] == "Charging"
    assert await client.command(CHARGE_STOP) == OK
    assert (await charge(sim))["charging_state"] == "Stopped"


async def test_refusals_carry_the_rest_reasons(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(CHARGE_STOP) == (1, "not_charging")
    assert await client.command(set_charge_limit(80)) == (1, "already_set")
    await sim.vehicle(action="unplug")
    assert await client.command(CHARGE_START) == (1, "disconnected")


async def test_limits(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(set_charge_limit(90)) == OK
    assert (await charge(sim))["charge_limit_soc"] == 90
    assert await client.command(CHARGE_STANDARD) == OK
    assert (await charge(sim))["charge_limit_soc"] == 80  # the fixture's standard limit
    assert await client.command(CHARGE_MAX_RANGE) == OK
    assert (await charge(sim))["charge_limit_soc"] == 100
    assert await client.command(CHARGE_MAX_RANGE) == (1, "already_max_range")
    assert await client.command(set_charge_limit(-5)) == OK  # a negative int32: ten bytes, clamped
    assert (await charge(sim))["charge_limit_soc"] == 50


async def test_amps(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(set_charging_amps(10)) == OK
    assert (await charge(sim))["charge_current_request"] == 10


async def test_charge_port_on_infotainment(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(PORT_CLOSE) == (1, "cable_connected")
    await sim.vehicle(action="unplug")
    assert await client.command(PORT_CLOSE) == OK
    assert (await charge(sim))["charge_port_door_open"] is False
    assert await client.command(PORT_OPEN) == OK
    assert (await charge(sim))["charge_port_door_open"] is True


async def test_charge_port_on_vcsec(sim: SimulatorHandle, client: SignedClient) -> None:
    await sim.vehicle(action="unplug")
    assert await client.command(vcsec_charge_port(4), domain=VCSEC) == OK
    assert (await charge(sim))["charge_port_door_open"] is False
    # A refusal is a nominal error in FromVCSECMessage.
    assert await client.command(vcsec_charge_port(4), domain=VCSEC) == (1, "")
    assert await client.command(vcsec_charge_port(3), domain=VCSEC) == OK
    assert (await charge(sim))["charge_port_door_open"] is True


async def test_scheduled_charging(sim: SimulatorHandle, client: SignedClient) -> None:
    assert await client.command(scheduled_charging(True, 120)) == OK
    state = await charge(sim)
    assert (state["scheduled_charging_mode"], state["scheduled_charging_start_time_minutes"]) == (
        "StartAt",
        120,
    )
    assert await client.command(scheduled_charging(False, 0)) == OK
    assert (await charge(sim))["scheduled_charging_mode"] == "Off"
    assert await client.command(scheduled_charging(True, 1440)) == (1, "invalid time param")


async def test_scheduled_departure(sim: SimulatorHandle, client: SignedClient) -> None:
    payload = scheduled_departure(450, 360, precondition="all_week", off_peak="weekdays")
    assert await client.command(payload) == OK
    state = await charge(sim)
    assert state["scheduled_departure_time_minutes"] == 450
    assert state["preconditioning_enabled"] is True
    assert state["preconditioning_times"] == "all_week"
    assert state["off_peak_charging_enabled"] is True
    assert state["off_peak_charging_times"] == "weekdays"
    assert state["off_peak_hours_end_time"] == 360
    assert state["scheduled_charging_mode"] == "DepartBy"
    payload = scheduled_departure(480, 0, precondition="weekdays", off_peak=None)
    assert await client.command(payload) == OK
    state = await charge(sim)
    assert (state["preconditioning_times"], state["off_peak_charging_enabled"]) == ("weekdays", False)
    assert await client.command(vehicle_action(42, pb_int(1, 0))) == OK  # {enabled: false} only
    assert (await charge(sim))["preconditioning_enabled"] is False


# ---------------------------------------------------- what the car cannot run
async def test_an_unknown_action_is_invalid_command(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    unknown_start_stop = vehicle_action(6, pb_bytes(1, b""))  # chargingStartStopAction.unknown
    for payload in (
        vehicle_action(10, pb_int(1, 1)),
        pb_bytes(3, b""),
        vehicle_action(6, b""),
        unknown_start_stop,
    ):
        sent = await client.send(INFOTAINMENT, payload)
        assert sent.reply is not None
        assert sent.reply.fault == 9


async def test_an_undecodable_payload_is_a_decoding_fault(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, b"\x12\x05ab")
    assert sent.reply is not None
    assert sent.reply.fault == 10


@pytest.mark.parametrize(
    "payload",
    [pb_bytes(1, b""), pb_bytes(4, pb_int(7, 1)), pb_bytes(4, pb_int(5, 3) + pb_int(7, 3))],
)
async def test_vcsec_only_moves_the_charge_port(client: SignedClient, payload: bytes) -> None:
    await client.handshake(VCSEC)
    sent = await client.send(VCSEC, payload)
    assert sent.reply is not None
    assert sent.reply.fault == 9


# ------------------------------------------------------------ encrypted replies
@pytest.mark.parametrize("domain", [INFOTAINMENT, VCSEC])
async def test_an_encrypted_reply_decrypts(sim: SimulatorHandle, client: SignedClient, domain: int) -> None:
    await sim.vehicle(action="unplug")
    session = await client.handshake(domain)
    payload = PORT_CLOSE if domain == INFOTAINMENT else vcsec_charge_port(4)
    sent = await client.send(domain, payload, flags=FLAG_ENCRYPT_RESPONSE)
    reply = sent.reply
    assert reply is not None
    assert reply.response_tag is not None
    assert reply.flags == FLAG_ENCRYPT_RESPONSE  # echoed, and part of the AAD
    assert reply.response_counter == session.counter
    plaintext = decrypt_reply(session.k, domain, VIN, sent.tag, reply)
    if domain == INFOTAINMENT:
        assert action_result(plaintext) == OK
    else:
        assert plaintext == b""
    assert (await charge(sim))["charge_port_door_open"] is False


async def test_a_refusal_is_encrypted_too(client: SignedClient) -> None:
    session = await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, flags=FLAG_ENCRYPT_RESPONSE)
    assert sent.reply is not None
    plaintext = decrypt_reply(session.k, INFOTAINMENT, VIN, sent.tag, sent.reply)
    assert action_result(plaintext) == (1, "not_charging")


async def test_without_the_flag_the_reply_is_plain(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP)
    assert sent.reply is not None
    assert sent.reply.response_tag is None
    assert action_result(sent.reply.payload) == (1, "not_charging")


async def test_a_car_that_does_not_encrypt_ignores_the_flag(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"encrypt_responses": False})
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, flags=FLAG_ENCRYPT_RESPONSE)
    assert sent.reply is not None
    assert sent.reply.response_tag is None
    assert action_result(sent.reply.payload) == (1, "not_charging")


async def test_the_flags_are_authenticated(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    message, _, _ = client.sign(INFOTAINMENT, CHARGE_STOP)  # signed without flags...
    flagged = message + pb_int(52, FLAG_ENCRYPT_RESPONSE)  # ...sent with them
    _, reply = await client.post(flagged)
    assert reply is not None
    assert reply.fault == 5
