"""Argument checks of single kernels, shared by the compiled wrappers and their oracles, so that
both refuse the same input with the same message."""
import numpy as np

from ._arrays import as_float_array


def broadcast_shape(owner, a, b):
    """The shape a and b broadcast to; ValueError naming both shapes when they do not."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{owner}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


def check_same_shape(owner, dy, other, other_name):
    """ValueError unless a gradient dy has the shape of the saved array it goes with."""
    if dy.shape != other.shape:
        raise ValueError(f"{owner}: dy has shape {dy.shape} but {other_name} has shape {other.shape}")


def xent_target(owner, logits, target):
    """(target rows as logits' dtype, None) or (None, integer class indices), for 2-D logits (n, k):
    a 1-D target holds one class index in [0, k) per row, any other one probabilities per class."""
    target = np.asarray(target)
    n, k = logits.shape
    if target.ndim == 1:
        if target.dtype.kind not in "iu":
            raise TypeError(f"{owner}: 1-D target holds class indices and must be integer, got {target.dtype}")
        if target.shape != (n,):
            raise ValueError(f"{owner}: target has shape {target.shape}, expected ({n},) for logits of shape "
                             f"{logits.shape}")
        if n and (target.min() < 0 or target.max() >= k):
            raise ValueError(f"{owner}: class indices must be in [0, {k}), got values in "
                             f"[{target.min()}, {target.max()}]")
        return None, target
    target = as_float_array(target, "target").astype(logits.dtype, copy=False)
    if target.shape != logits.shape:
        raise ValueError(f"{owner}: target has shape {target.shape} but logits have shape {logits.shape}")
    return target, None


def gather_args(x, indices):
    """(x, indices, lowest index, highest index) as arrays, checked: x real with a row axis,
    indices a 1-D integer array of values in [-n, n) for n rows."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"gather_rows: x has unsupported dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("gather_rows: x must have at least 1 dimension, got a 0-d array")
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.dtype.kind not in "iu":
        raise TypeError(f"gather_rows: indices must be a 1-D integer array, got {indices.dtype} of shape "
                        f"{indices.shape}")
    n = x.shape[0]
    lowest, highest = (int(indices.min()), int(indices.max())) if indices.size else (0, 0)
    if indices.size and (lowest < -n or highest >= n):
        raise IndexError(f"gather_rows: indices must be in [-{n}, {n}), got values in [{lowest}, {highest}]")
    return x, indices, lowest, highest


def check_dropout_state(state, owner="dropout"):
    """TypeError unless state is a random state (dropout's, random_normal's): a writable
    contiguous uint64 array of 2."""
    if (not isinstance(state, np.ndarray) or state.dtype != np.uint64 or state.shape != (2,)
            or not state.flags.c_contiguous or not state.flags.writeable):
        raise TypeError(f"{owner}: state must be a writable contiguous uint64 array of 2 (seed, counter)")


ACTIVATIONS = (None, "relu")


def check_activation(owner, activation):
    """ValueError unless activation is one the matmul and conv2d kernels apply."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"{owner}: unknown activation {activation!r}; known: {ACTIVATIONS}")


def check_shape(owner, name, a, expected):
    """ValueError naming the argument unless a has the shape expected."""
    expected = tuple(expected)
    if a.shape != expected:
        raise ValueError(f"{owner}: {name} has shape {a.shape}, expected {expected}")


def matmul_shape(a, b, trans_a, trans_b):
    """(m, n), the shape of op(a) . op(b); ValueError unless a and b are 2-D and their inner sizes agree."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul takes 2-D arrays, got shapes {a.shape} and {b.shape}")
    m, k = a.shape[::-1] if trans_a else a.shape
    kb, n = b.shape[::-1] if trans_b else b.shape
    if k != kb:
        raise ValueError(
            f"matmul: shapes {a.shape}{' (transposed)' if trans_a else ''} and "
            f"{b.shape}{' (transposed)' if trans_b else ''} are not aligned: "
            f"{k} (dim 1 of op(a)) != {kb} (dim 0 of op(b))"
        )
    return m, n


def summed_axes(x, shape):
    """(shape as a tuple, the axes of x that summing x down to shape removes or shrinks to 1);
    ValueError unless shape broadcasts to x's shape."""
    shape = tuple(shape)
    try:
        if np.broadcast_shapes(shape, x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"sum_to_shape: shape {shape} does not broadcast to {x.shape}") from None
    lead = x.ndim - len(shape)
    return shape, tuple(d for d in range(x.ndim) if d < lead or (shape[d - lead] == 1 and x.shape[d] != 1))


def dropout_rate(rate):
    """rate as a float in [0, 1); ValueError otherwise."""
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1). Received: rate={rate!r}")
    return rate


# -- rows of a table picked by index (take_rows, scatter_add_rows) --------------------------------
def index_array(owner, indices):
    """indices as an ndarray of a real dtype (integers or integer-valued floats); TypeError otherwise."""
    indices = np.asarray(indices)
    if indices.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: indices must hold integers (or integer-valued floats), got dtype {indices.dtype}")
    return indices


