"""The few Vehicle Command Protocol messages a Fleet API client sends and reads.

Field numbers are Tesla's (``universal_message.proto``, ``signatures.proto``,
``car_server.proto``, ``vcsec.proto``, ``errors.proto`` in teslamotors/vehicle-command).
Only the fields this client uses are modelled; anything else in a reply is skipped, as
protobuf readers do.

Each message can be encoded and decoded: the client encodes requests and decodes
replies, and the tests build car replies with the same types.  Encoding writes the
plain fields in number order and the ``oneof`` members after them, the order Tesla's
Go SDK produces, so a request from protocol.md re-encodes byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from .wire import Fields, MessageWriter, WireFormatError


class Domain(IntEnum):
    """The car's subsystems; each has its own key, clock and session."""

    BROADCAST = 0
    VEHICLE_SECURITY = 2
    INFOTAINMENT = 3


FLAG_ENCRYPT_RESPONSE: Final = 1 << 1
"""Request flag: cars on firmware 2024.38+ encrypt the reply (the Go SDK always sets it)."""

SESSION_INFO_STATUS_OK: Final = 0
SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST: Final = 1

OPERATION_STATUS_OK: Final = 0
OPERATION_STATUS_WAIT: Final = 1
OPERATION_STATUS_ERROR: Final = 2

CAR_SERVER_OK: Final = 0
CAR_SERVER_ERROR: Final = 1

GENERIC_ERRORS: Final = {
    0: "none",
    1: "unknown",
    2: "closures_open",
    3: "already_on",
    4: "disabled_for_user_command",
    5: "vehicle_not_in_park",
    6: "unauthorized",
    7: "not_allowed_over_transport",
}
"""``Errors.GenericError_E``, as VCSEC's refusal reasons (prefix GENERICERROR_ dropped)."""


# ------------------------------------------------------------- RoutableMessage
@dataclass(frozen=True, slots=True)
class Destination:
    """Either a domain (the car's side) or a routing address (the client's side)."""

    domain: int | None = None
    routing_address: bytes | None = None

    def encode(self) -> MessageWriter:
        writer = MessageWriter()
        if self.domain is not None:
            writer.uint(1, self.domain, always=True)
        elif self.routing_address is not None:
            writer.blob(2, self.routing_address, always=True)
        return writer

    @classmethod
    def decode(cls, fields: Fields) -> Destination:
        return cls(
            domain=fields.uint32(1) if fields.has(1) else None,
            routing_address=fields.blob(2) if fields.has(2) else None,
        )


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """``signedMessageStatus``: set by the car when the protocol layer refused."""

    operation_status: int = OPERATION_STATUS_OK
    fault: int = 0

    def encode(self) -> MessageWriter:
        return MessageWriter().uint(1, self.operation_status).uint(2, self.fault)

    @classmethod
    def decode(cls, fields: Fields) -> MessageStatus:
        return cls(operation_status=fields.uint32(1), fault=fields.uint32(2))


@dataclass(frozen=True, slots=True)
class SessionInfoRequest:
    """The handshake: our public key (and an optional challenge; the uuid serves)."""

    public_key: bytes
    challenge: bytes = b""

    def encode(self) -> MessageWriter:
        return MessageWriter().blob(1, self.public_key).blob(2, self.challenge)

    @classmethod
    def decode(cls, fields: Fields) -> SessionInfoRequest:
        return cls(public_key=fields.blob(1), challenge=fields.blob(2))


@dataclass(frozen=True, slots=True)
class HmacPersonalizedData:
    """How a command sent through the Fleet API is authenticated."""

    epoch: bytes
    counter: int
    expires_at: int
    tag: bytes

    def encode(self) -> MessageWriter:
        return (
            MessageWriter()
            .blob(1, self.epoch)
            .uint32(2, self.counter)
            .fixed32(3, self.expires_at)
            .blob(4, self.tag)
        )

    @classmethod
    def decode(cls, fields: Fields) -> HmacPersonalizedData:
        return cls(
            epoch=fields.blob(1), counter=fields.uint32(2), expires_at=fields.fixed32(3), tag=fields.blob(4)
        )


