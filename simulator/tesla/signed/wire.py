"""The Protocol Buffers wire format, as much of it as the Vehicle Command Protocol uses.

Encoding writes one field at a time (varint, length-delimited, fixed32, fixed64), so a
message is the concatenation of its fields in field-number order, as ``protoc`` writes
them.  Decoding is tolerant the way protobuf parsers are: unknown fields are kept and
ignored, a repeated field's last value wins.  It is strict about the bytes themselves:
truncated input, an over-long varint or a wire type protobuf 3 does not use raises
``WireError`` with the reason, so a garbled request is a clear 400, never a crash.

This is the simulator's own codec; the integration has another one, on purpose, so the
two cannot share a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import struct

VARINT = 0
FIXED64 = 1
LEN = 2
FIXED32 = 5
_WIRE_NAMES = {VARINT: "varint", FIXED64: "fixed64", LEN: "length-delimited", FIXED32: "fixed32"}
_U64 = (1 << 64) - 1


class WireError(ValueError):
    """Bytes that are not a protobuf message (truncated, malformed, or the wrong type)."""


# ------------------------------------------------------------------ encoding
def varint(value: int) -> bytes:
    """An unsigned varint; a negative value is written as its 64-bit two's complement,
    which is how protobuf writes a negative int32 (ten bytes)."""
    value &= _U64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def field_varint(number: int, value: int) -> bytes:
    """An int32/uint32/uint64/bool/enum field, written even when it is zero."""
    return key(number, VARINT) + varint(int(value))


def field_bytes(number: int, data: bytes) -> bytes:
    """A bytes, string or embedded-message field, written even when it is empty."""
    return key(number, LEN) + varint(len(data)) + data


def field_fixed32(number: int, value: int) -> bytes:
    return key(number, FIXED32) + struct.pack("<I", value & 0xFFFFFFFF)


def field_fixed64(number: int, value: int) -> bytes:
    return key(number, FIXED64) + struct.pack("<Q", value & _U64)


def field_float(number: int, value: float) -> bytes:
    return key(number, FIXED32) + struct.pack("<f", value)


def optional_varint(number: int, value: int) -> bytes:
    """Proto3 leaves a scalar at its default (0, false) off the wire."""
    return field_varint(number, value) if value else b""


def optional_bytes(number: int, data: bytes | None) -> bytes:
    return field_bytes(number, data) if data else b""


# ------------------------------------------------------------------ decoding
@dataclass
class Fields:
    """A decoded message: every field by number, in the order read."""

    values: dict[int, list[tuple[int, int | bytes]]] = field(default_factory=dict)

    def has(self, number: int) -> bool:
        return number in self.values

    def numbers(self) -> list[int]:
        return list(self.values)

    def _last(self, number: int, wire_type: int) -> int | bytes | None:
        found = self.values.get(number)
        if not found:
            return None
        kind, value = found[-1]
        if kind != wire_type:
            raise WireError(
                f"field {number} is {_WIRE_NAMES.get(kind, kind)}, expected {_WIRE_NAMES[wire_type]}"
            )
        return value

    def uint(self, number: int) -> int:
        """A varint as unsigned (uint32, uint64, enum); 0 when absent."""
        value = self._last(number, VARINT)
        return int(value) if value is not None else 0

    def int32(self, number: int) -> int:
        """A varint as a signed 32-bit integer (negative ones take ten bytes on the wire)."""
        value = self.uint(number) & 0xFFFFFFFF
        return value - (1 << 32) if value >= 1 << 31 else value

    def boolean(self, number: int) -> bool:
        return self.uint(number) != 0

    def raw(self, number: int) -> bytes | None:
        """A length-delimited field's bytes; ``None`` when absent (``b""`` when empty)."""
        value = self._last(number, LEN)
        return value if isinstance(value, bytes) else None

    def message(self, number: int) -> Fields | None:
        data = self.raw(number)
        return decode(data) if data is not None else None

    def text(self, number: int) -> str:
        data = self.raw(number)
        if data is None:
            return ""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(f"field {number} is not UTF-8 text") from None

    def fixed32(self, number: int) -> int:
        value = self._last(number, FIXED32)
        return int(struct.unpack("<I", value)[0]) if isinstance(value, bytes) else 0

    def float32(self, number: int) -> float:
        value = self._last(number, FIXED32)
        return float(struct.unpack("<f", value)[0]) if isinstance(value, bytes) else 0.0


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result > _U64:
                raise WireError("varint longer than 64 bits")
            return result, pos
    raise WireError("varint longer than ten bytes")


def decode(data: bytes) -> Fields:
    """Every field of one message; raises ``WireError`` on anything malformed."""
    fields = Fields()
    pos = 0
    while pos < len(data):
        tag, pos = _read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        value: int | bytes
        if wire_type == VARINT:
            value, pos = _read_varint(data, pos)
        elif wire_type == LEN:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise WireError(f"truncated field {number}: {length} bytes announced, {len(data) - pos} left")
            value = data[pos : pos + length]
            pos += length
        elif wire_type in (FIXED32, FIXED64):
            size = 4 if wire_type == FIXED32 else 8
            if pos + size > len(data):
                raise WireError(f"truncated fixed-size field {number}")
            value = data[pos : pos + size]
            pos += size
        else:
            # Groups (3, 4) are proto2 only; 6 and 7 do not exist.
            raise WireError(f"unsupported wire type {wire_type} in field {number}")
        fields.values.setdefault(number, []).append((wire_type, value))
    return fields