def index_text(value):
    """An index value as a message shows it: '7' for 7.0, else the float ('2.5', 'nan')."""
    value = float(value)
    return str(int(value)) if np.isfinite(value) and value == int(value) else repr(value)


def bad_index_error(owner, shape, position, value, rows):
    """The IndexError for the first index (at flat `position` of an index array of `shape`) that
    is not an integer in [0, rows)."""
    where = tuple(int(i) for i in np.unravel_index(int(position), shape)) if len(shape) else ()
    return IndexError(f"{owner}: index {index_text(value)} at position {where} is not an integer in [0, {rows})")


def first_bad_index(indices, rows):
    """(flat position, value) of the first index that is not an integer in [0, rows), or None."""
    flat = indices.reshape(-1)
    values = flat.astype(np.float64) if flat.dtype.kind in "fb" else flat
    with np.errstate(invalid="ignore"):
        if flat.dtype.kind == "f":
            bad = ~((values >= 0) & (values < rows)) | (values != np.floor(values))
        else:
            bad = (values < 0) | (values >= rows)
    positions = np.flatnonzero(bad)
    return None if positions.size == 0 else (int(positions[0]), flat[positions[0]])


def take_rows_shape(owner, table, indices):
    """The output shape of take_rows, indices.shape + (dim,); ValueError unless table is 2-D."""
    if table.ndim != 2:
        raise ValueError(f"{owner}: table must be 2-D (rows, dim), got shape {table.shape}")
    return indices.shape + (table.shape[1],)


def scatter_rows_shape(owner, grad, indices, rows):
    """(rows, dim) for scatter_add_rows; ValueError unless grad is indices.shape + (dim,) and rows >= 0."""
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 0:
        raise ValueError(f"{owner}: rows must be a non-negative integer, got {rows!r}")
    if grad.ndim != indices.ndim + 1 or grad.shape[:-1] != indices.shape:
        raise ValueError(f"{owner}: grad has shape {grad.shape}, expected indices' shape {indices.shape} "
                         "plus one axis of row values")
    return int(rows), grad.shape[-1]


# -- recurrent cells (simple_rnn_cell, lstm_cell, gru_cell and their gradients) -------------------
# cell: (gates in xz, blocks of u in a record, blocks of u in the carried state gradient)
CELL_LAYOUTS = {"simple": (1, 1, 1), "lstm": (4, 6, 2), "gru": (3, 5, 1)}
CELL_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "hard_sigmoid")


def cell_activation(owner, name, value):
    """The index of a cell activation in CELL_ACTIVATIONS; ValueError for another one."""
    if value not in CELL_ACTIVATIONS:
        raise ValueError(f"{owner}: {name} must be one of {CELL_ACTIVATIONS}, got {value!r}")
    return CELL_ACTIVATIONS.index(value)


def _check_cell_array(owner, name, a, shape):
    if a.ndim != 2 or a.shape != shape:
        raise ValueError(f"{owner}: {name} has shape {a.shape}, expected {shape}")


def _check_mask(owner, mask, n):
    if mask is not None and (mask.ndim != 1 or mask.shape[0] != n):
        raise ValueError(f"{owner}: mask has shape {mask.shape}, expected ({n},)")


def cell_step_sizes(owner, cell, xz, hz, previous, mask):
    """(n, u) of a cell step; ValueError unless xz is (n, gates u), hz like xz, previous a record
    (n, blocks u) and mask (n,) or None."""
    gates, blocks, _ = CELL_LAYOUTS[cell]
    if xz.ndim != 2 or xz.shape[1] % gates:
        raise ValueError(f"{owner}: xz must be 2-D (n, {gates} * units), got shape {xz.shape}")
    n, u = xz.shape[0], xz.shape[1] // gates
    _check_cell_array(owner, "hz", hz, xz.shape)
    _check_cell_array(owner, "previous", previous, (n, blocks * u))
    _check_mask(owner, mask, n)
    return n, u


def cell_grad_sizes(owner, cell, record, previous, carry, dh, dy, mask):
    """(n, u) of a cell step's backward; ValueError unless record is (n, blocks u), previous
    (except for the simple cell) too, carry (n, carry blocks u), dh and dy (n, u) or None."""
    _, blocks, carried = CELL_LAYOUTS[cell]
    if record.ndim != 2 or record.shape[1] % blocks:
        raise ValueError(f"{owner}: record must be 2-D (n, {blocks} * units), got shape {record.shape}")
    n, u = record.shape[0], record.shape[1] // blocks
    if previous is not None:
        _check_cell_array(owner, "previous", previous, record.shape)
    _check_cell_array(owner, "carry", carry, (n, carried * u))
    for name, a in (("dh_recurrent", dh), ("dy", dy)):
        if a is not None:
            _check_cell_array(owner, name, a, (n, u))
    _check_mask(owner, mask, n)
    return n, u
