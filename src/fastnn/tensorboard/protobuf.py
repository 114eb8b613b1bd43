"""A small protocol-buffer encoder: enough of the wire format to write TensorBoard's messages.

A message is built as bytes by concatenating fields; each helper returns one encoded field
(or b"" for a value that proto3 leaves out: zero, empty)."""
import struct

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


def varint(value):
    """The base-128 encoding of a non-negative int (negative int64 values as two's complement)."""
    value = int(value)
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def key(field_number, wire_type):
    return varint((field_number << 3) | wire_type)


def int_field(field_number, value):
    return key(field_number, VARINT) + varint(value) if value else b""


def double_field(field_number, value):
    return key(field_number, FIXED64) + struct.pack("<d", value) if value else b""


def float_field(field_number, value):
    return key(field_number, FIXED32) + struct.pack("<f", value) if value else b""


def bytes_field(field_number, data):
    """A length-delimited field: bytes, a UTF-8 string or an encoded sub-message."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return key(field_number, LENGTH_DELIMITED) + varint(len(data)) + bytes(data)


def optional_bytes_field(field_number, data):
    return bytes_field(field_number, data) if data else b""


def packed_doubles(field_number, values):
    values = list(values)
    if not values:
        return b""
    return bytes_field(field_number, struct.pack(f"<{len(values)}d", *values))
