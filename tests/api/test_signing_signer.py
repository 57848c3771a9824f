"""The signer's protocol logic against a small fake car, without HTTP.

The fake car computes its tags with ``hmac``/``hashlib`` straight from the spec, so a
mistake in the signer's metadata or key derivation fails here; the simulator's own
verifier checks the same things over HTTP in test_tesla_signed.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
import hmac
import os
from typing import Any

import pytest

from custom_components.ev_charge_control.api import (
    KeyNotPaired,
    SessionInfoInvalid,
    SignedCommandFault,
    SignedReplyInvalid,
    VehicleBusy,
)
from custom_components.ev_charge_control.api.tesla.signing import (
    CommandSigner,
    Domain,
    InMemorySessionStore,
    NoSession,
    PendingCommand,
    SessionResync,
    SigningKey,
)
from custom_components.ev_charge_control.api.tesla.signing.crypto import encrypt_response, response_aad
from custom_components.ev_charge_control.api.tesla.signing.messages import (
    AesGcmResponseData,
    CarServerResponse,
    Destination,
    MessageStatus,
    RoutableMessage,
    SessionInfo,
    SignatureData,
    VcsecResponse,
)

from .test_signing_vectors import CLIENT_KEY, VEHICLE_KEY

VIN = "5YJ30123456789ABC"
INFO = Domain.INFOTAINMENT
VCSEC = Domain.VEHICLE_SECURITY


def tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag, len(value))) + value


def be32(value: int) -> bytes:
    return value.to_bytes(4, "big")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeCar:
    """One car domain: verifies HMAC-personalized commands the way protocol.md says."""

    clock: Clock
    domain: int = INFO
    key: SigningKey = field(default_factory=lambda: SigningKey.from_pem(VEHICLE_KEY))
    epoch: bytes = field(default_factory=lambda: os.urandom(16))
    counter: int = 10
    started: float = 0.0
    paired: bool = True
    seen: set[int] = field(default_factory=set)
    commands: list[bytes] = field(default_factory=list)
    reply_counter: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock.now - 1000

    def time(self) -> int:
        return int(self.clock.now - self.started)

    def k(self, client_point: bytes) -> bytes:
        return self.key.shared_key(client_point)

    def session_info(
        self, client_point: bytes, challenge: bytes, *, tag_key: bytes | None = None
    ) -> tuple[bytes, bytes]:
        info = SessionInfo(
            counter=self.counter, public_key=self.key.public_point(), epoch=self.epoch, clock_time=self.time()
        ).encode()
        sik = hmac.new(tag_key or self.k(client_point), b"session info", hashlib.sha256).digest()
        meta = tlv(0, b"\x06") + tlv(2, VIN.encode()) + tlv(6, challenge) + b"\xff"
        return info, hmac.new(sik, meta + info, hashlib.sha256).digest()

    def handshake(self, request: bytes, **options: Any) -> bytes:
        message = RoutableMessage.decode(request)
        assert message.session_info_request is not None
        assert message.to_destination == Destination(domain=self.domain)
        client_point = message.session_info_request.public_key
        info, tag = self.session_info(client_point, message.uuid, **options)
        return RoutableMessage(
            to_destination=message.from_destination,
            from_destination=Destination(domain=self.domain),
            session_info=info,
            signature_data=SignatureData(session_info_tag=tag),
            request_uuid=message.uuid,
        ).encode()

    def verify(self, request: bytes) -> tuple[RoutableMessage, int]:
        """The fault the car finds (0: none), in Go's verifier order."""
        message = RoutableMessage.decode(request)
        data = message.signature_data
        assert data is not None
        assert data.hmac_personalized is not None
        assert data.signer_public_key is not None
        sig = data.hmac_personalized
        if not self.paired:
            return message, 3
        if sig.epoch != self.epoch:
            return message, 15
        if sig.expires_at < self.time():
            return message, 17
        if sig.expires_at - self.time() > 30:
            return message, 20
        meta = (
            tlv(0, b"\x08")
            + tlv(1, bytes((self.domain,)))
            + tlv(2, VIN.encode())
            + tlv(3, sig.epoch)
            + tlv(4, be32(sig.expires_at))
            + tlv(5, be32(sig.counter))
            + (tlv(7, be32(message.flags)) if message.flags else b"")
            + b"\xff"
        )
        command_key = hmac.new(
            self.k(data.signer_public_key), b"authenticated command", hashlib.sha256
        ).digest()
        expected = hmac.new(command_key, meta + (message.payload or b""), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, sig.tag):
            return message, 5
        if sig.counter <= self.counter - 32 or sig.counter in self.seen:
            return message, 6
        self.seen.add(sig.counter)
        self.counter = max(self.counter, sig.counter)
        self.commands.append(message.payload or b"")
        return message, 0

    def answer(
        self,
        request: bytes,
        app_reply: bytes = b"",
        *,
        encrypt: bool | None = None,
        fault: int | None = None,
        with_session_info: bool = True,
    ) -> bytes:
        message, found = self.verify(request)
        fault = found if fault is None else fault
        data = message.signature_data
        assert data is not None
        assert data.hmac_personalized is not None
        assert data.signer_public_key is not None
        base = {
            "to_destination": message.from_destination,
            "from_destination": Destination(domain=self.domain),
            "request_uuid": message.uuid,
            "flags": message.flags,
        }
        if fault:
            extra: dict[str, Any] = {}
            if fault in (5, 6, 13, 15, 17, 20) and with_session_info:
                info, tag = self.session_info(data.signer_public_key, message.uuid)
                extra = {"session_info": info, "signature_data": SignatureData(session_info_tag=tag)}
            return RoutableMessage(
                **base, status=MessageStatus(operation_status=2, fault=fault), **extra
            ).encode()
        if encrypt is None:
            encrypt = bool(message.flags & 2)
        if not encrypt:
            return RoutableMessage(**base, payload=app_reply).encode()
        self.reply_counter += 1
        request_hash = bytes((8,)) + data.hmac_personalized.tag
        if self.domain == VCSEC:
            request_hash = request_hash[:17]
        aad = response_aad(
            domain=self.domain,
            vin=VIN,
            counter=self.reply_counter,
            flags=message.flags,
            request_hash=request_hash,
            fault=0,
        )
        nonce = os.urandom(12)
        ciphertext, tag = encrypt_response(self.k(data.signer_public_key), nonce, app_reply, aad)
        return RoutableMessage(
            **base,
            payload=ciphertext,
            signature_data=SignatureData(
                aes_gcm_response=AesGcmResponseData(nonce=nonce, counter=self.reply_counter, tag=tag)
            ),
        ).encode()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def car(clock: Clock) -> FakeCar:
    return FakeCar(clock)


