"""protocol.md's published vectors, the simulator's wire codec, and a handshake that must
reproduce the published session info and tag byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import World
from simulator.tesla.signed import crypto, wire
from simulator.tesla.signed.messages import encode_session_info, parse_routable
from simulator.tesla.signed.verifier import ClientCounter, slide_window

from ..helpers import SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet
from .signed_support import (
    INFOTAINMENT,
    VECTOR_CLIENT_POINT,
    VECTOR_CLIENT_SCALAR,
    VECTOR_EPOCH,
    VECTOR_K,
    VECTOR_SESSION_INFO,
    VECTOR_SIK,
    VECTOR_TAG,
    VECTOR_UUID,
    VECTOR_VEHICLE_POINT,
    VECTOR_VEHICLE_SCALAR,
    VECTOR_VIN,
    SignedClient,
    _hmac,
    derive_k,
    point,
    session_info_tag,
    vector_key,
)


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(vin=VECTOR_VIN, command_signing="required"))


# ------------------------------------------------- the test signer's own crypto
def test_the_test_signer_reproduces_the_published_key_agreement() -> None:
    client, vehicle = vector_key(VECTOR_CLIENT_SCALAR), vector_key(VECTOR_VEHICLE_SCALAR)
    assert point(client).hex() == VECTOR_CLIENT_POINT
    assert point(vehicle).hex() == VECTOR_VEHICLE_POINT
    k = derive_k(client, point(vehicle))
    assert k.hex() == VECTOR_K
    assert _hmac(k, b"session info").hex() == VECTOR_SIK
    tag = session_info_tag(k, VECTOR_VIN, bytes.fromhex(VECTOR_UUID), bytes.fromhex(VECTOR_SESSION_INFO))
    assert tag.hex() == VECTOR_TAG


# --------------------------------------------------- the simulator's own crypto
def test_the_simulator_reproduces_the_published_vectors() -> None:
    vehicle = vector_key(VECTOR_VEHICLE_SCALAR)
    k = crypto.shared_key(vehicle, bytes.fromhex(VECTOR_CLIENT_POINT))
    assert k.hex() == VECTOR_K
    assert crypto.subkey(k, b"session info").hex() == VECTOR_SIK
    info = encode_session_info(
        counter=6,
        public_key=bytes.fromhex(VECTOR_VEHICLE_POINT),
        epoch=bytes.fromhex(VECTOR_EPOCH),
        clock_time=2650,
    )
    assert info.hex() == VECTOR_SESSION_INFO
    tag = crypto.session_info_tag(k, VECTOR_VIN, bytes.fromhex(VECTOR_UUID), info)
    assert tag.hex() == VECTOR_TAG
    assert crypto.point_of(vehicle).hex() == VECTOR_VEHICLE_POINT


def test_metadata_serialisation_examples() -> None:
    # protocol.md, Metadata serialization: SERIALIZE({COUNTER: 100, VIN: "abc"}).
    assert crypto.metadata((2, b"abc"), (5, crypto.u32(100))).hex() == "0203616263050400000064ff"
    # protocol.md, AES-GCM example metadata (signature type 5, infotainment).
    meta = crypto.metadata(
        (0, b"\x05"),
        (1, b"\x03"),
        (2, VECTOR_VIN.encode()),
        (3, bytes.fromhex(VECTOR_EPOCH)),
        (4, crypto.u32(2655)),
        (5, crypto.u32(7)),
    )
    assert meta.hex() == (
        "000105010103021135594a333031323334353637383941424303104c463f9cc0d3d26906e982ed224adde6"
        "040400000a5f050400000007ff"
    )
    with pytest.raises(ValueError, match="ascending"):
        crypto.metadata((5, b"x"), (2, b"y"))
    with pytest.raises(ValueError, match="255"):
        crypto.metadata((2, bytes(256)))


def test_public_keys_must_be_uncompressed_p256_points() -> None:
    with pytest.raises(ValueError, match="65-byte"):
        crypto.public_key_from_point(bytes(33))
    with pytest.raises(ValueError, match="Invalid EC key"):
        crypto.public_key_from_point(b"\x04" + bytes(64))  # not on the curve


# ----------------------------------------------------------------- the codec
def test_wire_round_trip() -> None:
    data = (
        wire.field_varint(1, 300)
        + wire.field_varint(2, -5)
        + wire.field_bytes(3, b"hi")
        + wire.field_fixed32(4, 2650)
        + wire.field_fixed64(5, 1 << 40)
        + wire.field_float(6, 1.5)
        + wire.field_bytes(7, wire.field_varint(1, 1))
    )
    fields = wire.decode(data)
    assert fields.uint(1) == 300
    assert fields.int32(2) == -5
    assert len(wire.field_varint(2, -5)) == 11  # a negative int32 takes ten bytes, plus the key
    assert fields.raw(3) == b"hi"
    assert fields.text(3) == "hi"
    assert fields.fixed32(4) == 2650
    assert fields.float32(6) == 1.5
    inner = fields.message(7)
    assert inner is not None
    assert inner.boolean(1) is True
    assert fields.raw(9) is None
    assert fields.message(9) is None
    assert fields.text(9) == ""
    assert (fields.uint(9), fields.fixed32(9), fields.float32(9)) == (0, 0, 0.0)
    assert wire.optional_varint(1, 0) == b""
    assert wire.optional_bytes(1, b"") == b""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x08", "truncated varint"),
        (b"\x0a\x05ab", "truncated field 1"),
        (b"\x25\x01\x02", "truncated fixed-size"),
        (b"\x08" + b"\xff" * 10 + b"\x01", "longer than ten bytes"),
        (b"\x08" + b"\xff" * 9 + b"\x7f", "longer than 64 bits"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x00\x01", "field number 0"),
    ],
)
def test_wire_rejects_malformed_input(data: bytes, reason: str) -> None:
    with pytest.raises(wire.WireError, match=reason):
        wire.decode(data)


def test_wire_type_mismatches_and_bad_text() -> None:
    fields = wire.decode(wire.field_varint(1, 1) + wire.field_bytes(2, b"\xff"))
    with pytest.raises(wire.WireError, match="field 1 is varint, expected length-delimited"):
        fields.raw(1)
    with pytest.raises(wire.WireError, match="not UTF-8"):
        fields.text(2)
    with pytest.raises(wire.WireError, match="empty message"):
        parse_routable(b"")


def test_sliding_window() -> None:
    assert slide_window(0, 0, 1) == (1, 1)
    assert slide_window(5, 0, 5) is None  # seen
    assert slide_window(40, 0, 7) is None  # 33 back: older than the window of 32
    assert slide_window(40, 0, 8) == (40, 1 << 31)  # 32 back: the window's last bit
    counter, window = 40, 0
    updated = slide_window(counter, window, 9)  # 31 back: inside the window
    assert updated == (40, 1 << 30)
    assert slide_window(*updated, 9) is None
    assert slide_window(1, 1, 3) == (3, 0b110)  # counters 2 and 1 marked as seen
    assert slide_window(1, 1, 100) == (100, 0)  # shifted past 64 bits, as Go's uint64 does


# ---------------------------------------------- the same bytes over HTTP
async def test_a_handshake_reproduces_the_published_session_info(
    sim: SimulatorHandle, fleet: Fleet, world: World
) -> None:
    car = world.signing[VECTOR_VIN]
    verifier = car.verifiers[INFOTAINMENT]
    verifier.private_key = vector_key(VECTOR_VEHICLE_SCALAR)
    verifier.epoch = bytes.fromhex(VECTOR_EPOCH)
    verifier.time_zero = world.now() - 2650
    client_point = bytes.fromhex(VECTOR_CLIENT_POINT)
    verifier.clients[client_point] = ClientCounter(counter=6)
    car.pair(client_point)
    client = SignedClient(fleet, sim, VECTOR_VIN, key=vector_key(VECTOR_CLIENT_SCALAR))
    sent = await client.handshake_raw(INFOTAINMENT, uuid=bytes.fromhex(VECTOR_UUID))
    assert sent.reply is not None
    assert sent.reply.session_info_raw is not None
    assert sent.reply.session_info_raw.hex() == VECTOR_SESSION_INFO
    assert sent.reply.session_info_tag is not None
    assert sent.reply.session_info_tag.hex() == VECTOR_TAG
    assert sent.reply.request_uuid == bytes.fromhex(VECTOR_UUID)
