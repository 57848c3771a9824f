"""The protobuf wire format, as far as the Vehicle Command Protocol needs it.

Tesla's messages are protobuf, but depending on the ``protobuf`` package would tie this
library to whatever version Home Assistant pins (its generated code refuses other
majors).  The protocol uses a handful of field kinds, so they are written and read here
by hand: varints, length-delimited bytes and nested messages, and 32-bit fixed values.

The signature covers the exact bytes sent, so an encoder only has to be valid protobuf,
not byte-identical to Tesla's; the decoder has to be strict, because what it reads
comes from the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import math
import struct
from typing import Self

from ...errors import MalformedResponse

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5

_UINT32_MAX = 0xFFFFFFFF
_UINT64_MAX = 0xFFFFFFFFFFFFFFFF
_MAX_FIELD_NUMBER = (1 << 29) - 1
_MAX_VARINT_BYTES = 10


class WireFormatError(MalformedResponse):
    """Bytes that are not the protobuf message expected (truncated, malformed, wrong kind)."""


# ------------------------------------------------------------------ encoding
def encode_varint(value: int) -> bytes:
    """An unsigned value (up to 64 bits) as a base-128 varint."""
    if not 0 <= value <= _UINT64_MAX:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    if not 1 <= number <= _MAX_FIELD_NUMBER:
        raise ValueError(f"field number out of range: {number}")
    return encode_varint((number << 3) | wire_type)


@dataclass
class MessageWriter:
    """Appends fields in the order written.

    Scalars follow proto3: a value equal to its default (0, false, empty) is not written,
    because a reader cannot tell it from absent anyway.  ``message`` always writes, since
    an empty sub-message (a ``Void`` in a oneof) is how the protocol says "this one".
    """

    _parts: list[bytes] = field(default_factory=list)

    def uint(self, number: int, value: int, *, always: bool = False) -> Self:
        """uint32, uint64 and enum values (never negative).

        ``always`` writes a default value too: a oneof member is present even when 0.
        """
        if value or always:
            self._parts += (_key(number, VARINT), encode_varint(value))
        return self

    def uint32(self, number: int, value: int) -> Self:
        if not 0 <= value <= _UINT32_MAX:
            raise ValueError(f"uint32 out of range: {value}")
        return self.uint(number, value)

    def uint64(self, number: int, value: int) -> Self:
        return self.uint(number, value)

    def int32(self, number: int, value: int) -> Self:
        """Protobuf sign-extends a negative int32 to 64 bits: ten varint bytes."""
        if not -(1 << 31) <= value < (1 << 31):
            raise ValueError(f"int32 out of range: {value}")
        return self.uint(number, value & _UINT64_MAX)

    def boolean(self, number: int, value: bool) -> Self:
        return self.uint(number, 1 if value else 0)

    def blob(self, number: int, value: bytes, *, always: bool = False) -> Self:
        if value or always:
            self._parts += (_key(number, LENGTH_DELIMITED), encode_varint(len(value)), bytes(value))
        return self

    def string(self, number: int, value: str) -> Self:
        return self.blob(number, value.encode("utf-8"))

    def message(self, number: int, value: MessageWriter | bytes) -> Self:
        body = value.encode() if isinstance(value, MessageWriter) else bytes(value)
        self._parts += (_key(number, LENGTH_DELIMITED), encode_varint(len(body)), body)
        return self

    def fixed32(self, number: int, value: int) -> Self:
        if not 0 <= value <= _UINT32_MAX:
            raise ValueError(f"fixed32 out of range: {value}")
        if value:
            self._parts += (_key(number, FIXED32), struct.pack("<I", value))
        return self

    def float32(self, number: int, value: float) -> Self:
        if not math.isfinite(value):
            raise ValueError(f"float must be finite: {value}")
        if value:
            self._parts += (_key(number, FIXED32), struct.pack("<f", value))
        return self

    def encode(self) -> bytes:
        return b"".join(self._parts)


# ------------------------------------------------------------------ decoding
@dataclass(frozen=True, slots=True)
class WireField:
    """One field as read: its wire type and raw value (an int, or bytes)."""

    wire_type: int
    value: int | bytes


def decode_varint(data: bytes, offset: int) -> tuple[int, int]:
    """The varint at ``offset`` and the offset after it."""
    result = 0
    for index in range(_MAX_VARINT_BYTES):
        if offset + index >= len(data):
            raise WireFormatError("truncated varint")
        byte = data[offset + index]
        result |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if result > _UINT64_MAX:
                raise WireFormatError("varint longer than 64 bits")
            return result, offset + index + 1
    raise WireFormatError("varint longer than ten bytes")


def _read_fields(data: bytes) -> Iterator[tuple[int, WireField]]:
    offset = 0
    while offset < len(data):
        key, offset = decode_varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if not 1 <= number <= _MAX_FIELD_NUMBER:
            raise WireFormatError(f"invalid field number {number}")
        value: int | bytes
        if wire_type == VARINT:
            value, offset = decode_varint(data, offset)
        elif wire_type == LENGTH_DELIMITED:
            length, offset = decode_varint(data, offset)
            if length > len(data) - offset:
                raise WireFormatError(f"field {number} runs past the end")
            value, offset = bytes(data[offset : offset + length]), offset + length
        elif wire_type in (FIXED32, FIXED64):
            size = 4 if wire_type == FIXED32 else 8
            if size > len(data) - offset:
                raise WireFormatError(f"field {number} runs past the end")
            value, offset = int.from_bytes(data[offset : offset + size], "little"), offset + size
        else:
            # Groups (3, 4) are long deprecated and none of these messages has one.
            raise WireFormatError(f"unsupported wire type {wire_type} in field {number}")
        yield number, WireField(wire_type, value)


class Fields:
    """A decoded message: its fields by number, read with the type the schema gives them.

    A repeated scalar keeps its last value and a repeated sub-message is the merge of
    its parts, as protobuf defines it.  Asking for a field with the wrong wire type is
    an error: the bytes are not the message we think.
    """

    __slots__ = ("_fields",)

    def __init__(self, data: bytes) -> None:
        self._fields: dict[int, list[WireField]] = {}
        for number, wire_field in _read_fields(bytes(data)):
            self._fields.setdefault(number, []).append(wire_field)

    def numbers(self) -> frozenset[int]:
        return frozenset(self._fields)

    def has(self, number: int) -> bool:
        return number in self._fields

    def _all(self, number: int, wire_type: int) -> list[WireField]:
        found = self._fields.get(number, [])
        for item in found:
            if item.wire_type != wire_type:
                raise WireFormatError(f"field {number} has wire type {item.wire_type}, expected {wire_type}")
        return found

    def _last_int(self, number: int, wire_type: int) -> int:
        found = self._all(number, wire_type)
        value = found[-1].value if found else 0
        return value if isinstance(value, int) else 0

    def uint(self, number: int) -> int:
        """uint64 (or an enum read as unsigned)."""
        return self._last_int(number, VARINT)

    def uint32(self, number: int) -> int:
        # Protobuf truncates an over-long value to the field's width.
        return self._last_int(number, VARINT) & _UINT32_MAX

    def int32(self, number: int) -> int:
        value = self._last_int(number, VARINT) & _UINT32_MAX
        return value - (1 << 32) if value & (1 << 31) else value

    def boolean(self, number: int) -> bool:
        return self._last_int(number, VARINT) != 0

    def fixed32(self, number: int) -> int:
        return self._last_int(number, FIXED32)

    def float32(self, number: int) -> float:
        value: float = struct.unpack("<f", self._last_int(number, FIXED32).to_bytes(4, "little"))[0]
        return value

    def blob(self, number: int) -> bytes:
        found = self._all(number, LENGTH_DELIMITED)
        value = found[-1].value if found else b""
        return value if isinstance(value, bytes) else b""

    def string(self, number: int) -> str:
        try:
            return self.blob(number).decode("utf-8")
        except UnicodeDecodeError as err:
            raise WireFormatError(f"field {number} is not UTF-8") from err

    def message(self, number: int) -> Fields | None:
        """The sub-message, or ``None`` when the field is absent (not the same as empty)."""
        found = self._all(number, LENGTH_DELIMITED)
        if not found:
            return None
        return Fields(b"".join(item.value for item in found if isinstance(item.value, bytes)))