@pytest.fixture
def store() -> InMemorySessionStore:
    return InMemorySessionStore()


@pytest.fixture
def signer(clock: Clock, store: InMemorySessionStore) -> CommandSigner:
    return CommandSigner(SigningKey.from_pem(CLIENT_KEY), store, clock)


def shake(signer: CommandSigner, car: FakeCar, **options: Any) -> None:
    request, uuid = signer.session_request(VIN, car.domain)
    signer.accept_session_info(VIN, car.domain, car.handshake(request, **options), uuid)


def send(
    signer: CommandSigner, car: FakeCar, payload: bytes = b"\x12\x00", **options: Any
) -> tuple[PendingCommand, bytes]:
    request, pending = signer.sign(VIN, car.domain, payload)
    return pending, car.answer(request, **options)


# ------------------------------------------------------------------ handshake
def test_handshake_request_carries_our_key_and_a_fresh_uuid(signer: CommandSigner) -> None:
    first, uuid = signer.session_request(VIN, INFO)
    second, other = signer.session_request(VIN, INFO)
    message = RoutableMessage.decode(first)
    assert message.session_info_request is not None
    assert message.session_info_request.public_key == signer.key.public_point()
    assert message.uuid == uuid
    assert len(uuid) == 16
    assert message.to_destination == Destination(domain=INFO)
    assert message.from_destination is not None
    assert len(message.from_destination.routing_address or b"") == 16
    assert uuid != other
    assert RoutableMessage.decode(second).from_destination != message.from_destination


