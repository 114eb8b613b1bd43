"""Argument checks shared by the kernel wrappers, the oracles and the weight loaders: float arrays
in native byte order, outputs of the right shape, dtype and writability, buffers that must not
share memory. The compiled wrappers' fast forms of these checks are in _layout.pxi."""
import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(x, name):
    """x as a float32/float64 ndarray; integers and bools become float64, float16 float32.

    Non-native byte order (e.g. big-endian '>f4' read from a file) is converted to native.
    Raises TypeError for object, string, complex and other non-numeric data.
    """
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind in "biuf" and not arr.dtype.isnative:  # big-endian data from a file: the same values, native
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if kind == "f":
        if arr.dtype.itemsize < 4:
            return arr.astype(np.float32)
        if arr.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name} has unsupported dtype {arr.dtype}; fastnn works in float32 and float64")
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} has unsupported dtype {arr.dtype}; expected a real numeric array "
        "(float32, float64, integer or bool)"
    )


def cast_to_fit(value, dtype, name):
    """value cast to the float dtype of the array it will be stored in, refusing what would not fit.

    TypeError when value does not hold floating-point numbers (integers, bools and complex
    numbers included); ValueError when a finite value lies beyond dtype's range and would
    become inf. inf and NaN already in value are kept.
    """
    value = np.asarray(value)
    dtype = np.dtype(dtype)
    if value.dtype.kind != "f":
        raise TypeError(f"{name} must hold floating-point numbers, received an array of dtype {value.dtype}")
    if value.dtype.itemsize <= dtype.itemsize:
        return value.astype(dtype, copy=False)  # a float type no wider than dtype always fits
    with np.errstate(over="ignore", invalid="ignore"):
        cast = value.astype(dtype)
    overflow = np.isinf(cast) & ~np.isinf(value)
    if overflow.any():
        where = tuple(int(i) for i in np.argwhere(overflow)[0])
        count = int(overflow.sum())
        raise ValueError(
            f"{name} holds {float(value[where]):g}{f' at index {where}' if where else ''}, beyond the range "
            f"of {dtype} (largest finite value {float(np.finfo(dtype).max):g}): it would become inf "
            f"({count} value{'s' if count > 1 else ''} out of range)"
        )
    return cast


def as_float_arrays(**named):
    """Converts every named argument with as_float_array and promotes them to one dtype."""
    arrays = {name: as_float_array(x, name) for name, x in named.items()}
    dtype = np.result_type(*arrays.values())
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays.values()]


def check_out(out, shape, dtype, name="out"):
    """Validates a user-supplied output array, or allocates one when out is None."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}, expected {dtype}")
    check_writable(out, name)
    return out


def check_writable(a, name):
    """ValueError naming the argument when the array a may not be written."""
    if not a.flags.writeable:
        raise ValueError(f"{name} is read-only")


def check_distinct(owner, **arrays):
    """ValueError when two of the given arrays share memory: each is read or written on its own."""
    named = [(name, a) for name, a in arrays.items() if isinstance(a, np.ndarray) and a.size]
    for i, (name_a, a) in enumerate(named):
        for name_b, b in named[i + 1:]:
            if np.may_share_memory(a, b):
                raise ValueError(f"{owner}: {name_a} and {name_b} share memory (the same array, or overlapping "
                                 f"views); every buffer of an optimizer step needs its own storage")
