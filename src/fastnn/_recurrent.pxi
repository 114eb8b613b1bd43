# One time step of SimpleRNN, LSTM and GRU cells and its backward (csrc/recurrent.c). The step's
# matrix products come in as xz = x W + b and hz = h_prev U (+ b_r); a step writes a record per
# row (SimpleRNN [h], LSTM [i f g o c h], GRU [z r hh hn h]) that the next step and the backward read.
from fastnn._op_checks import CELL_LAYOUTS, cell_activation, cell_grad_sizes, cell_step_sizes

cdef extern from "fastnn.h":
    enum:
        FASTNN_CELL_SIMPLE
        FASTNN_CELL_LSTM
        FASTNN_CELL_GRU

_CELL_CODES = {"simple": FASTNN_CELL_SIMPLE, "lstm": FASTNN_CELL_LSTM, "gru": FASTNN_CELL_GRU}


cdef cnp.ndarray _unit_rows(cnp.ndarray a):
    """a (2-D) with unit-stride rows a whole number of elements apart, copied when it is not."""
    a = _addressable(a)
    if a.shape[1] > 1 and a.strides[1] != a.itemsize:
        _unreplayable("a cell operand was copied to make its rows contiguous")
        a = np.ascontiguousarray(a)
    return a


cdef object _cell_mask(object mask, object dtype, str owner):
    """mask as a 1-D addressable array of the step's dtype, or None."""
    if mask is None:
        return None
    mask = as_float_array(mask, "mask")
    if mask.dtype != dtype:
        _unreplayable("a mask was converted to the step's dtype")
        mask = mask.astype(dtype)
    return _addressable(mask)


cdef inline fnn_int _mask_stride(object mask):
    return 0 if mask is None else (<cnp.ndarray> mask).strides[0] // (<cnp.ndarray> mask).itemsize


cdef inline fnn_int _rs(object a):
    return 0 if a is None else _row_stride(<cnp.ndarray> a)


cdef inline void *_maybe(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray> a)


def _cell_step(str cell, str owner, xz, hz, previous, mask, activation, recurrent_activation, out):
    xz, hz, previous = as_float_arrays(xz=xz, hz=hz, previous=previous)
    if mask is not None:
        mask = np.asarray(mask)
    n, u = cell_step_sizes(owner, cell, xz, hz, previous, mask)
    cdef int act = cell_activation(owner, "activation", activation)
    cdef int ract = cell_activation(owner, "recurrent_activation", recurrent_activation)
    blocks = CELL_LAYOUTS[cell][1]
    mask = _cell_mask(mask, xz.dtype, owner)
    out, work = _target(out, (n, blocks * u), xz.dtype, (xz, hz, previous, mask))
    if work.size == 0:
        return out
    xz, hz, previous = _unit_rows(xz), _unit_rows(hz), _unit_rows(previous)
    cdef KernelCall c
    c.kernel = K_RNN_CELL
    c.f32 = _is_f32(work)
    c.op = _CELL_CODES[cell]
    c.shape[0] = act
    c.shape[1] = ract
    c.i[0] = n
    c.i[1] = u
    c.i[2] = _row_stride(xz)
    c.i[3] = _row_stride(hz)
    c.i[4] = _row_stride(previous)
    c.i[5] = _mask_stride(mask)
    c.i[6] = _row_stride(work)
    c.p[0] = _data(xz)
    c.p[1] = _data(hz)
    c.p[2] = _data(previous)
    c.p[3] = _maybe(mask)
    c.p[4] = _data(work)
    _run(&c, (xz, hz, previous, mask), (work,))
    _copy_back(work, out)
    return out