@dataclass(frozen=True, slots=True)
class AesGcmResponseData:
    """An encrypted reply's nonce, counter and tag."""

    nonce: bytes
    counter: int
    tag: bytes

    def encode(self) -> MessageWriter:
        return MessageWriter().blob(1, self.nonce).uint32(2, self.counter).blob(3, self.tag)

    @classmethod
    def decode(cls, fields: Fields) -> AesGcmResponseData:
        return cls(nonce=fields.blob(1), counter=fields.uint32(2), tag=fields.blob(3))


@dataclass(frozen=True, slots=True)
class SignatureData:
    """``signature_data``: who signed, and one kind of signature (a oneof)."""

    signer_public_key: bytes | None = None
    hmac_personalized: HmacPersonalizedData | None = None
    session_info_tag: bytes | None = None
    aes_gcm_response: AesGcmResponseData | None = None

    def encode(self) -> MessageWriter:
        writer = MessageWriter()
        if self.signer_public_key is not None:
            writer.message(1, MessageWriter().blob(1, self.signer_public_key, always=True))
        if self.session_info_tag is not None:
            writer.message(6, MessageWriter().blob(1, self.session_info_tag))
        elif self.hmac_personalized is not None:
            writer.message(8, self.hmac_personalized.encode())
        elif self.aes_gcm_response is not None:
            writer.message(9, self.aes_gcm_response.encode())
        return writer

    @classmethod
    def decode(cls, fields: Fields) -> SignatureData:
        identity = fields.message(1)
        tag = fields.message(6)
        hmac_data = fields.message(8)
        gcm = fields.message(9)
        return cls(
            signer_public_key=identity.blob(1) if identity is not None and identity.has(1) else None,
            hmac_personalized=HmacPersonalizedData.decode(hmac_data) if hmac_data is not None else None,
            session_info_tag=tag.blob(1) if tag is not None else None,
            aes_gcm_response=AesGcmResponseData.decode(gcm) if gcm is not None else None,
        )


@dataclass(frozen=True, slots=True)
class RoutableMessage:
    """The envelope of every request and reply.

    Exactly one of ``payload`` (an application message: ``CarServer.Action`` for
    infotainment, ``VCSEC.UnsignedMessage`` for VCSEC, or their replies),
    ``session_info_request`` and ``session_info`` is set, or none for a bare status.
    """

    to_destination: Destination | None = None
    from_destination: Destination | None = None
    payload: bytes | None = None
    session_info_request: SessionInfoRequest | None = None
    session_info: bytes | None = None
    signature_data: SignatureData | None = None
    status: MessageStatus | None = None
    request_uuid: bytes = b""
    uuid: bytes = b""
    flags: int = 0

    @property
    def fault(self) -> int:
        return self.status.fault if self.status is not None else 0

    @property
    def from_domain(self) -> int | None:
        return self.from_destination.domain if self.from_destination is not None else None

    def encode(self) -> bytes:
        writer = MessageWriter()
        if self.to_destination is not None:
            writer.message(6, self.to_destination.encode())
        if self.from_destination is not None:
            writer.message(7, self.from_destination.encode())
        if self.status is not None:
            writer.message(12, self.status.encode())
        writer.blob(50, self.request_uuid).blob(51, self.uuid).uint32(52, self.flags)
        if self.payload is not None:
            writer.blob(10, self.payload, always=True)
        elif self.session_info_request is not None:
            writer.message(14, self.session_info_request.encode())
        elif self.session_info is not None:
            writer.blob(15, self.session_info, always=True)
        if self.signature_data is not None:
            writer.message(13, self.signature_data.encode())
        return writer.encode()

    @classmethod
    def decode(cls, data: bytes) -> RoutableMessage:
        fields = Fields(data)
        to_destination = fields.message(6)
        from_destination = fields.message(7)
        request = fields.message(14)
        signature = fields.message(13)
        status = fields.message(12)
        return cls(
            to_destination=Destination.decode(to_destination) if to_destination is not None else None,
            from_destination=Destination.decode(from_destination) if from_destination is not None else None,
            payload=fields.blob(10) if fields.has(10) else None,
            session_info_request=SessionInfoRequest.decode(request) if request is not None else None,
            session_info=fields.blob(15) if fields.has(15) else None,
            signature_data=SignatureData.decode(signature) if signature is not None else None,
            status=MessageStatus.decode(status) if status is not None else None,
            request_uuid=fields.blob(50),
            uuid=fields.blob(51),
            flags=fields.uint32(52),
        )


