"""signed_command over HTTP: handshakes per domain, unpaired keys, sleep, and the HTTP
answers before the car is reached (422, 400, 406, 408, auth), billing and the log."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from simulator.faults import VEHICLE_UNAVAILABLE

from ..helpers import ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet
from .signed_support import (
    CHARGE_STOP,
    INFOTAINMENT,
    VCSEC,
    SignedClient,
    pair,
    pb_bytes,
    pb_int,
    routable,
    set_charge_limit,
    vcsec_charge_port,
)

SIGNED = f"/api/1/vehicles/{VIN}/signed_command"
UNAVAILABLE = {"response": None, "error": VEHICLE_UNAVAILABLE, "error_description": ""}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(command_signing="required"),
        vehicle_spec(vin=VIN2, id=100002, display_name="Old S", command_signing="off"),
    )


@pytest.fixture
async def client(sim: SimulatorHandle, fleet: Fleet) -> SignedClient:
    signed = SignedClient(fleet, sim, VIN)
    await pair(sim, VIN, signed.key)
    return signed


async def signing(sim: SimulatorHandle, **change: Any) -> dict[str, Any]:
    path = f"/sim/vehicles/{VIN}/signing"
    result: dict[str, Any] = await sim.call("POST" if change else "GET", path, change or None)
    return result


# ------------------------------------------------------------------ handshakes
@pytest.mark.parametrize(("domain", "name"), [(INFOTAINMENT, "infotainment"), (VCSEC, "vcsec")])
async def test_handshake_per_domain(
    sim: SimulatorHandle, client: SignedClient, domain: int, name: str
) -> None:
    sent = await client.handshake_raw(domain)
    reply = sent.reply
    assert reply is not None
    assert (reply.fault, reply.operation_status) == (0, 0)
    client.adopt(domain, reply, sent.uuid)  # fails unless the tag verifies for our uuid
    state = (await signing(sim))["domains"][name]
    info = reply.session_info
    assert info is not None
    assert info["public_key"].hex() == state["public_key"]
    assert info["epoch"].hex() == state["epoch"]
    assert info["counter"] == 0
    assert info["clock_time"] == state["clock_time"]
    assert info["status"] == 0
    assert reply.from_domain == domain
    assert reply.routing_address is not None  # to: the routing address we came from
    # VCSEC leaves request_uuid empty (protocol.md); infotainment echoes it.
    assert reply.request_uuid == (sent.uuid if domain == INFOTAINMENT else None)


async def test_each_domain_has_its_own_key_and_epoch(sim: SimulatorHandle, client: SignedClient) -> None:
    infotainment = await client.handshake(INFOTAINMENT)
    vcsec = await client.handshake(VCSEC)
    assert infotainment.car_point != vcsec.car_point
    assert infotainment.epoch != vcsec.epoch
    assert infotainment.k != vcsec.k


async def test_the_car_clock_follows_the_world_clock(sim: SimulatorHandle, client: SignedClient) -> None:
    first = await client.handshake(INFOTAINMENT)
    sim.advance(100)
    second = await client.handshake(INFOTAINMENT)
    assert second.clock_time == first.clock_time + 100
    assert second.epoch == first.epoch


# ---------------------------------------------------------------- unpaired keys
async def test_unpaired_handshake_is_not_on_the_whitelist_by_default(
    sim: SimulatorHandle, fleet: Fleet
) -> None:
    stranger = SignedClient(fleet, sim, VIN)
    sent = await stranger.handshake_raw(INFOTAINMENT)
    reply = sent.reply
    assert reply is not None
    assert reply.fault == 0
    assert reply.session_info == {
        "counter": 0,
        "public_key": None,
        "epoch": None,
        "clock_time": 0,
        "status": 1,
    }
    assert reply.session_info_tag is None


async def test_unpaired_handshake_can_fault_instead(sim: SimulatorHandle, fleet: Fleet) -> None:
    await signing(sim, unpaired_reply="fault")
    sent = await SignedClient(fleet, sim, VIN).handshake_raw(VCSEC)
    reply = sent.reply
    assert reply is not None
    assert (reply.operation_status, reply.fault) == (2, 3)
    assert reply.session_info is None


@pytest.mark.parametrize("unpaired_reply", ["whitelist", "fault"])
async def test_a_command_from_an_unpaired_key_is_unknown_key_id(
    sim: SimulatorHandle, client: SignedClient, unpaired_reply: str
) -> None:
    await signing(sim, unpaired_reply=unpaired_reply)
    await client.handshake(INFOTAINMENT)
    await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"unpair_key": client.point.hex()})
    sent = await client.send(INFOTAINMENT, CHARGE_STOP)
    assert sent.reply is not None
    assert (sent.reply.operation_status, sent.reply.fault) == (2, 3)
    assert sent.reply.session_info is None


async def test_a_handshake_without_a_key_is_unpaired(sim: SimulatorHandle, client: SignedClient) -> None:
    _, reply = await client.post(pb_bytes(6, pb_int(1, INFOTAINMENT)) + pb_bytes(14, b""))
    assert reply is not None
    assert reply.session_info is not None
    assert reply.session_info["status"] == 1


# ------------------------------------------------------------------ asleep
async def test_asleep_infotainment_is_408_but_vcsec_answers(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await sim.vehicle(action="state", state="asleep")
    sent = await client.handshake_raw(INFOTAINMENT)
    assert (sent.http.status, sent.http.body) == (408, UNAVAILABLE)
    await client.handshake(VCSEC)
    await sim.vehicle(action="state", state="online")
    await sim.vehicle(action="unplug")
    await sim.vehicle(action="state", state="asleep")
    assert (await client.command(vcsec_charge_port(4), domain=VCSEC)) == (0, "")  # close the port
    car = await sim.vehicle()
    assert car["charge_state"]["charge_port_door_open"] is False
    assert car["state"] == "asleep"  # VCSEC did not wake the car


async def test_a_car_offline_answers_on_no_domain(sim: SimulatorHandle, client: SignedClient) -> None:
    await sim.vehicle(action="state", state="offline")
    for domain in (INFOTAINMENT, VCSEC):
        sent = await client.handshake_raw(domain)
        assert (sent.http.status, sent.http.body) == (408, UNAVAILABLE)


async def test_an_infotainment_message_keeps_the_car_awake(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    sim.advance(800)
    await client.handshake(INFOTAINMENT)
    sim.advance(800)  # 1600 s after the start, but only 800 s after the handshake
    assert (await sim.vehicle())["state"] == "online"


# ------------------------------------------------------------- HTTP answers
async def test_a_car_without_signing_is_422(fleet: Fleet, client: SignedClient) -> None:
    message = routable(INFOTAINMENT, session_request_key=client.point, uuid=b"u" * 16)
    reply = await fleet.post(
        f"/api/1/vehicles/{VIN2}/signed_command", {"routable_message": base64.b64encode(message).decode()}
    )
    assert reply.status == 422
    assert reply.body == {
        "response": None,
        "error": "vehicle does not support signed commands",
        "error_description": "",
    }


async def test_a_car_that_allows_signing_takes_signed_commands(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await sim.vehicle(command_signing="allowed")
    assert await client.command(set_charge_limit(90)) == (0, "")
    assert (await sim.vehicle())["charge_state"]["charge_limit_soc"] == 90


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"routable_message": 5},
        {"routable_message": "not base64!"},
        {"routable_message": base64.b64encode(b"\x0a\x05ab").decode()},  # truncated
        {"routable_message": ""},  # empty
        ["routable_message"],
    ],
)
async def test_garbage_is_400(fleet: Fleet, body: Any) -> None:
    reply = await fleet.post(SIGNED, body)
    assert reply.status == 400
    assert reply.body["error"] == "invalid_request"


async def test_a_body_that_is_not_json(fleet: Fleet) -> None:
    reply = await fleet.request("POST", SIGNED, data="{nope", headers=fleet.headers())
    assert reply.status == 400
    reply = await fleet.request("POST", SIGNED, data="x", headers=fleet.headers(content_type="text/plain"))
    assert reply.status == 406


async def test_authentication_and_the_car_come_first(sim: SimulatorHandle, fleet: Fleet) -> None:
    assert (await fleet.post(SIGNED, {}, headers={})).status == 401
    scoped = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"scopes": ["vehicle_device_data"]})
    reply = await fleet.post(SIGNED, {}, token=scoped["access_token"])
    assert (reply.status, reply.body["error"]) == (403, "Unauthorized missing scopes")
    assert (await fleet.post("/api/1/vehicles/5YJ3E1EA1NF999999/signed_command", {})).status == 404
    assert (await fleet.post(f"/eu{SIGNED}", {})).status == 421


# -------------------------------------------------------- protocol answers
async def test_an_unknown_domain_is_invalid_domains(sim: SimulatorHandle, client: SignedClient) -> None:
    _, reply = await client.post(routable(7, session_request_key=client.point))
    assert reply is not None
    assert reply.fault == 8
    _, reply = await client.post(routable(7, payload=CHARGE_STOP))
    assert reply is not None
    assert reply.fault == 8
    # No destination at all, and an empty return address.
    _, reply = await client.post(pb_bytes(7, b"") + pb_bytes(14, pb_bytes(1, client.point)))
    assert reply is not None
    assert (reply.fault, reply.from_domain, reply.routing_address) == (8, None, None)
    entries = await sim.requests()
    assert [(e["domain"], e["command"]) for e in entries] == [(None, None)] * 3


async def test_a_message_without_a_signature_is_bad_parameter(client: SignedClient) -> None:
    _, reply = await client.post(routable(INFOTAINMENT, payload=CHARGE_STOP))
    assert reply is not None
    assert reply.fault == 13


async def test_aes_gcm_personalized_commands_are_refused(client: SignedClient) -> None:
    await client.handshake(INFOTAINMENT)
    gcm = pb_bytes(1, pb_bytes(1, client.point)) + pb_bytes(5, pb_bytes(2, bytes(12)) + pb_int(3, 1))
    _, reply = await client.post(routable(INFOTAINMENT, payload=b"\x01\x02", signature=gcm))
    assert reply is not None
    assert reply.fault == 9


async def test_another_signature_type_is_bad_parameter(client: SignedClient) -> None:
    tag_only = pb_bytes(1, pb_bytes(1, client.point)) + pb_bytes(6, pb_bytes(1, bytes(32)))
    _, reply = await client.post(routable(INFOTAINMENT, payload=CHARGE_STOP, signature=tag_only))
    assert reply is not None
    assert reply.fault == 13


# -------------------------------------------------------- billing and the log
async def test_handshakes_and_commands_are_billed_as_commands_and_logged(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await client.command(set_charge_limit(90))
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"]["command"] == 2
    assert billing["by_vehicle"][VIN]["requests"]["command"] == 2
    handshake, command = await sim.requests()
    assert (handshake["category"], handshake["status"], handshake["billed"]) == ("command", 200, True)
    assert handshake["signed"] == "handshake"
    assert handshake["domain"] == "infotainment"
    assert handshake["command"] is None
    assert handshake["signed_fault"] == 0
    assert command["signed"] == "command"
    assert command["command"] == "set_charge_limit"
    assert command["params"] == {"percent": 90}
    assert command["signed_fault"] == 0
    assert command["vin"] == VIN


async def test_the_log_names_faults_and_unreachable_domains(
    sim: SimulatorHandle, client: SignedClient
) -> None:
    await client.handshake(INFOTAINMENT)
    message, _, _ = client.sign(INFOTAINMENT, CHARGE_STOP)
    await client.post(message)
    await client.post(message)  # a replay
    await sim.vehicle(action="state", state="asleep")
    await client.handshake_raw(INFOTAINMENT)
    entries = await sim.requests()
    assert [(e["signed"], e["command"], e["signed_fault"], e["status"]) for e in entries] == [
        ("handshake", None, 0, 200),
        ("command", "charge_stop", 0, 200),
        ("command", "charge_stop", 6, 200),
        ("handshake", None, None, 408),
    ]


async def test_other_requests_carry_no_signed_fields(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.get(f"/api/1/vehicles/{VIN}")
    (entry,) = await sim.requests()
    assert "signed" not in entry