def _cell_grad(str cell, str owner, record, previous, carry, dh_recurrent, dy, mask, activation,
               recurrent_activation, out, recurrent_out):
    named = {"record": record, "carry": carry}
    if previous is not None:
        named["previous"] = previous
    for name, value in (("dh_recurrent", dh_recurrent), ("dy", dy)):
        if value is not None:
            named[name] = value
    arrays = dict(zip(named, as_float_arrays(**named)))
    record = arrays["record"]
    previous, dh_recurrent, dy = arrays.get("previous"), arrays.get("dh_recurrent"), arrays.get("dy")
    if not isinstance(carry, np.ndarray) or arrays["carry"] is not carry:
        raise TypeError(f"{owner}: carry must be a float ndarray of the record's dtype (it is updated in place)")
    check_writable(carry, "carry")
    if mask is not None:
        mask = np.asarray(mask)
    n, u = cell_grad_sizes(owner, cell, record, previous, carry, dh_recurrent, dy, mask)
    cdef int act = cell_activation(owner, "activation", activation)
    cdef int ract = cell_activation(owner, "recurrent_activation", recurrent_activation)
    gates = CELL_LAYOUTS[cell][0]
    mask = _cell_mask(mask, record.dtype, owner)
    inputs = (record, previous, dh_recurrent, dy, carry, mask)
    out, work = _target(out, (n, gates * u), record.dtype, inputs)
    recurrent_work = None
    if cell == "gru":
        recurrent_out, recurrent_work = _target(recurrent_out, (n, gates * u), record.dtype, inputs + (work,))
    if n == 0 or u == 0:
        return out if cell != "gru" else (out, recurrent_out)
    record = _unit_rows(record)
    if previous is not None:
        previous = _unit_rows(previous)
    if dh_recurrent is not None:
        dh_recurrent = _unit_rows(dh_recurrent)
    if dy is not None:
        dy = _unit_rows(dy)
    carried = _unit_rows(carry)
    if carried is not carry or _overlaps_any(carried, (record, previous, dh_recurrent, dy, mask)):
        _unreplayable("a cell's carried gradient was updated through a temporary")
        carried = np.array(carry, order="C")
    cdef KernelCall c
    c.kernel = K_RNN_CELL_GRAD
    c.f32 = _is_f32(work)
    c.op = _CELL_CODES[cell]
    c.shape[0] = act
    c.shape[1] = ract
    c.i[0] = n
    c.i[1] = u
    c.i[2] = _row_stride(record)
    c.i[3] = _rs(previous)
    c.i[4] = _rs(dh_recurrent)
    c.i[5] = _rs(dy)
    c.i[6] = _row_stride(carried)
    c.i[7] = _mask_stride(mask)
    c.i[8] = _row_stride(work)
    c.i[9] = _rs(recurrent_work)
    c.p[0] = _data(record)
    c.p[1] = _maybe(previous)
    c.p[2] = _maybe(dh_recurrent)
    c.p[3] = _maybe(dy)
    c.p[4] = _data(carried)
    c.p[5] = _maybe(mask)
    c.p[6] = _data(work)
    c.p[7] = _maybe(recurrent_work)
    _run(&c, (record, previous, dh_recurrent, dy, carried, mask), (carried, work, recurrent_work))
    if carried is not carry:
        carry[...] = carried
    _copy_back(work, out)
    if cell == "gru":
        _copy_back(recurrent_work, recurrent_out)
        return out, recurrent_out
    return out


def simple_rnn_cell(xz, hz, previous, mask=None, *, activation="tanh", out=None):
    """One SimpleRNN step: h = act(xz + hz) per row (n, u), or the previous h where mask is 0."""
    return _cell_step("simple", "simple_rnn_cell", xz, hz, previous, mask, activation, "sigmoid", out)


def simple_rnn_cell_grad(record, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh", out=None):
    """The step's backward: dz = (carry + dh_recurrent + dy) * act'(h) for the record h of the step;
    carry is then 0 (the state gradient passed through where mask is 0, dz 0 there)."""
    return _cell_grad("simple", "simple_rnn_cell_grad", record, None, carry, dh_recurrent, dy, mask, activation,
                      "sigmoid", out, None)


def lstm_cell(xz, hz, previous, mask=None, *, activation="tanh", recurrent_activation="sigmoid", out=None):
    """One LSTM step (gates i, f, c, o): the record [i f g o c h] (n, 6u) of c = f c_prev + i g,
    h = o act(c), from the previous record's c and h; where mask is 0, the previous c and h."""
    return _cell_step("lstm", "lstm_cell", xz, hz, previous, mask, activation, recurrent_activation, out)


def lstm_cell_grad(record, previous, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh",
                   recurrent_activation="sigmoid", out=None):
    """The step's backward: dz (n, 4u), the gradient of the gate pre-activations, from
    Dh = carry[:, :u] + dh_recurrent + dy and Dc = carry[:, u:]; carry becomes [0, dc_prev]
    (or [Dh, Dc] where mask is 0)."""
    return _cell_grad("lstm", "lstm_cell_grad", record, previous, carry, dh_recurrent, dy, mask, activation,
                      recurrent_activation, out, None)


def gru_cell(xz, hz, previous, mask=None, *, activation="tanh", recurrent_activation="sigmoid", out=None):
    """One GRU step (gates z, r, h; the recurrent product before the reset gate): the record
    [z r hh hn h] (n, 5u) of hh = act(xz_h + r hn), h = z h_prev + (1 - z) hh, hn = hz_h."""
    return _cell_step("gru", "gru_cell", xz, hz, previous, mask, activation, recurrent_activation, out)


def gru_cell_grad(record, previous, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh",
                  recurrent_activation="sigmoid", out=None, recurrent_out=None):
    """The step's backward: (dxz, dhz), the gradients of xz and hz (n, 3u; they differ in the h
    block by the factor r), from Dh = carry + dh_recurrent + dy; carry becomes Dh z (Dh where
    mask is 0)."""
    return _cell_grad("gru", "gru_cell_grad", record, previous, carry, dh_recurrent, dy, mask, activation,
                      recurrent_activation, out, recurrent_out)
