"""A small, test-only client of Tesla's Vehicle Command Protocol, for the simulator's tests.

It shares no code with the simulator (nor with the integration): its own protobuf
writer and reader, its own key agreement and tags, written from Tesla's
``protocol.md`` and the ``.proto`` field numbers.  So a test that passes shows two
independent readings of the protocol agree, and the published vectors pin both.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import hashlib
import hmac
import os
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..helpers import SimulatorHandle, vehicle_spec
from .conftest import Fleet, Reply

VCSEC = 2
INFOTAINMENT = 3
FLAG_ENCRYPT_RESPONSE = 2

# protocol.md's published test keys ("use them in tests only"): scalars, not PEM files.
VECTOR_CLIENT_SCALAR = 0x2538CDC29A97C19C1E99A637D6CF4F8C970C118B56EDE1E6323E6D162C4B30DB
VECTOR_VEHICLE_SCALAR = 0x344EE5B466A7CF1EEB12B6F50331DB2E5EC5834EF5F4BEFCFD8CBE55C2528D70
VECTOR_CLIENT_POINT = (
    "04b2b6bc68c2da0665ce656815594996c62394edd8bea905fe781a754fe6a845a7"
    "14330902f225e9269d466e05b349981fda9d85cc23c6fb444aa73b629105dc6e"
)
VECTOR_VEHICLE_POINT = (
    "04c7a1f47138486aa4729971494878d33b1a24e39571f748a6e16c5955b3d877d3"
    "a6aaa0e955166474af5d32c410f439a2234137ad1bb085fd4e8813c958f11d97"
)
VECTOR_K = "1b2fce19967b79db696f909cff89ea9a"
VECTOR_SIK = "fceb679ee7bca756fcd441bf238bf2f338629b41d9eb9c67be1b32c9672ce300"
VECTOR_VIN = "5YJ30123456789ABC"
VECTOR_UUID = "1588d5a30eabc6f8fc9a951b11f6fd11"
VECTOR_EPOCH = "4c463f9cc0d3d26906e982ed224adde6"
VECTOR_SESSION_INFO = (
    "0806124104c7a1f47138486aa4729971494878d33b1a24e39571f748a6e16c5955b3d877d3a6aaa0e9551664"
    "74af5d32c410f439a2234137ad1bb085fd4e8813c958f11d971a104c463f9cc0d3d26906e982ed224adde6255a0a0000"
)
VECTOR_TAG = "996c1fe38331be138f8039c194b14db2198846ed7d8251e6749284d7b32ea002"


# ------------------------------------------------------------------ protobuf
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = b""
    while value > 0x7F:
        out += bytes((value & 0x7F | 0x80,))
        value >>= 7
    return out + bytes((value,))


def pb_int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def pb_bytes(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def pb_fixed32(number: int, value: int) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<I", value)


def pb_float(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def pb_read(data: bytes) -> dict[int, Any]:
    """Field number -> last value (int, bytes, or 4-byte bytes for fixed32)."""
    out: dict[int, Any] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        result, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while pos < len(data):
        key = varint()
        number, kind = key >> 3, key & 7
        if kind == 0:
            out[number] = varint()
        elif kind == 2:
            length = varint()
            out[number] = data[pos : pos + length]
            pos += length
        elif kind == 5:
            out[number] = data[pos : pos + 4]
            pos += 4
        else:
            raise AssertionError(f"unexpected wire type {kind}")
    return out


# ------------------------------------------------------------------- crypto
def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def vector_key(scalar: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(scalar, ec.SECP256R1())


def point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def derive_k(key: ec.EllipticCurvePrivateKey, peer: bytes) -> bytes:
    peer_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer)
    return hashlib.sha1(key.exchange(ec.ECDH(), peer_key)).digest()[:16]  # noqa: S324 - the protocol's


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag, len(value))) + value


def be32(value: int) -> bytes:
    return struct.pack(">I", value)


def session_info_tag(k: bytes, vin: str, challenge: bytes, info: bytes) -> bytes:
    meta = tlv(0, b"\x06") + tlv(2, vin.encode()) + tlv(6, challenge) + b"\xff"
    return _hmac(_hmac(k, b"session info"), meta + info)


def command_tag(
    k: bytes, domain: int, vin: str, epoch: bytes, expires_at: int, counter: int, flags: int, payload: bytes
) -> bytes:
    meta = (
        tlv(0, b"\x08")
        + tlv(1, bytes((domain,)))
        + tlv(2, vin.encode())
        + tlv(3, epoch)
        + tlv(4, be32(expires_at))
        + tlv(5, be32(counter))
        + (tlv(7, be32(flags)) if flags else b"")
        + b"\xff"
    )
    return _hmac(_hmac(k, b"authenticated command"), meta + payload)


def decrypt_reply(k: bytes, domain: int, vin: str, request_tag: bytes, reply: ParsedReply) -> bytes:
    request_hash = b"\x08" + (request_tag[:16] if domain == VCSEC else request_tag)
    meta = (
        tlv(0, b"\x09")
        + tlv(1, bytes((domain,)))
        + tlv(2, vin.encode())
        + tlv(5, be32(reply.response_counter))
        + tlv(7, be32(reply.flags))
        + tlv(8, request_hash)
        + tlv(9, be32(reply.fault))
        + b"\xff"
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(meta)
    assert reply.response_nonce is not None
    assert reply.response_tag is not None
    return AESGCM(k).decrypt(reply.response_nonce, reply.payload + reply.response_tag, digest.finalize())


# ----------------------------------------------------------------- messages
def routable(
    domain: int,
    *,
    payload: bytes | None = None,
    session_request_key: bytes | None = None,
    signature: bytes | None = None,
    uuid: bytes | None = None,
    flags: int = 0,
) -> bytes:
    out = pb_bytes(6, pb_int(1, domain)) + pb_bytes(7, pb_bytes(2, os.urandom(16)))
    if payload is not None:
        out += pb_bytes(10, payload)
    if signature is not None:
        out += pb_bytes(13, signature)
    if session_request_key is not None:
        out += pb_bytes(14, pb_bytes(1, session_request_key))
    if uuid is not None:
        out += pb_bytes(51, uuid)
    if flags:
        out += pb_int(52, flags)
    return out


@dataclass
class ParsedReply:
    raw: dict[int, Any]
    to_domain: int | None
    from_domain: int | None
    routing_address: bytes | None
    payload: bytes
    operation_status: int
    fault: int
    session_info_raw: bytes | None
    session_info: dict[str, Any] | None
    session_info_tag: bytes | None
    response_nonce: bytes | None
    response_counter: int
    response_tag: bytes | None
    request_uuid: bytes | None
    flags: int


def parse_session_info(data: bytes) -> dict[str, Any]:
    fields = pb_read(data)
    return {
        "counter": fields.get(1, 0),
        "public_key": fields.get(2),
        "epoch": fields.get(3),
        "clock_time": struct.unpack("<I", fields[4])[0] if 4 in fields else 0,
        "status": fields.get(5, 0),
    }


def parse_reply(data: bytes) -> ParsedReply:
    fields = pb_read(data)
    to = pb_read(fields.get(6, b""))
    frm = pb_read(fields.get(7, b""))
    status = pb_read(fields.get(12, b""))
    signature = pb_read(fields.get(13, b""))
    info_tag = pb_read(signature[6]).get(1) if 6 in signature else None
    response = pb_read(signature[9]) if 9 in signature else {}
    info = fields.get(15)
    return ParsedReply(
        raw=fields,
        to_domain=to.get(1),
        from_domain=frm.get(1),
        routing_address=to.get(2),
        payload=fields.get(10, b""),
        operation_status=status.get(1, 0),
        fault=status.get(2, 0),
        session_info_raw=info,
        session_info=parse_session_info(info) if info is not None else None,
        session_info_tag=info_tag,
        response_nonce=response.get(1),
        response_counter=response.get(2, 0),
        response_tag=response.get(3),
        request_uuid=fields.get(50),
        flags=fields.get(52, 0),
    )


def action_result(payload: bytes) -> tuple[int, str]:
    """CarServer.Response -> (result, plain-text reason)."""
    status = pb_read(pb_read(payload).get(1, b""))
    reason = pb_read(status.get(2, b"")).get(1, b"")
    return status.get(1, 0), reason.decode()


# ----------------------------------------------------------------- payloads
def vehicle_action(number: int, body: bytes = b"") -> bytes:
    """CarServer.Action{vehicleAction(2){<number>: body}}."""
    return pb_bytes(2, pb_bytes(number, body))


VOID = b""
CHARGE_START = vehicle_action(6, pb_bytes(2, VOID))
CHARGE_STOP = vehicle_action(6, pb_bytes(5, VOID))
CHARGE_STANDARD = vehicle_action(6, pb_bytes(3, VOID))
CHARGE_MAX_RANGE = vehicle_action(6, pb_bytes(4, VOID))
PORT_OPEN = vehicle_action(62)
PORT_CLOSE = vehicle_action(61)


def set_charge_limit(percent: int) -> bytes:
    return vehicle_action(5, pb_int(1, percent))


def set_charging_amps(amps: int) -> bytes:
    return vehicle_action(43, pb_int(1, amps))


def scheduled_charging(enabled: bool, minutes: int) -> bytes:
    return vehicle_action(41, pb_int(1, int(enabled)) + pb_int(2, minutes))


def scheduled_departure(
    departure: int, end_off_peak: int, *, precondition: str | None, off_peak: str | None
) -> bytes:
    policies = {"all_week": pb_bytes(1, VOID), "weekdays": pb_bytes(2, VOID)}
    body = pb_int(1, 1) + pb_int(2, departure)
    if precondition:
        body += pb_bytes(3, policies[precondition])
    if off_peak:
        body += pb_bytes(4, policies[off_peak])
    return vehicle_action(42, body + pb_int(5, end_off_peak))


def charge_schedule(
    *,
    schedule_id: int = 0,
    name: str = "",
    days: int = 127,
    start: int | None = None,
    end: int | None = None,
    one_time: bool = False,
    enabled: bool = True,
    lat: float = 52.37,
    lon: float = 4.89,
) -> bytes:
    body = (
        (pb_int(1, schedule_id) if schedule_id else b"")
        + (pb_bytes(2, name.encode()) if name else b"")
        + pb_int(3, days)
        + (pb_int(4, 1) + pb_int(5, start) if start is not None else b"")
        + (pb_int(6, 1) + pb_int(7, end) if end is not None else b"")
        + (pb_int(8, 1) if one_time else b"")
        + (pb_int(9, 1) if enabled else b"")
        + pb_float(10, lat)
        + pb_float(11, lon)
    )
    return vehicle_action(97, body)


def precondition_schedule(*, schedule_id: int = 0, days: int = 62, time: int = 450) -> bytes:
    body = (
        (pb_int(1, schedule_id) if schedule_id else b"")
        + pb_int(3, days)
        + pb_int(4, time)
        + pb_int(6, 1)
        + pb_float(7, 52.37)
        + pb_float(8, 4.89)
    )
    return vehicle_action(99, body)


def remove_charge_schedule(schedule_id: int) -> bytes:
    return vehicle_action(98, pb_int(1, schedule_id))


def remove_precondition_schedule(schedule_id: int) -> bytes:
    return vehicle_action(100, pb_int(1, schedule_id))


def vcsec_charge_port(move: int) -> bytes:
    """VCSEC.UnsignedMessage{closureMoveRequest(4){chargePort(7): OPEN 3 | CLOSE 4}}."""
    return pb_bytes(4, pb_int(7, move))


# ------------------------------------------------------------------- client
@dataclass
class Session:
    domain: int
    k: bytes
    epoch: bytes
    counter: int
    clock_time: int
    received_at: float
    car_point: bytes


@dataclass
class Sent:
    """One signed request and what came back."""

    http: Reply
    reply: ParsedReply | None
    uuid: bytes
    tag: bytes = b""


@dataclass
class SignedClient:
    """Signs with ``key`` and talks to ``vin`` through the simulator's Fleet API."""

    fleet: Fleet
    sim: SimulatorHandle
    vin: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=new_key)
    sessions: dict[int, Session] = field(default_factory=dict)

    @property
    def point(self) -> bytes:
        return point(self.key)

    async def post(self, message: bytes, **kwargs: Any) -> tuple[Reply, ParsedReply | None]:
        body = {"routable_message": base64.b64encode(message).decode()}
        http = await self.fleet.post(f"/api/1/vehicles/{self.vin}/signed_command", body, **kwargs)
        if http.status != 200:
            return http, None
        return http, parse_reply(base64.b64decode(http.body["response"]))

    async def handshake_raw(self, domain: int, uuid: bytes | None = None) -> Sent:
        uuid = uuid or os.urandom(16)
        http, reply = await self.post(routable(domain, session_request_key=self.point, uuid=uuid))
        return Sent(http, reply, uuid)

    async def handshake(self, domain: int) -> Session:
        """Handshake and check the session info's tag, as a careful client must."""
        sent = await self.handshake_raw(domain)
        assert sent.http.status == 200, sent.http.text
        assert sent.reply is not None
        self.adopt(domain, sent.reply, sent.uuid)
        return self.sessions[domain]

    def adopt(self, domain: int, reply: ParsedReply, challenge: bytes) -> None:
        """Take the (tagged) session info of a reply; fails if the tag does not verify."""
        assert reply.session_info is not None, reply
        assert reply.session_info_raw is not None
        info = reply.session_info
        k = derive_k(self.key, info["public_key"])
        expected = session_info_tag(k, self.vin, challenge, reply.session_info_raw)
        assert reply.session_info_tag is not None
        assert hmac.compare_digest(expected, reply.session_info_tag), "session info tag does not verify"
        old = self.sessions.get(domain)
        counter = info["counter"]
        if old is not None and old.epoch == info["epoch"]:
            counter = max(counter, old.counter)  # never roll the counter back in an epoch
        self.sessions[domain] = Session(
            domain, k, info["epoch"], counter, info["clock_time"], self.sim.world.now(), info["public_key"]
        )

    def car_clock(self, domain: int) -> int:
        session = self.sessions[domain]
        return session.clock_time + int(self.sim.world.now() - session.received_at)

    def sign(
        self,
        domain: int,
        payload: bytes,
        *,
        counter: int | None = None,
        expires_at: int | None = None,
        ttl: int = 10,
        flags: int = 0,
        epoch: bytes | None = None,
        omit_epoch: bool = False,
        tamper: bool = False,
        uuid: bytes | None = None,
    ) -> tuple[bytes, bytes, bytes]:
        """A signed RoutableMessage: (message, its uuid, its HMAC tag)."""
        session = self.sessions[domain]
        if counter is None:
            session.counter += 1
            counter = session.counter
        if expires_at is None:
            expires_at = self.car_clock(domain) + ttl
        tag = command_tag(session.k, domain, self.vin, session.epoch, expires_at, counter, flags, payload)
        if tamper:
            tag = bytes((tag[0] ^ 1,)) + tag[1:]
        hmac_data = (
            (b"" if omit_epoch else pb_bytes(1, epoch if epoch is not None else session.epoch))
            + pb_int(2, counter)
            + pb_fixed32(3, expires_at)
            + pb_bytes(4, tag)
        )
        signature = pb_bytes(1, pb_bytes(1, self.point)) + pb_bytes(8, hmac_data)
        uuid = uuid or os.urandom(16)
        return routable(domain, payload=payload, signature=signature, uuid=uuid, flags=flags), uuid, tag

    async def send(self, domain: int, payload: bytes, **kwargs: Any) -> Sent:
        message, uuid, tag = self.sign(domain, payload, **kwargs)
        http, reply = await self.post(message)
        return Sent(http, reply, uuid, tag)

    async def command(self, payload: bytes, domain: int = INFOTAINMENT, **kwargs: Any) -> tuple[int, str]:
        """Handshake when needed, send, and return the car's (result, reason)."""
        if domain not in self.sessions:
            await self.handshake(domain)
        sent = await self.send(domain, payload, **kwargs)
        assert sent.http.status == 200, sent.http.text
        assert sent.reply is not None
        assert sent.reply.fault == 0, f"fault {sent.reply.fault}"
        if domain == VCSEC:
            return (0 if sent.reply.payload == b"" else 1), ""
        return action_result(sent.reply.payload)


async def pair(sim: SimulatorHandle, vin: str, key: ec.EllipticCurvePrivateKey) -> None:
    """Pair ``key`` with the car through the admin API."""
    await sim.call("POST", f"/sim/vehicles/{vin}/signing", {"pair_key": point(key).hex()})


def signing_car() -> dict[str, Any]:
    """A car that requires signing, at 60 % of an 80 % limit with room to charge faster,
    on the fixture's older firmware, so the legacy schedule commands act."""
    return vehicle_spec(
        command_signing="required",
        battery_level=60,
        charge_limit=80,
        amps=16,
        amps_max=32,
        pilot_current=32,
        settings={"wake_delay": 0, "starting_seconds": 5},
    )