# ----------------------------------------------------------------- SessionInfo
@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A domain's session state as the car reports it in a handshake or a fault."""

    counter: int = 0
    public_key: bytes = b""
    epoch: bytes = b""
    clock_time: int = 0
    status: int = SESSION_INFO_STATUS_OK
    handle: int = 0

    def encode(self) -> bytes:
        return (
            MessageWriter()
            .uint32(1, self.counter)
            .blob(2, self.public_key)
            .blob(3, self.epoch)
            .fixed32(4, self.clock_time)
            .uint(5, self.status)
            .uint32(6, self.handle)
            .encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> SessionInfo:
        fields = Fields(data)
        return cls(
            counter=fields.uint32(1),
            public_key=fields.blob(2),
            epoch=fields.blob(3),
            clock_time=fields.fixed32(4),
            status=fields.uint32(5),
            handle=fields.uint32(6),
        )


# ----------------------------------------------------------- application replies
@dataclass(frozen=True, slots=True)
class CarServerResponse:
    """``CarServer.Response``: infotainment's verdict on an action, with its reason."""

    result: int = CAR_SERVER_OK
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.result == CAR_SERVER_OK

    def encode(self) -> bytes:
        status = MessageWriter().uint(1, self.result)
        if self.reason:
            status.message(2, MessageWriter().string(1, self.reason))
        return MessageWriter().message(1, status).encode()

    @classmethod
    def decode(cls, data: bytes) -> CarServerResponse:
        status = Fields(data).message(1)
        if status is None:
            # No actionStatus: nothing went wrong that the car wanted to say.
            return cls()
        reason = status.message(2)
        return cls(result=status.uint32(1), reason=reason.string(1) if reason is not None else "")


@dataclass(frozen=True, slots=True)
class VcsecResponse:
    """``VCSEC.FromVCSECMessage``: empty is success, ``nominalError`` a refusal, WAIT busy."""

    operation_status: int | None = None
    generic_error: int | None = None

    @property
    def busy(self) -> bool:
        return self.operation_status == OPERATION_STATUS_WAIT

    @property
    def error_name(self) -> str | None:
        if self.generic_error is None:
            return None
        return GENERIC_ERRORS.get(self.generic_error, f"error_{self.generic_error}")

    def encode(self) -> bytes:
        writer = MessageWriter()
        if self.operation_status is not None:
            writer.message(4, MessageWriter().uint(1, self.operation_status))
        if self.generic_error is not None:
            writer.message(46, MessageWriter().uint(1, self.generic_error))
        return writer.encode()

    @classmethod
    def decode(cls, data: bytes) -> VcsecResponse:
        fields = Fields(data)
        command_status = fields.message(4)
        nominal = fields.message(46)
        return cls(
            operation_status=command_status.uint32(1) if command_status is not None else None,
            generic_error=nominal.uint32(1) if nominal is not None else None,
        )


__all__ = [
    "AesGcmResponseData",
    "CarServerResponse",
    "Destination",
    "Domain",
    "HmacPersonalizedData",
    "MessageStatus",
    "RoutableMessage",
    "SessionInfo",
    "SessionInfoRequest",
    "SignatureData",
    "VcsecResponse",
    "WireFormatError",
]
