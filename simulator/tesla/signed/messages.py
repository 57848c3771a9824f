"""The envelope messages: RoutableMessage, SignatureData, SessionInfo and friends.

Field numbers come from Tesla's ``universal_message.proto`` and ``signatures.proto``
(vehicle-command).  Decoding keeps what the car needs and tells "absent" (``None``)
from "empty" (``b""``), as Go's generated code does for ``epoch`` and ``uuid``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .wire import (
    Fields,
    WireError,
    decode,
    field_bytes,
    field_fixed32,
    field_varint,
    optional_bytes,
    optional_varint,
)

DOMAIN_VEHICLE_SECURITY = 2
DOMAIN_INFOTAINMENT = 3
DOMAIN_NAMES = {DOMAIN_VEHICLE_SECURITY: "vcsec", DOMAIN_INFOTAINMENT: "infotainment"}

FLAG_ENCRYPT_RESPONSE = 1 << 1  # Flags.FLAG_ENCRYPT_RESPONSE is bit 1

# UniversalMessage.OperationStatus_E
OPERATION_OK = 0
OPERATION_WAIT = 1
OPERATION_ERROR = 2

# UniversalMessage.MessageFault_E (the ones the simulator sends)
FAULT_NONE = 0
FAULT_BUSY = 1
FAULT_UNKNOWN_KEY_ID = 3
FAULT_INVALID_SIGNATURE = 5
FAULT_INVALID_TOKEN_OR_COUNTER = 6
FAULT_INVALID_DOMAINS = 8
FAULT_INVALID_COMMAND = 9
FAULT_DECODING = 10
FAULT_BAD_PARAMETER = 13
FAULT_INCORRECT_EPOCH = 15
FAULT_TIME_EXPIRED = 17
FAULT_TIME_TO_LIVE_TOO_LONG = 20

# Signatures.Session_Info_Status
SESSION_INFO_OK = 0
SESSION_INFO_KEY_NOT_ON_WHITELIST = 1


@dataclass
class Destination:
    domain: int | None = None
    routing_address: bytes | None = None

    @classmethod
    def parse(cls, fields: Fields | None) -> Destination | None:
        if fields is None:
            return None
        domain = fields.uint(1) if fields.has(1) else None
        return cls(domain=domain, routing_address=fields.raw(2))

    def encode(self) -> bytes:
        if self.domain is not None:
            return field_varint(1, self.domain)
        if self.routing_address is not None:
            return field_bytes(2, self.routing_address)
        return b""


@dataclass
class HmacData:
    """HMAC_Personalized_Signature_Data."""

    epoch: bytes | None
    counter: int
    expires_at: int
    tag: bytes


@dataclass
class SignatureData:
    signer_public_key: bytes | None
    hmac: HmacData | None
    aes_gcm: bool
    """The request is AES_GCM_Personalized (BLE-style encryption)."""
    other: bool
    """Some other signature type (session_info_tag, a response type...)."""


@dataclass
class RoutableMessage:
    """A request as the car receives it."""

    to_destination: Destination | None
    from_destination: Destination | None
    payload: bytes | None
    session_info_request_key: bytes | None
    """``session_info_request.public_key``; ``None`` when the message is not a handshake."""
    is_handshake: bool
    signature: SignatureData | None
    uuid: bytes | None
    flags: int

    @property
    def domain(self) -> int | None:
        return self.to_destination.domain if self.to_destination else None


def _signature_data(fields: Fields | None) -> SignatureData | None:
    if fields is None:
        return None
    identity = fields.message(1)
    public_key = identity.raw(1) if identity is not None else None
    hmac_fields = fields.message(8)
    hmac = None
    if hmac_fields is not None:
        hmac = HmacData(
            epoch=hmac_fields.raw(1),
            counter=hmac_fields.uint(2) & 0xFFFFFFFF,
            expires_at=hmac_fields.fixed32(3),
            tag=hmac_fields.raw(4) or b"",
        )
    return SignatureData(
        signer_public_key=public_key,
        hmac=hmac,
        aes_gcm=fields.has(5),
        other=hmac is None and not fields.has(5),
    )


def parse_routable(data: bytes) -> RoutableMessage:
    """Decode a request; raises ``WireError`` for bytes that are not a RoutableMessage."""
    fields = decode(data)
    if not fields.numbers():
        raise WireError("empty message")
    request = fields.message(14)
    return RoutableMessage(
        to_destination=Destination.parse(fields.message(6)),
        from_destination=Destination.parse(fields.message(7)),
        payload=fields.raw(10),
        session_info_request_key=(request.raw(1) or b"") if request is not None else None,
        is_handshake=request is not None,
        signature=_signature_data(fields.message(13)),
        uuid=fields.raw(51),
        flags=fields.uint(52) & 0xFFFFFFFF,
    )


# ------------------------------------------------------------------ replies
def encode_session_info(
    *, counter: int, public_key: bytes | None, epoch: bytes | None, clock_time: int, status: int = 0
) -> bytes:
    """SessionInfo as Go's proto.Marshal writes it: field order, zero values left out."""
    return (
        optional_varint(1, counter)
        + optional_bytes(2, public_key)
        + optional_bytes(3, epoch)
        + (field_fixed32(4, clock_time) if clock_time else b"")
        + optional_varint(5, status)
    )


@dataclass
class Reply:
    """A RoutableMessage from the car back to the client."""

    to_destination: Destination | None
    from_destination: Destination | None
    payload: bytes | None = None
    operation_status: int = OPERATION_OK
    fault: int = FAULT_NONE
    session_info: bytes | None = None
    session_info_tag: bytes | None = None
    response_nonce: bytes | None = None
    response_counter: int = 0
    response_tag: bytes | None = None
    request_uuid: bytes | None = None
    uuid: bytes | None = None
    flags: int = 0

    def encode(self) -> bytes:
        out = bytearray()
        if self.to_destination is not None:
            out += field_bytes(6, self.to_destination.encode())
        if self.from_destination is not None:
            out += field_bytes(7, self.from_destination.encode())
        if self.payload is not None:
            out += field_bytes(10, self.payload)
        if self.operation_status or self.fault:
            status = optional_varint(1, self.operation_status) + optional_varint(2, self.fault)
            out += field_bytes(12, status)
        signature = b""
        if self.session_info_tag is not None:
            signature = field_bytes(6, field_bytes(1, self.session_info_tag))
        elif self.response_tag is not None:
            data = (
                field_bytes(1, self.response_nonce or b"")
                + optional_varint(2, self.response_counter)
                + field_bytes(3, self.response_tag)
            )
            signature = field_bytes(9, data)
        if signature:
            out += field_bytes(13, signature)
        if self.session_info is not None:
            out += field_bytes(15, self.session_info)
        out += optional_bytes(50, self.request_uuid)
        out += optional_bytes(51, self.uuid)
        out += optional_varint(52, self.flags)
        return bytes(out)