def test_handshake_makes_and_stores_a_session(
    signer: CommandSigner, car: FakeCar, store: InMemorySessionStore
) -> None:
    assert not signer.has_session(VIN, INFO)
    shake(signer, car)
    assert signer.has_session(VIN, INFO)
    stored = store.sessions[VIN, INFO]
    assert stored["counter"] == 10
    assert stored["epoch"] == car.epoch.hex()
    assert stored["vehicle_public_key"] == car.key.public_hex()


def test_sign_before_a_handshake(signer: CommandSigner) -> None:
    with pytest.raises(NoSession):
        signer.sign(VIN, INFO, b"")


def test_a_tag_made_with_another_key_is_refused(signer: CommandSigner, car: FakeCar) -> None:
    with pytest.raises(SessionInfoInvalid, match="failed verification"):
        shake(signer, car, tag_key=bytes(16))
    assert not signer.has_session(VIN, INFO)


def test_a_tag_over_another_challenge_is_refused(signer: CommandSigner, car: FakeCar) -> None:
    request, _uuid = signer.session_request(VIN, INFO)
    reply = car.handshake(request)
    replay = RoutableMessage.decode(reply)
    # The answer is genuine, but for another request: its tag covers that uuid.
    with pytest.raises(SessionInfoInvalid):
        signer.accept_session_info(
            VIN, INFO, RoutableMessage(**{**_fields(replay), "request_uuid": b""}).encode(), os.urandom(16)
        )


def _fields(message: RoutableMessage) -> dict[str, Any]:
    return {name: getattr(message, name) for name in message.__dataclass_fields__}


def test_an_answer_to_another_request_uuid(signer: CommandSigner, car: FakeCar) -> None:
    request, uuid = signer.session_request(VIN, INFO)
    reply = RoutableMessage.decode(car.handshake(request))
    changed = RoutableMessage(**{**_fields(reply), "request_uuid": os.urandom(16)}).encode()
    with pytest.raises(SessionInfoInvalid, match="another request"):
        signer.accept_session_info(VIN, INFO, changed, uuid)


def test_an_untagged_answer_is_refused(signer: CommandSigner, car: FakeCar) -> None:
    request, uuid = signer.session_request(VIN, INFO)
    reply = RoutableMessage.decode(car.handshake(request))
    untagged = RoutableMessage(**{**_fields(reply), "signature_data": None}).encode()
    with pytest.raises(SessionInfoInvalid, match="no tag"):
        signer.accept_session_info(VIN, INFO, untagged, uuid)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"\x0a\x05ab", "not a protocol message"),
        (RoutableMessage(payload=b"").encode(), "no session info"),
        (RoutableMessage(session_info=b"\x0a\x05").encode(), "not readable"),
        (
            RoutableMessage(
                session_info=SessionInfo(public_key=b"\x04" + bytes(64), epoch=bytes(16)).encode(),
                signature_data=SignatureData(session_info_tag=bytes(32)),
            ).encode(),
            "no valid public key",
        ),
    ],
)
def test_unusable_answers(signer: CommandSigner, reply: bytes, message: str) -> None:
    with pytest.raises(SessionInfoInvalid, match=message):
        signer.accept_session_info(VIN, INFO, reply, os.urandom(16))


def test_key_not_on_whitelist(signer: CommandSigner) -> None:
    reply = RoutableMessage(session_info=SessionInfo(status=1).encode()).encode()
    with pytest.raises(KeyNotPaired):
        signer.accept_session_info(VIN, INFO, reply, os.urandom(16))


@pytest.mark.parametrize(
    ("fault", "error"), [(3, KeyNotPaired), (1, VehicleBusy), (11, VehicleBusy), (21, SignedCommandFault)]
)
def test_handshake_faults(signer: CommandSigner, fault: int, error: type[Exception]) -> None:
    reply = RoutableMessage(status=MessageStatus(operation_status=2, fault=fault)).encode()
    with pytest.raises(error):
        signer.accept_session_info(VIN, INFO, reply, os.urandom(16))


