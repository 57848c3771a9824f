"""Signed commands end to end: our client against the simulator's car-side verifier.

The simulator decodes and verifies with its own codec and crypto (``simulator/tesla/
signed/``), so a command only runs there when our encoding, metadata, tag, counter and
expiry are all right.  Its request log says what each ``signed_command`` carried
(handshake or command, the decoded command, the fault in the car's answer), which is
how these tests see that nothing ran twice.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
import itertools
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    CommandRefused,
    ConnectionFailed,
    InvalidArgument,
    KeyNotPaired,
    MalformedResponse,
    NotFound,
    RequestTimeout,
    SessionInfoInvalid,
    SignedCommandFault,
    SigningRequired,
    VehicleBusy,
    VehicleUnavailable,
)
from custom_components.ev_charge_control.api.tesla import CommandResult, TeslaClient
from custom_components.ev_charge_control.api.tesla.signing import (
    CommandSigner,
    Domain,
    InMemorySessionStore,
    SigningKey,
    command_payload,
)
from custom_components.ev_charge_control.api.tesla.signing.messages import (
    RoutableMessage,
    SessionInfo,
    SignatureData,
)
from simulator import FakeClock

from ..helpers import ACCESS_TOKEN, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, raises_exactly, sent_since

KEY = SigningKey.generate()
VIN3 = "5YJ3E1EA0PF000003"
OLD_FIRMWARE = "2024.20.9 a1b2c3"
INFO = Domain.INFOTAINMENT


@pytest.fixture
def scenario() -> dict[str, Any]:
    # VIN: plugged in, Stopped at 77 % of an 80 % limit, needs signing, knows our key.
    # VIN2: unplugged, port closed, needs signing, knows our key.
    # VIN3: a car that does not speak the protocol (command_signing off).
    paired = {"command_signing": "required", "paired_keys": [KEY.public_hex()], "firmware": OLD_FIRMWARE}
    return account_spec(
        vehicle_spec(**paired),
        vehicle_spec(vin=VIN2, id=100002, plugged_in=False, charge_port_door_open=False, **paired),
        vehicle_spec(vin=VIN3, id=100003, command_signing="off"),
    )


@pytest.fixture
def store() -> InMemorySessionStore:
    return InMemorySessionStore()


@pytest.fixture
def make_signed(
    make_client: Callable[..., TeslaClient], store: InMemorySessionStore, clock: FakeClock
) -> Callable[..., TeslaClient]:
    """A client holding ``KEY`` that signs for every VIN of the scenario."""

    def build(**overrides: Any) -> TeslaClient:
        options: dict[str, Any] = {"signing_key": KEY, "session_store": store, "clock": clock.now}
        options.update(overrides)
        client = make_client(**options)
        for vin in (VIN, VIN2, VIN3):
            client.set_command_signing(vin, True)
        return client

    return build


@pytest.fixture
def signed(make_signed: Callable[..., TeslaClient]) -> TeslaClient:
    return make_signed()


async def charge_state(sim: SimulatorHandle, vin: str = VIN) -> dict[str, Any]:
    state: dict[str, Any] = (await sim.vehicle(vin))["charge_state"]
    return state


def summary(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(kind, command, fault, status) per request: "rest" for /command/ requests."""
    out: list[tuple[Any, ...]] = []
    for record in records:
        if record["path"].endswith("/signed_command"):
            # A request refused before the car was asked (422, 408) has no decoded fields.
            out.append(
                (record.get("signed"), record.get("command"), record.get("signed_fault"), record["status"])
            )
        else:
            out.append(("rest", record["path"].rsplit("/", 1)[-1], None, record["status"]))
    return out


async def log_of(sim: SimulatorHandle, seq: int) -> list[tuple[Any, ...]]:
    return summary(await sent_since(sim, seq))


async def signing(sim: SimulatorHandle, vin: str = VIN, **change: Any) -> dict[str, Any]:
    result: dict[str, Any] = await sim.call("POST", f"/sim/vehicles/{vin}/signing", change)
    return result


def car_counter(detail: dict[str, Any]) -> int:
    counter: int = detail["domains"]["infotainment"]["counters"][KEY.public_hex()]
    return counter


