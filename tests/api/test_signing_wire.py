"""The hand-written protobuf codec and the protocol messages built on it."""

from __future__ import annotations

import struct

import pytest

from custom_components.ev_charge_control.api import MalformedResponse
from custom_components.ev_charge_control.api.tesla.signing.messages import (
    AesGcmResponseData,
    CarServerResponse,
    Destination,
    Domain,
    HmacPersonalizedData,
    MessageStatus,
    RoutableMessage,
    SessionInfo,
    SessionInfoRequest,
    SignatureData,
    VcsecResponse,
)
from custom_components.ev_charge_control.api.tesla.signing.wire import (
    Fields,
    MessageWriter,
    WireFormatError,
    decode_varint,
    encode_varint,
)


# --------------------------------------------------------------------- varints
@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (2**64 - 1, "ffffffffffffffffff01")],
)
def test_varint_round_trip(value: int, encoded: str) -> None:
    assert encode_varint(value).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


@pytest.mark.parametrize("value", [-1, 2**64])
def test_varint_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode_varint(value)


def test_truncated_varint() -> None:
    with pytest.raises(WireFormatError, match="truncated varint"):
        decode_varint(b"\x80\x80", 0)


def test_eleven_byte_varint() -> None:
    with pytest.raises(WireFormatError, match="longer than ten bytes"):
        decode_varint(b"\xff" * 10 + b"\x01", 0)


def test_ten_byte_varint_beyond_64_bits() -> None:
    with pytest.raises(WireFormatError, match="longer than 64 bits"):
        decode_varint(b"\xff" * 9 + b"\x7f", 0)


def test_wire_errors_are_api_errors() -> None:
    # Bytes from the network that do not decode are a malformed answer, nothing else.
    assert issubclass(WireFormatError, MalformedResponse)


# ---------------------------------------------------------------------- writer
def test_negative_int32_is_a_ten_byte_varint() -> None:
    encoded = MessageWriter().int32(1, -1).encode()
    assert encoded.hex() == "08ffffffffffffffffff01"
    assert Fields(encoded).int32(1) == -1
    assert Fields(MessageWriter().int32(1, -(2**31)).encode()).int32(1) == -(2**31)


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1])
def test_int32_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="int32 out of range"):
        MessageWriter().int32(1, value)


def test_uint32_and_fixed32_ranges() -> None:
    with pytest.raises(ValueError, match="uint32 out of range"):
        MessageWriter().uint32(1, 2**32)
    with pytest.raises(ValueError, match="fixed32 out of range"):
        MessageWriter().fixed32(1, -1)


def test_scalars_round_trip() -> None:
    encoded = (
        MessageWriter()
        .uint32(1, 4_000_000_000)
        .uint64(2, 2**64 - 1)
        .boolean(3, True)
        .blob(4, b"\x00\x01")
        .string(5, "Zürich")
        .fixed32(6, 2655)
        .float32(7, 52.25)
        .float32(8, -4.5)
        .int32(9, 42)
        .encode()
    )
    fields = Fields(encoded)
    assert fields.uint32(1) == 4_000_000_000
    assert fields.uint(2) == 2**64 - 1
    assert fields.boolean(3) is True
    assert fields.blob(4) == b"\x00\x01"
    assert fields.string(5) == "Zürich"
    assert fields.fixed32(6) == 2655
    assert fields.float32(7) == 52.25
    assert fields.float32(8) == -4.5
    assert fields.int32(9) == 42
    assert fields.numbers() == frozenset(range(1, 10))


def test_float_is_wire_type_five_little_endian() -> None:
    assert MessageWriter().float32(10, 1.5).encode() == b"\x55" + struct.pack("<f", 1.5)


def test_float_must_be_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        MessageWriter().float32(1, float("nan"))


def test_defaults_are_left_out_but_messages_are_not() -> None:
    writer = MessageWriter().uint(1, 0).boolean(2, False).blob(3, b"").string(4, "").fixed32(5, 0)
    writer.float32(6, 0.0).int32(7, 0)
    assert writer.encode() == b""
    # An empty sub-message (a Void oneof member) is how a choice is made: it is written.
    assert MessageWriter().message(2, b"").encode() == b"\x12\x00"
    assert MessageWriter().uint(1, 0, always=True).blob(2, b"", always=True).encode() == b"\x08\x00\x12\x00"


def test_field_number_range() -> None:
    with pytest.raises(ValueError, match="field number"):
        MessageWriter().uint(0, 1)
    with pytest.raises(ValueError, match="field number"):
        MessageWriter().uint(2**29, 1)


# ---------------------------------------------------------------------- reader
def test_absent_fields_read_as_defaults() -> None:
    fields = Fields(b"")
    assert (fields.uint(1), fields.boolean(1), fields.blob(1), fields.string(1)) == (0, False, b"", "")
    assert fields.message(1) is None
    assert fields.has(1) is False


def test_last_scalar_wins_and_repeated_messages_merge() -> None:
    encoded = (
        MessageWriter()
        .uint(1, 5)
        .uint(1, 6)
        .message(2, MessageWriter().uint(1, 1))
        .message(2, MessageWriter().uint(2, 2))
        .encode()
    )
    fields = Fields(encoded)
    assert fields.uint(1) == 6
    inner = fields.message(2)
    assert inner is not None
    assert (inner.uint(1), inner.uint(2)) == (1, 2)