def test_a_second_handshake_never_rolls_the_counter_back(
    signer: CommandSigner, car: FakeCar, clock: Clock
) -> None:
    shake(signer, car)
    for _ in range(5):
        send(signer, car)
    session = signer.session(VIN, INFO)
    assert session is not None
    assert session.counter == 15
    car.counter = 12  # an answer that left the car before the last commands arrived
    clock.now += 1
    shake(signer, car)
    assert session.counter == 15


def test_stale_session_info_is_discarded(signer: CommandSigner, car: FakeCar, clock: Clock) -> None:
    shake(signer, car)
    session = signer.session(VIN, INFO)
    assert session is not None
    before = session.export()
    car.started += 100  # the car's clock reads 100 s earlier than in the first answer
    car.counter = 99
    shake(signer, car)
    assert session.export() == before


def test_a_changed_car_key_starts_a_new_session(
    signer: CommandSigner, car: FakeCar, store: InMemorySessionStore
) -> None:
    shake(signer, car)
    for _ in range(3):
        send(signer, car)
    car.key = SigningKey.generate()  # e.g. the infotainment computer was replaced
    car.counter = 2
    shake(signer, car)
    session = signer.session(VIN, INFO)
    assert session is not None
    assert session.counter == 2
    assert session.vehicle_public_key == car.key.public_point()
    assert store.sessions[VIN, INFO]["vehicle_public_key"] == car.key.public_hex()
    pending, reply = send(signer, car)
    assert signer.open_reply(pending, reply).ok


# ------------------------------------------------------------------ commands
def test_signed_command_verifies_and_counts(
    signer: CommandSigner, car: FakeCar, store: InMemorySessionStore
) -> None:
    shake(signer, car)
    request, pending = signer.sign(VIN, INFO, b"\x12\x04\x32\x02\x12\x00")
    message = RoutableMessage.decode(request)
    assert message.flags == 2
    assert message.signature_data is not None
    assert message.signature_data.hmac_personalized is not None
    sig = message.signature_data.hmac_personalized
    assert sig.counter == 11
    assert sig.expires_at == car.time() + 15
    assert message.uuid == pending.uuid
    assert store.sessions[VIN, INFO]["counter"] == 11  # stored before anything is sent
    reply = car.answer(request, CarServerResponse().encode())
    assert car.commands == [b"\x12\x04\x32\x02\x12\x00"]
    answer = signer.open_reply(pending, reply)
    assert (answer.ok, answer.reason, answer.encrypted) == (True, "", True)