# ----------------------------------------------------------- every command, signed
async def test_the_first_command_shakes_hands_then_runs(sim: SimulatorHandle, signed: TeslaClient) -> None:
    seq = await mark(sim)
    result = await signed.set_charge_limit(VIN, 90)
    assert result == CommandResult("set_charge_limit", "", already=False)
    records = await sent_since(sim, seq)
    assert summary(records) == [("handshake", None, 0, 200), ("command", "set_charge_limit", 0, 200)]
    assert records[1]["params"] == {"percent": 90}
    assert records[1]["domain"] == "infotainment"
    assert all(r["category"] == "command" and r["billed"] for r in records)
    assert (await charge_state(sim))["charge_limit_soc"] == 90


async def test_charge_start_and_stop(sim: SimulatorHandle, signed: TeslaClient) -> None:
    assert await signed.charge_start(VIN) == CommandResult("charge_start", "")
    assert (await charge_state(sim))["charging_state"] == "Starting"
    sim.advance(10)
    assert await signed.charge_start(VIN) == CommandResult("charge_start", "is_charging", already=True)
    assert await signed.charge_stop(VIN) == CommandResult("charge_stop", "")
    assert (await charge_state(sim))["charging_state"] == "Stopped"
    assert await signed.charge_stop(VIN) == CommandResult("charge_stop", "not_charging", already=True)


async def test_limits(sim: SimulatorHandle, signed: TeslaClient) -> None:
    assert await signed.charge_max_range(VIN) == CommandResult("charge_max_range", "")
    assert (await charge_state(sim))["charge_limit_soc"] == 100
    assert await signed.charge_max_range(VIN) == CommandResult(
        "charge_max_range", "already_max_range", already=True
    )
    assert await signed.charge_standard(VIN) == CommandResult("charge_standard", "")
    assert (await charge_state(sim))["charge_limit_soc"] == 80
    assert await signed.set_charge_limit(VIN, 80) == CommandResult(
        "set_charge_limit", "already_set", already=True
    )
    await signed.set_charge_limit(VIN, 0)  # the car clamps, as over REST
    assert (await charge_state(sim))["charge_limit_soc"] == 50


async def test_charging_amps(sim: SimulatorHandle, signed: TeslaClient) -> None:
    assert await signed.set_charging_amps(VIN, 10) == CommandResult("set_charging_amps", "")
    assert (await charge_state(sim))["charge_current_request"] == 10


async def test_charge_port(sim: SimulatorHandle, signed: TeslaClient) -> None:
    assert await signed.charge_port_door_open(VIN2) == CommandResult("charge_port_door_open", "")
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is True
    assert await signed.charge_port_door_close(VIN2) == CommandResult("charge_port_door_close", "")
    assert (await charge_state(sim, VIN2))["charge_port_door_open"] is False
    assert await signed.charge_port_door_close(VIN2) == CommandResult(
        "charge_port_door_close", "already closed", already=True
    )
    with raises_exactly(CommandRefused) as info:
        await signed.charge_port_door_close(VIN)
    assert info.value.reason == "cable_connected"  # no prefix, as over REST


async def test_a_refusal_reads_as_over_rest(sim: SimulatorHandle, signed: TeslaClient) -> None:
    seq = await mark(sim)
    with raises_exactly(CommandRefused) as info:
        await signed.charge_start(VIN2)
    assert (info.value.command, info.value.reason) == ("charge_start", "disconnected")
    assert str(info.value) == "charge_start refused: disconnected"
    assert (await log_of(sim, seq))[-1] == ("command", "charge_start", 0, 200)


async def test_scheduled_charging(sim: SimulatorHandle, signed: TeslaClient) -> None:
    assert await signed.set_scheduled_charging(VIN, True, 1410) == CommandResult("set_scheduled_charging", "")
    state = await charge_state(sim)
    assert state["scheduled_charging_mode"] == "StartAt"
    assert state["scheduled_charging_start_time_minutes"] == 1410
    await signed.set_scheduled_charging(VIN, False, 0)
    assert (await charge_state(sim))["scheduled_charging_mode"] == "Off"


async def test_scheduled_departure(sim: SimulatorHandle, signed: TeslaClient) -> None:
    seq = await mark(sim)
    await signed.set_scheduled_departure(
        VIN,
        enable=True,
        departure_time=450,
        preconditioning_enabled=True,
        preconditioning_weekdays_only=True,
        off_peak_charging_enabled=True,
        off_peak_charging_weekdays_only=False,
        end_off_peak_time=360,
    )
    state = await charge_state(sim)
    assert state["scheduled_departure_time_minutes"] == 450
    assert state["preconditioning_times"] == "weekdays"
    assert state["off_peak_charging_enabled"] is True
    assert state["off_peak_charging_times"] == "all_week"
    assert state["off_peak_hours_end_time"] == 360
    assert state["scheduled_charging_mode"] == "DepartBy"
    assert (await log_of(sim, seq))[-1] == ("command", "set_scheduled_departure", 0, 200)

    await signed.set_scheduled_departure(VIN, enable=False, departure_time=0)
    state = await charge_state(sim)
    assert state["off_peak_charging_enabled"] is False
    assert state["scheduled_charging_mode"] == "Off"


