"""Reader and writer for the IDX format of MNIST-style datasets.

An IDX file is two zero bytes, a dtype code, the number of dimensions ``ndim``,
then ``ndim`` big-endian uint32 sizes, then the values in C order (big-endian).
Files whose bytes start with the gzip signature are decompressed on the fly.
"""
import gzip
import math
import os
import struct
import zlib

import numpy as np

# IDX dtype code -> big-endian NumPy dtype of the stored values.
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES_BY_DTYPE = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_SIGNATURE = b"\x1f\x8b"
_READ_CHUNK = 1 << 22
# Deflate cannot expand data by more than about 1032:1, which bounds what a
# gzip file can hold before anything is allocated for its declared shape.
_MAX_DEFLATE_RATIO = 1100


def idx_magic(dtype, ndim):
    """The magic number of an IDX file, e.g. ``idx_magic(np.uint8, 3) == 2051``."""
    return (_dtype_code(np.dtype(dtype)) << 8) | ndim


def read_idx(path, *, ndim=None, dtype=None):
    """Read an IDX file (gzipped or not) into a NumPy array in native byte order.

    ``ndim`` and ``dtype``, when given, are required of the file. Raises
    ValueError naming the file on a bad header, a wrong data length or a
    corrupt gzip stream.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_SIGNATURE
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        limit = size * _MAX_DEFLATE_RATIO if compressed else size
        try:
            return _read_stream(stream, path, ndim, dtype, limit)
        except (OSError, EOFError, zlib.error) as exc:
            if not compressed:
                raise
            raise ValueError(f"{path}: corrupt gzip stream ({exc})") from exc


def write_idx(path, array):
    """Write ``array`` as an IDX file, gzipped when ``path`` ends with ``.gz``."""
    array = np.asarray(array)
    code = _dtype_code(array.dtype)
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions. Received: ndim={array.ndim}")
    if any(size >= 1 << 32 for size in array.shape):
        raise ValueError(f"IDX sizes must fit in uint32. Received: shape={array.shape}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as out:
        out.write(header)
        out.write(payload)


def _dtype_code(dtype):
    code = _CODES_BY_DTYPE.get(dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(str(d.newbyteorder("=")) for d in IDX_DTYPES.values())
        raise ValueError(f"IDX cannot store dtype {dtype}; supported: {names}")
    return code


def _read_stream(stream, path, want_ndim, want_dtype, limit):
    head = _read_exactly(stream, 4)
    if len(head) < 4:
        raise ValueError(f"{path}: truncated IDX header ({len(head)} of 4 bytes)")
    zero0, zero1, code, ndim = head
    if zero0 or zero1:
        raise ValueError(
            f"{path}: not an IDX file (magic 0x{int.from_bytes(head, 'big'):08X} "
            f"does not start with two zero bytes)")
    if code not in IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02X} "
                         f"(magic 0x{int.from_bytes(head, 'big'):08X})")
    stored = IDX_DTYPES[code]
    native = stored.newbyteorder("=")
    if want_dtype is not None and native != np.dtype(want_dtype):
        raise ValueError(f"{path}: expected IDX dtype {np.dtype(want_dtype)} (magic "
                         f"{idx_magic(want_dtype, want_ndim or ndim)}), found {native} "
                         f"(magic {int.from_bytes(head, 'big')})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    if want_ndim is not None and ndim != want_ndim:
        raise ValueError(f"{path}: expected {want_ndim}-D IDX data (magic "
                         f"{idx_magic(native, want_ndim)}), found {ndim}-D "
                         f"(magic {int.from_bytes(head, 'big')})")

    dims_bytes = _read_exactly(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimension sizes need "
                         f"{4 * ndim} bytes, found {len(dims_bytes)}")
    shape = struct.unpack(f">{ndim}I", dims_bytes)

    expected = math.prod(shape) * stored.itemsize
    if expected > limit:
        raise ValueError(f"{path}: IDX data too short: shape {shape} of {native} needs "
                         f"{expected} bytes, more than the file can hold")
    data = np.empty(shape, dtype=stored)
    got = _read_into(stream, memoryview(data.reshape(-1).view(np.uint8)))
    if got < expected:
        raise ValueError(f"{path}: IDX data too short: shape {shape} of {native} needs "
                         f"{expected} bytes, found {got}")
    extra = len(stream.read(1))
    if extra:
        raise ValueError(f"{path}: IDX data too long: shape {shape} of {native} needs "
                         f"{expected} bytes, found more")
    return data if stored == native else data.astype(native)


def _read_exactly(stream, count):
    parts = []
    while count > 0:
        part = stream.read(count)
        if not part:
            break
        parts.append(part)
        count -= len(part)
    return b"".join(parts)


def _read_into(stream, buffer):
    filled = 0
    total = len(buffer)
    while filled < total:
        got = stream.readinto(buffer[filled:filled + _READ_CHUNK])
        if not got:
            break
        filled += got
    return filled