def test_unknown_fields_and_fixed64_are_skipped() -> None:
    encoded = b"\x09" + bytes(8) + MessageWriter().uint(2, 7).encode()
    assert Fields(encoded).uint(2) == 7


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x0a\x05abc", "runs past the end"),  # length 5, three bytes left
        (b"\x0d\x01\x02", "runs past the end"),  # fixed32 with two bytes
        (b"\x09\x01", "runs past the end"),  # fixed64 with one byte
        (b"\x08", "truncated varint"),  # key without its value
        (b"\x0b", "unsupported wire type 3"),  # a group
        (b"\x0e\x00", "unsupported wire type 6"),
        (b"\x00\x01", "invalid field number 0"),
    ],
)
def test_malformed_input_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=message):
        Fields(data)


def test_wrong_wire_type_for_the_schema() -> None:
    fields = Fields(MessageWriter().uint(1, 3).encode())
    with pytest.raises(WireFormatError, match="wire type 0, expected 2"):
        fields.blob(1)
    with pytest.raises(WireFormatError, match="wire type 0, expected 5"):
        fields.fixed32(1)


def test_string_must_be_utf8() -> None:
    with pytest.raises(WireFormatError, match="not UTF-8"):
        Fields(MessageWriter().blob(1, b"\xff").encode()).string(1)


def test_uint32_truncates_like_protobuf() -> None:
    assert Fields(MessageWriter().uint(1, 2**32 + 5).encode()).uint32(1) == 5


# -------------------------------------------------------------------- messages
def test_signed_request_round_trip() -> None:
    message = RoutableMessage(
        to_destination=Destination(domain=Domain.INFOTAINMENT),
        from_destination=Destination(routing_address=bytes(range(16))),
        payload=b"\x12\x00",
        signature_data=SignatureData(
            signer_public_key=b"\x04" + bytes(64),
            hmac_personalized=HmacPersonalizedData(epoch=bytes(16), counter=9, expires_at=100, tag=bytes(32)),
        ),
        uuid=bytes(range(16, 32)),
        flags=2,
    )
    assert RoutableMessage.decode(message.encode()) == message


def test_reply_round_trip_with_status_and_encryption_data() -> None:
    message = RoutableMessage(
        to_destination=Destination(routing_address=bytes(16)),
        from_destination=Destination(domain=Domain.VEHICLE_SECURITY),
        payload=b"",
        signature_data=SignatureData(
            aes_gcm_response=AesGcmResponseData(nonce=bytes(12), counter=3, tag=bytes(range(16)))
        ),
        status=MessageStatus(operation_status=2, fault=6),
        request_uuid=bytes(range(16)),
        flags=2,
    )
    decoded = RoutableMessage.decode(message.encode())
    assert decoded == message
    assert decoded.fault == 6
    assert decoded.from_domain == Domain.VEHICLE_SECURITY


def test_domain_zero_in_a_destination_is_still_written() -> None:
    # BROADCAST is 0, a default, but a oneof member that is set must be on the wire.
    encoded = RoutableMessage(to_destination=Destination(domain=Domain.BROADCAST)).encode()
    assert RoutableMessage.decode(encoded).to_destination == Destination(domain=0)


def test_session_info_reply_round_trip() -> None:
    info = SessionInfo(counter=6, public_key=b"\x04" + bytes(64), epoch=bytes(16), clock_time=2650, handle=3)
    message = RoutableMessage(
        session_info=info.encode(), signature_data=SignatureData(session_info_tag=bytes(32))
    )
    decoded = RoutableMessage.decode(message.encode())
    assert decoded.session_info is not None
    assert SessionInfo.decode(decoded.session_info) == info
    assert decoded.signature_data == SignatureData(session_info_tag=bytes(32))
    assert decoded.fault == 0
    assert decoded.from_domain is None


def test_session_info_request_round_trip() -> None:
    request = SessionInfoRequest(public_key=b"\x04" + bytes(64), challenge=b"abc")
    message = RoutableMessage(session_info_request=request, uuid=b"u")
    assert RoutableMessage.decode(message.encode()).session_info_request == request


def test_car_server_response() -> None:
    assert CarServerResponse.decode(b"") == CarServerResponse()
    assert CarServerResponse.decode(b"").ok
    refused = CarServerResponse(result=1, reason="not_charging")
    assert CarServerResponse.decode(refused.encode()) == refused
    assert not refused.ok
    assert CarServerResponse.decode(CarServerResponse(result=1).encode()) == CarServerResponse(result=1)


def test_vcsec_response() -> None:
    assert VcsecResponse.decode(b"") == VcsecResponse()
    assert not VcsecResponse().busy
    busy = VcsecResponse(operation_status=1)
    assert VcsecResponse.decode(busy.encode()).busy
    refused = VcsecResponse.decode(VcsecResponse(generic_error=6).encode())
    assert refused.error_name == "unauthorized"
    assert VcsecResponse(generic_error=99).error_name == "error_99"
    assert VcsecResponse().error_name is None


def test_a_truncated_reply_is_refused() -> None:
    encoded = RoutableMessage(payload=b"\x12\x04abcd", uuid=bytes(16)).encode()
    with pytest.raises(WireFormatError):
        RoutableMessage.decode(encoded[:-3])