# ------------------------------------------------------------- sessions are kept
async def test_one_handshake_per_car_and_domain(sim: SimulatorHandle, signed: TeslaClient) -> None:
    seq = await mark(sim)
    await signed.set_charge_limit(VIN, 90)
    await signed.set_charging_amps(VIN, 8)
    await signed.charge_stop(VIN)
    await signed.charge_port_door_open(VIN2)
    assert [kind for kind, *_ in await log_of(sim, seq)] == [
        "handshake", "command", "command", "command", "handshake", "command",
    ]  # fmt: skip
    assert signed.costs.total.handshakes == 2
    assert signed.costs.for_vehicle(VIN).handshakes == 1
    assert signed.costs.for_vehicle(VIN2).handshakes == 1
    # The handshakes are billed as commands, as Tesla bills every signed_command.
    assert signed.costs.total.as_dict()["command"] == 6
    assert signed.costs.total.as_dict()["handshakes"] == 2
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"]["command"] == 6
    assert billing["cost_usd"] == signed.costs.total.cost_usd


async def test_a_new_client_continues_from_the_stored_sessions(
    sim: SimulatorHandle,
    signed: TeslaClient,
    make_signed: Callable[..., TeslaClient],
    store: InMemorySessionStore,
) -> None:
    await signed.set_charge_limit(VIN, 90)
    assert set(store.sessions) == {(VIN, INFO)}
    saved = store.sessions[VIN, INFO]
    assert saved["counter"] == car_counter(await signing(sim))
    assert KEY.private_pem().decode() not in str(saved)

    restarted = make_signed()  # same store, as after a Home Assistant restart
    seq = await mark(sim)
    await restarted.set_charge_limit(VIN, 85)
    assert await log_of(sim, seq) == [("command", "set_charge_limit", 0, 200)]
    assert restarted.costs.total.handshakes == 0
    assert (await charge_state(sim))["charge_limit_soc"] == 85


async def test_without_a_store_a_new_client_shakes_hands_again(
    sim: SimulatorHandle, make_signed: Callable[..., TeslaClient]
) -> None:
    await make_signed(session_store=None).charge_stop(VIN)
    seq = await mark(sim)
    await make_signed(session_store=None).charge_stop(VIN)
    assert [kind for kind, *_ in await log_of(sim, seq)] == ["handshake", "command"]


