"""Reading ``.npz`` archives without running pickled code.

NumPy stores object arrays (ragged lists of word indices, as in Keras's
``imdb.npz`` and ``reuters.npz``) as pickle streams, and unpickling can call
any Python function the file names. Here each ``.npy`` member's header is
parsed first; numeric members are read as raw bytes, and object members are
unpickled by an unpickler that admits only the few NumPy globals an array
reconstruction needs. Anything else (``os.system``, ``builtins.eval``, ...) is
refused before it is looked up, let alone called.
"""
import io
import pickle
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

# The globals a pickled NumPy array (object arrays included) refers to, in the
# spellings of NumPy 1 (numpy.core) and NumPy 2 (numpy._core); pickle protocol 2
# spells bytes as _codecs.encode(text, "latin1").
ALLOWED_GLOBALS = frozenset({
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
})


class UnsafeFileError(ValueError):
    """A file asked to load a Python global that reading arrays never needs."""


class _RefusedGlobal(pickle.UnpicklingError):
    def __init__(self, module, name):
        super().__init__(f"{module}.{name}")
        self.qualified_name = f"{module}.{name}"


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ALLOWED_GLOBALS."""

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise _RefusedGlobal(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent references are not supported")


def load_npz(path):
    """Return ``{name: array}`` for every ``.npy`` member of the archive at ``path``.

    Raises UnsafeFileError naming the file, the member and the refused global
    when an object member's pickle stream reaches for anything but NumPy's
    array reconstruction, and ValueError naming the file for any other damage.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    data = archive.read(member)
                    arrays[member[:-len(".npy")]] = read_npy(io.BytesIO(data), f"{path}, member {member}")
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz archive ({exc})") from None
    return arrays


def read_npy(stream, where):
    """Read one ``.npy`` stream; ``where`` names it in error messages."""
    shape, fortran_order, dtype = _read_header(stream, where)
    if dtype.hasobject:
        array = _unpickle_array(stream, where)
        if array.dtype != dtype or array.shape != shape:
            raise ValueError(f"{where}: header declares {dtype} of shape {shape} but the "
                             f"payload holds {array.dtype} of shape {array.shape}")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    payload = stream.read()
    if len(payload) != count * dtype.itemsize:
        raise ValueError(f"{where}: {dtype} of shape {shape} needs {count * dtype.itemsize} "
                         f"bytes, found {len(payload)}")
    array = np.frombuffer(payload, dtype=dtype, count=count).copy()
    return array.reshape(shape, order="F" if fortran_order else "C")


def _read_header(stream, where):
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            return npy_format.read_array_header_1_0(stream)
        if version in ((2, 0), (3, 0)):
            # Version 3.0 only allows UTF-8 in the header text; the layout is 2.0's.
            return npy_format.read_array_header_2_0(stream)
    except ValueError as exc:
        raise ValueError(f"{where}: not a valid .npy header ({exc})") from None
    raise ValueError(f"{where}: unsupported .npy format version {version[0]}.{version[1]}")


def _unpickle_array(stream, where):
    array = unpickle_restricted(stream, where, what="pickled array")
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{where}: the pickled payload is a {type(array).__name__}, not an array")
    return array


def unpickle_restricted(stream, where, *, encoding="ASCII", what="pickle"):
    """The object pickled in ``stream``, built from builtins (dicts, lists, strings, numbers)
    and NumPy arrays only; ``where`` names the stream in errors. ``encoding="bytes"``
    reads Python 2 pickles, whose strings then come back as bytes.

    Raises UnsafeFileError naming the refused global, ValueError for a damaged stream.
    """
    try:
        return ArrayUnpickler(stream, encoding=encoding).load()
    except _RefusedGlobal as refused:
        raise UnsafeFileError(
            f"{where}: refused to load the Python global {refused.qualified_name}; only NumPy "
            "array reconstruction is allowed, so the file may be corrupt or malicious") from None
    except Exception as exc:  # a damaged stream fails in many ways: EOF, bad opcodes, bad args
        raise ValueError(f"{where}: corrupt {what} ({type(exc).__name__}: {exc})") from None
