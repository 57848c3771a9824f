"""The car's checks, in Go's order and with its fault codes; resynchronising from the
session info a fault carries; counters, epochs, clocks and the one-shot faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from simulator.faults import VEHICLE_UNAVAILABLE

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet
from .signed_support import (
    CHARGE_START,
    CHARGE_STOP,
    INFOTAINMENT,
    VCSEC,
    Sent,
    SignedClient,
    pair,
    set_charge_limit,
    vcsec_charge_port,
)


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(command_signing="required", battery_level=60, charge_limit=80))


@pytest.fixture
async def client(sim: SimulatorHandle, fleet: Fleet) -> SignedClient:
    signed = SignedClient(fleet, sim, VIN)
    await pair(sim, VIN, signed.key)
    return signed


async def signing(sim: SimulatorHandle, **change: Any) -> dict[str, Any]:
    path = f"/sim/vehicles/{VIN}/signing"
    result: dict[str, Any] = await sim.call("POST" if change else "GET", path, change or None)
    return result


def fault_of(sent: Sent) -> int:
    assert sent.http.status == 200, sent.http.text
    assert sent.reply is not None
    return sent.reply.fault


def assert_resync(client: SignedClient, sent: Sent, domain: int = INFOTAINMENT) -> None:
    """A fault's session info must verify with the failed request's uuid."""
    assert sent.reply is not None
    assert sent.reply.operation_status == 2
    client.adopt(domain, sent.reply, sent.uuid)


# ------------------------------------------------------------------ the checks
async def test_replay_is_invalid_token_or_counter_with_resync(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await client.handshake(INFOTAINMENT)
    message, uuid, _ = client.sign(INFOTAINMENT, set_charge_limit(90))
    http, first = await client.post(message)
    assert first is not None
    assert first.fault == 0
    http, again = await client.post(message)
    assert again is not None
    assert again.fault == 6
    replay = Sent(http, again, uuid)
    assert_resync(client, replay)
    assert again.session_info is not None
    assert again.session_info["counter"] == 1  # the counter the car holds for this key
    # A tag for another challenge than the failed request's uuid does not verify.
    with pytest.raises(AssertionError, match="does not verify"):
        client.adopt(INFOTAINMENT, again, b"x" * 16)


async def test_expired(sim: SimulatorHandle, client: SignedClient) -> None:
    sim.advance(100)  # the epoch began when the world did
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, expires_at=client.car_clock(INFOTAINMENT) - 1)
    assert fault_of(sent) == 17
    assert_resync(client, sent)


async def test_wrong_epoch(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, epoch=bytes(16))
    assert fault_of(sent) == 15
    assert_resync(client, sent)


async def test_an_omitted_epoch_is_the_cars(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, omit_epoch=True)
    assert fault_of(sent) == 0


async def test_bad_tag(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, tamper=True)
    assert fault_of(sent) == 5
    assert_resync(client, sent)


async def test_expiry_beyond_the_epoch_is_bad_parameter(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, expires_at=(1 << 30) + 1)
    assert fault_of(sent) == 13
    assert_resync(client, sent)


@pytest.mark.parametrize(("counter", "ttl"), [(0, 31), (0, None), (1, 31)])
async def test_time_to_live_too_long_without_a_fresh_counter(
    client: SignedClient, counter: int, ttl: int | None
) -> None:
    await client.handshake(INFOTAINMENT)
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=5)) == 0
    expires = {"expires_at": 0} if ttl is None else {"ttl": ttl}
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, counter=counter, **expires)
    assert fault_of(sent) == 20
    assert_resync(client, sent)


async def test_counter_zero_with_a_short_life_skips_the_counter(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    for _ in range(2):  # replayable on purpose (Go: "messages that can safely be replayed")
        assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=0, ttl=30)) == 0


async def test_the_order_of_the_checks(sim: SimulatorHandle, client: SignedClient) -> None:
    """Epoch before expiry before the tag: a message wrong in every way is 15."""
    sim.advance(100)
    await client.handshake(INFOTAINMENT)
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, epoch=bytes(16), expires_at=1, tamper=True)
    assert fault_of(sent) == 15
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, expires_at=1, tamper=True)
    assert fault_of(sent) == 17
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, counter=0, ttl=300, tamper=True)
    assert fault_of(sent) == 20  # the time to live before the tag
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=3)) == 0
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, counter=3, tamper=True)
    assert fault_of(sent) == 5  # the tag before the counter


# ---------------------------------------------------------------- counters
async def test_infotainment_accepts_out_of_order_counters_once(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=10)) == 0
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=7)) == 0  # late, in the window
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=7)) == 6  # but only once
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=10)) == 6
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=50)) == 0
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=18)) == 0  # 32 back: still in
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=17)) == 6  # 33 back: too old


async def test_vcsec_needs_counters_in_order(sim: SimulatorHandle, client: SignedClient) -> None:
    await sim.vehicle(action="unplug")
    await client.handshake(VCSEC)
    assert fault_of(await client.send(VCSEC, vcsec_charge_port(4), counter=10)) == 0
    sent = await client.send(VCSEC, vcsec_charge_port(3), counter=7)
    assert fault_of(sent) == 6
    assert_resync(client, sent, VCSEC)
    assert fault_of(await client.send(VCSEC, vcsec_charge_port(3), counter=11)) == 0


async def test_each_key_has_its_own_counter(sim: SimulatorHandle, fleet: Fleet, client: SignedClient) -> None:
    other = SignedClient(fleet, sim, VIN)
    await pair(sim, VIN, other.key)
    await client.handshake(INFOTAINMENT)
    await other.handshake(INFOTAINMENT)
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=40)) == 0
    assert fault_of(await other.send(INFOTAINMENT, CHARGE_STOP)) == 0  # counter 1 for this key
    counters = (await signing(sim))["domains"]["infotainment"]["counters"]
    assert counters == {client.point.hex(): 40, other.point.hex(): 1}


# ------------------------------------------------------ epochs and clocks
async def test_reboot_starts_a_new_epoch(sim: SimulatorHandle, client: SignedClient) -> None:
    old = await client.handshake(INFOTAINMENT)
    await client.command(CHARGE_STOP)
    vcsec_epoch = (await signing(sim))["domains"]["vcsec"]["epoch"]
    state = await signing(sim, reboot="infotainment")
    assert state["domains"]["infotainment"]["epoch"] != old.epoch.hex()
    assert state["domains"]["infotainment"]["clock_time"] == 0
    assert state["domains"]["infotainment"]["counters"] == {}
    assert state["domains"]["vcsec"]["epoch"] == vcsec_epoch  # the other domain kept its own
    sent = await client.send(INFOTAINMENT, CHARGE_STOP)
    assert fault_of(sent) == 15
    assert_resync(client, sent)
    assert client.sessions[INFOTAINMENT].epoch.hex() == state["domains"]["infotainment"]["epoch"]
    assert client.sessions[INFOTAINMENT].counter == 0  # a new epoch resets the counter
    assert await client.command(CHARGE_STOP) == (1, "not_charging")
    state = await signing(sim, reboot=True)
    assert state["domains"]["vcsec"]["epoch"] != vcsec_epoch


async def test_clock_skew(sim: SimulatorHandle, client: SignedClient) -> None:
    before = await client.handshake(INFOTAINMENT)
    await signing(sim, clock_skew=3600)
    # The car's clock jumped an hour ahead: a command timed by the old clock has expired.
    sent = await client.send(INFOTAINMENT, CHARGE_STOP)
    assert fault_of(sent) == 17
    assert_resync(client, sent)
    assert client.sessions[INFOTAINMENT].clock_time == before.clock_time + 3600
    assert await client.command(CHARGE_STOP) == (1, "not_charging")
    state = await signing(sim, clock_skew=-(10**9))
    assert state["domains"]["infotainment"]["clock_time"] == 0  # never before the epoch began


async def test_an_epoch_older_than_two_to_the_thirty_seconds_rotates(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    verifier = sim.world.signing[VIN].verifiers[INFOTAINMENT]
    old_epoch = verifier.epoch
    verifier.time_zero = sim.world.now() - (1 << 30) - 1
    session = await client.handshake(INFOTAINMENT)
    assert session.epoch != old_epoch
    assert session.clock_time == 0


async def test_the_last_counter_rolls_the_epoch_over(sim: SimulatorHandle, client: SignedClient) -> None:
    old = await client.handshake(INFOTAINMENT)
    assert fault_of(await client.send(INFOTAINMENT, CHARGE_STOP, counter=0xFFFFFFFF)) == 0
    sent = await client.send(INFOTAINMENT, CHARGE_STOP, counter=1)
    assert fault_of(sent) == 15
    assert_resync(client, sent)
    assert client.sessions[INFOTAINMENT].epoch != old.epoch


# ------------------------------------------------------- one-shot faults
async def test_busy_runs_nothing_and_the_same_message_works_after(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await client.handshake(INFOTAINMENT)
    await signing(sim, busy=1)
    message, _, _ = client.sign(INFOTAINMENT, CHARGE_START)
    _, busy = await client.post(message)
    assert busy is not None
    assert (busy.operation_status, busy.fault) == (2, 1)
    assert (await sim.vehicle())["charge_state"]["charging_state"] == "Stopped"
    _, done = await client.post(message)
    assert done is not None
    assert done.fault == 0
    assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"
    assert (await signing(sim))["busy"] == 0


async def test_infotainment_408_while_vcsec_answers(sim: SimulatorHandle, client: SignedClient) -> None:
    await signing(sim, infotainment_unavailable=2)
    for _ in range(2):
        sent = await client.handshake_raw(INFOTAINMENT)
        assert sent.http.status == 408
        assert sent.http.body["error"] == VEHICLE_UNAVAILABLE
        await client.handshake(VCSEC)
    await client.handshake(INFOTAINMENT)


async def test_a_dropped_reply_still_runs_the_command(sim: SimulatorHandle, client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    await sim.fault(kind="drop_reply", path="signed_command$", count=1)
    message, _, _ = client.sign(INFOTAINMENT, CHARGE_START)
    with pytest.raises(asyncio.TimeoutError):
        await client.post(message, timeout=0.3)
    assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"
    _, again = await client.post(message)  # the client retries: the car saw this counter
    assert again is not None
    assert again.fault == 6
    async with asyncio.timeout(5):
        while len(entries := await sim.requests()) < 3:
            await asyncio.sleep(0.02)
    assert sorted(e["status"] for e in entries) == [0, 200, 200]


# -------------------------------------------------------------- admin input
@pytest.mark.parametrize(
    "body",
    [
        {"unpaired_reply": "shrug"},
        {"encrypt_responses": "yes"},
        {"clock_skew": "fast"},
        {"clock_skew": True},
        {"busy": -1},
        {"busy": 1.5},
        {"reboot": "radio"},
        {"pair_key": "04abcd"},
        {"pair_key": "zz"},
        {"pair_domain": "nobody-registered.example.com"},
        {"pair_domain": 5},
        {"pair_domain": "not a domain"},
        {"paired_keys": "04ab"},
        {"paired_keys": ["not a domain!"]},
        {"colour": "red"},
    ],
)
async def test_bad_admin_input_changes_nothing(
    sim: SimulatorHandle, fleet: Fleet, body: dict[str, Any]
) -> None:
    before = await signing(sim)
    reply = await fleet.request("POST", f"/sim/vehicles/{VIN}/signing", json=body, headers={})
    assert reply.status == 400, reply.text
    assert await signing(sim) == before


async def test_admin_knobs_and_pairing(sim: SimulatorHandle, fleet: Fleet, client: SignedClient) -> None:
    state = await signing(sim)
    assert state["paired_keys"] == [client.point.hex()]
    assert (state["encrypt_responses"], state["unpaired_reply"], state["clock_skew"]) == (
        True,
        "whitelist",
        0.0,
    )
    state = await signing(
        sim, paired_keys=["example.com"], encrypt_responses=False, unpaired_reply="fault", reboot=False
    )
    assert (state["paired_keys"], state["paired_domains"]) == ([], ["example.com"])
    state = await signing(sim, unpair_domain="example.com")
    assert state["paired_domains"] == []
    reply = await fleet.request("GET", "/sim/vehicles/NOPE/signing", headers={})
    assert reply.status == 404
    reply = await fleet.request("POST", "/sim/vehicles/NOPE/signing", json={}, headers={})
    assert reply.status == 404
    reply = await fleet.request(
        "POST", f"/sim/vehicles/{VIN}/signing", data="[1", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    reply = await fleet.request("POST", f"/sim/vehicles/{VIN}/signing", json=[1], headers={})
    assert reply.status == 400
    detail = await sim.vehicle()
    assert detail["firmware"] == "2023.44.30.8 06f534d46010"