def test_each_request_is_unique(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    first, one = signer.sign(VIN, INFO, b"")
    second, two = signer.sign(VIN, INFO, b"")
    assert one.uuid != two.uuid
    assert RoutableMessage.decode(first).from_destination != RoutableMessage.decode(second).from_destination


def test_a_refusal_carries_the_car_reason(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, reply = send(signer, car, app_reply=CarServerResponse(result=1, reason="not_charging").encode())
    answer = signer.open_reply(pending, reply)
    assert (answer.ok, answer.reason) == (False, "not_charging")


def test_plaintext_replies_are_read_too(signer: CommandSigner, car: FakeCar) -> None:
    # Firmware before 2024.38 ignores the flag and answers in clear.
    shake(signer, car)
    pending, reply = send(
        signer, car, app_reply=CarServerResponse(result=1, reason="complete").encode(), encrypt=False
    )
    answer = signer.open_reply(pending, reply)
    assert (answer.ok, answer.reason, answer.encrypted) == (False, "complete", False)


def test_a_reply_counter_is_read_once(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, reply = send(signer, car, app_reply=CarServerResponse().encode())
    assert signer.open_reply(pending, reply).ok
    with pytest.raises(SignedReplyInvalid, match="repeats"):
        signer.open_reply(pending, reply)


def test_an_encrypted_reply_for_another_request_does_not_open(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, _reply = send(signer, car)
    _other, other_reply = send(signer, car)
    # Same session key, but its AAD holds the other request's hash.
    changed = RoutableMessage(
        **{**_fields(RoutableMessage.decode(other_reply)), "request_uuid": b""}
    ).encode()
    with pytest.raises(SignedReplyInvalid, match="failed authentication"):
        signer.open_reply(pending, changed)


def test_a_tampered_reply_does_not_open(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, reply = send(signer, car, app_reply=CarServerResponse().encode())
    message = RoutableMessage.decode(reply)
    assert message.payload is not None
    tampered = RoutableMessage(
        **{**_fields(message), "payload": bytes([message.payload[0] ^ 1]) + message.payload[1:]}
    )
    with pytest.raises(SignedReplyInvalid):
        signer.open_reply(pending, tampered.encode())


def test_a_reply_to_another_uuid(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, reply = send(signer, car)
    changed = RoutableMessage(**{**_fields(RoutableMessage.decode(reply)), "request_uuid": os.urandom(16)})
    with pytest.raises(SignedReplyInvalid, match="another request"):
        signer.open_reply(pending, changed.encode())


def test_garbage_replies(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, _reply = send(signer, car)
    with pytest.raises(SignedReplyInvalid, match="not a protocol message"):
        signer.open_reply(pending, b"\xff")
    with pytest.raises(SignedReplyInvalid, match="not readable"):
        signer.open_reply(pending, RoutableMessage(payload=b"\x0a\x09").encode())


# ------------------------------------------------------------------ faults
def test_a_replayed_counter_resyncs(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    session = signer.session(VIN, INFO)
    assert session is not None
    car.counter = 40  # the car counted commands this client's state does not know of
    car.seen.update(range(11, 41))
    pending, reply = send(signer, car)
    with pytest.raises(SessionResync) as info:
        signer.open_reply(pending, reply)
    assert info.value.fault == 6
    assert session.counter == 40
    pending, reply = send(signer, car)
    assert signer.open_reply(pending, reply).ok


def test_a_new_epoch_resyncs(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    car.epoch, car.counter, car.seen = os.urandom(16), 0, set()  # the car rebooted
    pending, reply = send(signer, car)
    with pytest.raises(SessionResync) as info:
        signer.open_reply(pending, reply)
    assert info.value.fault == 15
    session = signer.session(VIN, INFO)
    assert session is not None
    assert session.epoch == car.epoch
    assert session.counter == 0
    pending, reply = send(signer, car)
    assert signer.open_reply(pending, reply).ok


def test_a_drifted_clock_resyncs(signer: CommandSigner, car: FakeCar, clock: Clock) -> None:
    shake(signer, car)
    car.started -= 120  # the car's clock ran two minutes ahead of ours
    pending, reply = send(signer, car)
    with pytest.raises(SessionResync) as info:
        signer.open_reply(pending, reply)
    assert info.value.fault == 17
    pending, reply = send(signer, car)
    assert signer.open_reply(pending, reply).ok


def test_resync_info_must_verify_against_the_failed_request(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    car.epoch = os.urandom(16)
    request, pending = signer.sign(VIN, INFO, b"")
    reply = RoutableMessage.decode(car.answer(request))
    # Move the fault's session info under another challenge: a replayed answer.
    info, tag = car.session_info(signer.key.public_point(), os.urandom(16))
    forged = RoutableMessage(
        **{**_fields(reply), "session_info": info, "signature_data": SignatureData(session_info_tag=tag)}
    )
    with pytest.raises(SessionInfoInvalid):
        signer.open_reply(pending, forged.encode())


def test_a_resync_fault_without_info_forgets_the_session(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    pending, reply = send(signer, car, fault=5, with_session_info=False)
    with pytest.raises(SessionResync) as info:
        signer.open_reply(pending, reply)
    assert "INVALID_SIGNATURE" in str(info.value)
    assert not signer.has_session(VIN, INFO)


@pytest.mark.parametrize(
    ("fault", "error", "name"),
    [
        (3, KeyNotPaired, None),
        (1, VehicleBusy, None),
        (11, VehicleBusy, None),
        (21, SignedCommandFault, "REMOTE_ACCESS_DISABLED"),
        (7, SignedCommandFault, "INSUFFICIENT_PRIVILEGES"),
        (99, SignedCommandFault, "FAULT_99"),
    ],
)
def test_command_faults(
    signer: CommandSigner, car: FakeCar, fault: int, error: type[Exception], name: str | None
) -> None:
    shake(signer, car)
    pending, reply = send(signer, car, fault=fault)
    with pytest.raises(error) as info:
        signer.open_reply(pending, reply)
    if name is not None:
        assert isinstance(info.value, SignedCommandFault)
        assert (info.value.fault, info.value.fault_name) == (fault, name)
        assert name in str(info.value)


# ------------------------------------------------------------------ VCSEC
@pytest.fixture
def vcsec(clock: Clock) -> FakeCar:
    return FakeCar(clock, domain=VCSEC)


def test_vcsec_success_refusal_and_wait(signer: CommandSigner, vcsec: FakeCar) -> None:
    shake(signer, vcsec)
    pending, reply = send(signer, vcsec, app_reply=b"")
    assert signer.open_reply(pending, reply).ok  # empty is success; request hash cut to 17 bytes
    pending, reply = send(signer, vcsec, app_reply=VcsecResponse(generic_error=2).encode())
    answer = signer.open_reply(pending, reply)
    assert (answer.ok, answer.reason) == (False, "vcsec: closures_open")
    pending, reply = send(signer, vcsec, app_reply=VcsecResponse(operation_status=1).encode())
    with pytest.raises(VehicleBusy):
        signer.open_reply(pending, reply)


def test_domains_have_separate_sessions(signer: CommandSigner, car: FakeCar, vcsec: FakeCar) -> None:
    shake(signer, car)
    assert not signer.has_session(VIN, VCSEC)
    shake(signer, vcsec)
    assert signer.session(VIN, INFO) is not signer.session(VIN, VCSEC)


# ------------------------------------------------------------------ the store
def test_a_new_signer_continues_from_the_store(
    signer: CommandSigner, car: FakeCar, store: InMemorySessionStore, clock: Clock
) -> None:
    shake(signer, car)
    send(signer, car)
    again = CommandSigner(SigningKey.from_pem(CLIENT_KEY), store, clock)
    assert again.has_session(VIN, INFO)
    pending, reply = send(again, car)
    assert again.open_reply(pending, reply).ok
    assert car.counter == 12


@pytest.mark.parametrize("damage", [{"epoch": "nothex"}, {"vin": "OTHERVIN000000000"}, {"domain": 2}])
def test_damaged_or_foreign_stored_sessions_are_ignored(
    signer: CommandSigner, car: FakeCar, store: InMemorySessionStore, clock: Clock, damage: dict[str, Any]
) -> None:
    shake(signer, car)
    store.sessions[VIN, INFO] = {**store.sessions[VIN, INFO], **damage}
    again = CommandSigner(SigningKey.from_pem(CLIENT_KEY), store, clock)
    assert not again.has_session(VIN, INFO)


def test_a_session_of_another_key_is_ignored(
    car: FakeCar, store: InMemorySessionStore, clock: Clock, signer: CommandSigner
) -> None:
    shake(signer, car)
    assert not CommandSigner(SigningKey.generate(), store, clock).has_session(VIN, INFO)


def test_forget_drops_a_session_even_if_stored(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    signer.forget(VIN, INFO)
    assert not signer.has_session(VIN, INFO)


def test_an_exhausted_counter_needs_a_handshake(signer: CommandSigner, car: FakeCar) -> None:
    shake(signer, car)
    session = signer.session(VIN, INFO)
    assert session is not None
    session.counter = 0xFFFFFFFF
    assert not signer.has_session(VIN, INFO)
    with pytest.raises(NoSession):
        signer.sign(VIN, INFO, b"")


def test_without_a_store_sessions_live_in_memory(car: FakeCar, clock: Clock) -> None:
    signer = CommandSigner(SigningKey.from_pem(CLIENT_KEY), clock=clock)
    shake(signer, car)
    pending, reply = send(signer, car)
    assert signer.open_reply(pending, reply).ok


def test_a_verified_answer_with_a_malformed_epoch(signer: CommandSigner, clock: Clock) -> None:
    car = FakeCar(clock, epoch=b"short")
    with pytest.raises(SessionInfoInvalid, match="unusable"):
        shake(signer, car)
    assert not signer.has_session(VIN, INFO)