# ------------------------------------------------------------ resync and retry
async def test_a_rebooted_car_resyncs_and_runs_the_command_once(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    await signed.charge_stop(VIN)
    await signing(sim, reboot=True)  # new epoch: the session the client holds is stale
    seq = await mark(sim)
    assert await signed.set_charge_limit(VIN, 90) == CommandResult("set_charge_limit", "")
    assert await log_of(sim, seq) == [
        ("command", "set_charge_limit", 15, 200),  # INCORRECT_EPOCH, with session info
        ("command", "set_charge_limit", 0, 200),
    ]
    assert signed.costs.total.handshakes == 1  # the fault's session info replaced a handshake
    assert (await charge_state(sim))["charge_limit_soc"] == 90


async def test_a_drifted_car_clock_resyncs(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await signed.charge_stop(VIN)
    await signing(sim, clock_skew=120)  # the car's clock runs two minutes ahead
    seq = await mark(sim)
    await signed.set_charging_amps(VIN, 12)
    assert await log_of(sim, seq) == [
        ("command", "set_charging_amps", 17, 200),  # TIME_EXPIRED
        ("command", "set_charging_amps", 0, 200),
    ]
    assert (await charge_state(sim))["charge_current_request"] == 12


def stored(store: InMemorySessionStore, **change: Any) -> None:
    store.sessions[VIN, INFO] = {**store.sessions[VIN, INFO], **change}


@pytest.mark.parametrize(
    ("damage", "fault"),
    [
        (lambda s: {"counter": s["counter"] - 1}, 6),  # a counter the car has seen: a replay
        (lambda s: {"epoch": "00" * 16}, 15),  # another epoch
        (lambda s: {"clock_offset": s["clock_offset"] + 600}, 17),  # expired on arrival
        (lambda s: {"vehicle_public_key": SigningKey.generate().public_hex()}, 5),  # wrong K: bad tag
    ],
    ids=["replayed_counter", "wrong_epoch", "expired", "bad_tag"],
)
async def test_a_stale_stored_session_is_repaired_by_the_car(
    sim: SimulatorHandle,
    signed: TeslaClient,
    make_signed: Callable[..., TeslaClient],
    store: InMemorySessionStore,
    damage: Callable[[dict[str, Any]], dict[str, Any]],
    fault: int,
) -> None:
    sim.advance(700)  # the car's clock is well past 0, so an expiry can lie behind it
    await signed.charge_stop(VIN)
    stored(store, **damage(store.sessions[VIN, INFO]))
    restarted = make_signed()
    seq = await mark(sim)
    assert await restarted.set_charge_limit(VIN, 70) == CommandResult("set_charge_limit", "")
    assert await log_of(sim, seq) == [
        ("command", "set_charge_limit", fault, 200),
        ("command", "set_charge_limit", 0, 200),
    ]
    assert (await charge_state(sim))["charge_limit_soc"] == 70
    # The repaired session is stored again.
    assert store.sessions[VIN, INFO]["counter"] == car_counter(await signing(sim))


async def test_a_second_session_refusal_is_not_retried(
    sim: SimulatorHandle, make_signed: Callable[..., TeslaClient], clock: FakeClock
) -> None:
    # A local clock that reads ten minutes slow whenever a command is signed (every
    # second reading): each command expires before it arrives, even after a resync.
    readings: Iterator[float] = itertools.count()

    def jumpy() -> float:
        return clock.now() - (600 if next(readings) % 2 else 0)

    sim.advance(700)  # the car's clock is well past 0, so an expiry can lie behind it
    client = make_signed(clock=jumpy)
    seq = await mark(sim)
    with raises_exactly(SignedCommandFault) as info:
        await client.set_charge_limit(VIN, 90)
    assert (info.value.fault, info.value.fault_name) == (17, "TIME_EXPIRED")
    assert await log_of(sim, seq) == [
        ("handshake", None, 0, 200),
        ("command", "set_charge_limit", 17, 200),
        ("command", "set_charge_limit", 17, 200),
    ]
    assert (await charge_state(sim))["charge_limit_soc"] == 80


# ------------------------------------------------------------------ the key
@pytest.mark.parametrize("reply", ["whitelist", "fault"])
async def test_an_unpaired_key_fails_the_handshake(
    sim: SimulatorHandle, signed: TeslaClient, reply: str
) -> None:
    await signing(sim, unpair_key=KEY.public_hex(), unpaired_reply=reply)
    seq = await mark(sim)
    with raises_exactly(KeyNotPaired) as info:
        await signed.charge_start(VIN)
    assert "pair" in str(info.value)
    fault = 3 if reply == "fault" else 0
    assert await log_of(sim, seq) == [("handshake", None, fault, 200)]
    assert (await charge_state(sim))["charging_state"] == "Stopped"


async def test_a_key_unpaired_after_the_handshake(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await signed.charge_stop(VIN)
    await signing(sim, unpair_key=KEY.public_hex())
    seq = await mark(sim)
    with raises_exactly(KeyNotPaired):
        await signed.charge_start(VIN)
    assert await log_of(sim, seq) == [("command", "charge_start", 3, 200)]  # UNKNOWN_KEY_ID
    assert (await charge_state(sim))["charging_state"] == "Stopped"


async def test_session_info_that_does_not_verify(sim: SimulatorHandle, signed: TeslaClient) -> None:
    # An answer made with another key than the car's: its tag cannot be ours.
    impostor = SigningKey.generate()
    info = SessionInfo(counter=1, public_key=impostor.public_point(), epoch=bytes(16), clock_time=5)
    reply = RoutableMessage(
        session_info=info.encode(), signature_data=SignatureData(session_info_tag=bytes(32))
    )
    body = {"response": base64.b64encode(reply.encode()).decode()}
    await sim.fault(kind="status", status=200, body=body, path="/signed_command", count=1)
    seq = await mark(sim)
    with raises_exactly(SessionInfoInvalid):
        await signed.charge_start(VIN)
    assert len(await sent_since(sim, seq)) == 1
    assert (await charge_state(sim))["charging_state"] == "Stopped"
    # Nothing was trusted: the next command shakes hands with the real car.
    seq = await mark(sim)
    await signed.charge_start(VIN)
    assert [kind for kind, *_ in await log_of(sim, seq)] == ["handshake", "command"]


# ------------------------------------------------------------------ the car's state
async def test_an_asleep_car_is_408_and_nothing_is_retried(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await sim.vehicle(VIN, action="state", state="asleep")
    seq = await mark(sim)
    with raises_exactly(VehicleUnavailable):
        await signed.charge_start(VIN)
    records = await sent_since(sim, seq)
    assert [(r["signed"], r["status"]) for r in records] == [("handshake", 408)]
    await signed.wake_and_wait(VIN)
    assert await signed.charge_start(VIN) == CommandResult("charge_start", "")


async def test_infotainment_unavailable_after_the_handshake(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    await signed.charge_stop(VIN)
    await signing(sim, infotainment_unavailable=1)
    seq = await mark(sim)
    with raises_exactly(VehicleUnavailable):
        await signed.charge_start(VIN)
    assert [r["status"] for r in await sent_since(sim, seq)] == [408]
    assert await signed.charge_start(VIN) == CommandResult("charge_start", "")


async def test_a_busy_car_ran_nothing(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await signed.charge_stop(VIN)
    await signing(sim, busy=1)
    seq = await mark(sim)
    with raises_exactly(VehicleBusy):
        await signed.charge_start(VIN)
    assert await log_of(sim, seq) == [("command", "charge_start", 1, 200)]
    assert (await charge_state(sim))["charging_state"] == "Stopped"
    assert await signed.charge_start(VIN) == CommandResult("charge_start", "")


# ---------------------------------------------------------------- never twice
async def test_no_resend_after_a_lost_reply(
    sim: SimulatorHandle, make_signed: Callable[..., TeslaClient]
) -> None:
    client = make_signed(request_timeout=0.5)
    await client.charge_stop(VIN)  # the session is in place
    before = car_counter(await signing(sim))
    await sim.fault(kind="drop_reply", path="/signed_command", count=1)
    with raises_exactly(RequestTimeout):
        await client.set_charge_limit(VIN, 90)
    # The command ran on the car, once; the client did not send it again.
    assert (await charge_state(sim))["charge_limit_soc"] == 90
    assert car_counter(await signing(sim)) == before + 1
    seq = await mark(sim)
    await client.set_charging_amps(VIN, 9)
    assert await log_of(sim, seq) == [("command", "set_charging_amps", 0, 200)]
    assert car_counter(await signing(sim)) == before + 2


async def test_no_resend_after_a_dropped_connection(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await signed.charge_stop(VIN)
    await sim.fault(kind="disconnect", path="/signed_command", count=1)
    seq = await mark(sim)
    with raises_exactly(ConnectionFailed):
        await signed.set_charge_limit(VIN, 90)
    assert len(await sent_since(sim, seq)) == 1


# ---------------------------------------------------------------- falling back to REST
async def test_a_car_without_the_protocol_falls_back_to_rest_once(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    assert signed.signs_commands(VIN3)
    seq = await mark(sim)
    assert await signed.charge_start(VIN3) == CommandResult("charge_start", "")
    # The handshake was the request refused (the simulator decodes nothing it refuses).
    assert await log_of(sim, seq) == [(None, None, None, 422), ("rest", "charge_start", None, 200)]
    assert signed.costs.for_vehicle(VIN3).handshakes == 1
    assert not signed.signs_commands(VIN3)
    seq = await mark(sim)
    await signed.charge_stop(VIN3)
    assert await log_of(sim, seq) == [("rest", "charge_stop", None, 200)]
    assert signed.signs_commands(VIN)  # other cars keep signing


async def test_a_server_without_the_route_falls_back_to_rest(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    # A relay or proxy that has no signed_command route answers a plain 404.
    await sim.vehicle(VIN, command_signing="allowed")
    await sim.fault(kind="status", status=404, body="404: Not Found", path="/signed_command", count=1)
    seq = await mark(sim)
    assert await signed.set_charge_limit(VIN, 90) == CommandResult("set_charge_limit", "")
    assert [kind for kind, *_ in await log_of(sim, seq)] == [None, "rest"]
    assert not signed.signs_commands(VIN)


@pytest.mark.parametrize("status", [405, 501])
async def test_other_missing_route_statuses_fall_back(
    sim: SimulatorHandle, signed: TeslaClient, status: int
) -> None:
    await sim.vehicle(VIN, command_signing="allowed")
    await sim.fault(kind="status", status=status, body={"error": "nope"}, path="/signed_command", count=1)
    assert await signed.charge_stop(VIN) == CommandResult("charge_stop", "not_charging", already=True)
    assert not signed.signs_commands(VIN)


async def test_vehicle_not_found_does_not_fall_back(sim: SimulatorHandle, signed: TeslaClient) -> None:
    await sim.fault(kind="not_found", path="/signed_command", count=1)
    seq = await mark(sim)
    with raises_exactly(NotFound):
        await signed.charge_start(VIN)
    assert len(await sent_since(sim, seq)) == 1
    assert signed.signs_commands(VIN)


async def test_a_fallback_to_rest_that_needs_signing_says_so(
    sim: SimulatorHandle, signed: TeslaClient
) -> None:
    await sim.fault(kind="status", status=422, body={"error": "odd"}, path="/signed_command", count=1)
    with raises_exactly(SigningRequired):
        await signed.charge_start(VIN)


# ---------------------------------------------------------------- set-up
async def test_cars_are_rest_until_named(
    sim: SimulatorHandle, make_client: Callable[..., TeslaClient]
) -> None:
    client = make_client(signing_key=KEY)
    assert not client.signs_commands(VIN)
    seq = await mark(sim)
    with raises_exactly(SigningRequired):
        await client.charge_start(VIN)
    assert await log_of(sim, seq) == [("rest", "charge_start", None, 403)]
    client.set_command_signing(VIN, True)
    assert client.signs_commands(VIN)
    client.set_command_signing(VIN, False)
    assert not client.signs_commands(VIN)


async def test_signing_needs_a_key(make_client: Callable[..., TeslaClient]) -> None:
    client = make_client()
    with pytest.raises(InvalidArgument, match="no signing key"):
        client.set_command_signing(VIN, True)
    client.set_command_signing(VIN, False)
    assert not client.signs_commands(VIN)
    with pytest.raises(InvalidArgument, match="vin"):
        client.set_command_signing("", False)


# ------------------------------------------------------------ encrypted replies
async def post_signed(sim: SimulatorHandle, routable: bytes, vin: str = VIN) -> bytes:
    async with sim.admin.post(
        f"{sim.url}/api/1/vehicles/{vin}/signed_command",
        json={"routable_message": base64.b64encode(routable).decode()},
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    ) as response:
        assert response.status == 200, await response.text()
        return base64.b64decode((await response.json())["response"])


@pytest.mark.parametrize("encrypt", [True, False])
async def test_replies_encrypted_or_not(sim: SimulatorHandle, clock: FakeClock, encrypt: bool) -> None:
    # The signer on its own, over HTTP: to see whether the car encrypted its answer.
    await signing(sim, encrypt_responses=encrypt)
    signer = CommandSigner(KEY, clock=clock.now)
    request, uuid = signer.session_request(VIN, INFO)
    signer.accept_session_info(VIN, INFO, await post_signed(sim, request), uuid)
    for name, reason in (("charge_stop", "not_charging"), ("charge_max_range", "")):
        routable, pending = signer.sign(VIN, INFO, command_payload(name, {})[1])
        reply = await post_signed(sim, routable)
        message = RoutableMessage.decode(reply)
        assert message.request_uuid == pending.uuid
        gcm = message.signature_data.aes_gcm_response if message.signature_data else None
        assert (gcm is not None) is encrypt
        answer = signer.open_reply(pending, reply)
        assert (answer.ok, answer.reason, answer.encrypted) == (reason == "", reason, encrypt)
    assert (await charge_state(sim))["charge_limit_soc"] == 100


async def test_signed_requests_are_unauthenticated_without_a_token(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    # The partner or user token is still what Tesla checks first: no token, no car.
    signer = CommandSigner(KEY)
    request, _uuid = signer.session_request(VIN, INFO)
    async with session.post(
        f"{sim.url}/api/1/vehicles/{VIN}/signed_command",
        json={"routable_message": base64.b64encode(request).decode()},
    ) as response:
        assert response.status == 401


@pytest.mark.parametrize("answer", [{"response": {"result": True}}, {"response": "not base64!"}])
async def test_an_answer_that_is_not_a_signed_reply(
    sim: SimulatorHandle, signed: TeslaClient, answer: dict[str, Any]
) -> None:
    await sim.fault(kind="status", status=200, body=answer, path="/signed_command", count=1)
    with raises_exactly(MalformedResponse) as info:
        await signed.charge_start(VIN)
    assert "signed_command" in str(info.value)
