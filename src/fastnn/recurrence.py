"""Recurrence: the time loop of a SimpleRNN, LSTM or GRU layer as one primitive on kernel calls.

The layer computes the input projection of every step at once, xw = x W + b (one GEMM, an
ordinary op). Recurrence then runs the steps in order (reversed with go_backwards): each is
one GEMM, hz = h_prev U (+ the GRU's recurrent bias), and one fused cell kernel
(fastnn.kernels.lstm_cell, ...) that applies the gates and writes the step's record. The
backward runs the steps in reverse, each a fused cell-gradient kernel and one GEMM for the
gradient that flows into the previous state, and then one GEMM for U's gradient over all steps.
Every computation is a kernel call, so a training step that contains it replays as a whole.

Records are kept time-major, cache[s] (n, width) for step s, cache[0] holding the initial
state, so that the rows of h_prev over all steps form one strided matrix for U's gradient.
"""
import numpy as np

from . import _C, kernels
from ._op_checks import CELL_LAYOUTS
from .tensor import Function

# where the state lives in a record, in blocks of units: (h, c or None)
STATE_BLOCKS = {"simple": (0, None), "lstm": (5, 4), "gru": (4, None)}
CELL_KERNELS = {"simple": (kernels.simple_rnn_cell, kernels.simple_rnn_cell_grad),
                "lstm": (kernels.lstm_cell, kernels.lstm_cell_grad),
                "gru": (kernels.gru_cell, kernels.gru_cell_grad)}


def _zeros(shape, dtype):
    return kernels.full_like(np.empty(shape, dtype), 0.0)


class Recurrence(Function):
    """Inputs (xw, recurrent_kernel, h0[, c0][, recurrent_bias]): xw (n, steps, gates u) the input
    projections, recurrent_kernel (u, gates u), the initial state(s) (n, u), the GRU's recurrent
    bias (gates u,). Output: the h of every step (n, steps, u) in the order processed, or the last
    one (n, u); with return_state, the output with the final state(s) appended along axis 1
    (n, steps or 1, u) -> (n, steps or 1 + states, u), which the layer slices apart.

    mask (n, steps) is a constant: a step whose mask is 0 keeps the previous state. state_out,
    when given, is a list of arrays (n, u) that receive the final state(s) (a stateful layer's).
    """

    replayable = True

    def forward(self, xw, kernel, h0, *rest, cell, activation, recurrent_activation, mask=None,
                go_backwards=False, return_sequences=False, return_state=False, state_out=None):
        n, steps, width = xw.shape
        u = kernel.shape[0]
        self.cell, self.u, self.steps = cell, u, steps
        self.options = {"activation": activation}
        if cell != "simple":
            self.options["recurrent_activation"] = recurrent_activation
        self.order = list(range(steps - 1, -1, -1)) if go_backwards else list(range(steps))
        self.go_backwards, self.return_sequences, self.return_state = go_backwards, return_sequences, return_state
        c0 = rest[0] if cell == "lstm" else None
        bias = rest[-1] if cell == "gru" and rest else None
        self.kernel, self.has_bias = kernel, bias is not None
        self.mask = None if mask is None else (mask if mask.dtype == xw.dtype else mask.astype(xw.dtype))
        if mask is not None and self.mask is not mask:
            _C._unreplayable("a mask was converted to the step's dtype")
        record = CELL_LAYOUTS[cell][1] * u
        c_at = STATE_BLOCKS[cell][1]
        self.h_cols = slice(STATE_BLOCKS[cell][0] * u, STATE_BLOCKS[cell][0] * u + u)
        self.c_cols = None if c_at is None else slice(c_at * u, c_at * u + u)
        cache = np.empty((steps + 1, n, record), xw.dtype)
        kernels.full_like(cache[0], 0.0, out=cache[0])
        kernels.copy(h0, out=cache[0][:, self.h_cols])
        if c0 is not None:
            kernels.copy(c0, out=cache[0][:, self.c_cols])
        step, _ = CELL_KERNELS[cell]
        hz = np.empty((n, width), xw.dtype)
        for s, t in enumerate(self.order):
            kernels.matmul(cache[s][:, self.h_cols], kernel, out=hz, bias=bias)
            step(xw[:, t, :], hz, cache[s], None if self.mask is None else self.mask[:, t], out=cache[s + 1],
                 **self.options)
        self.cache = cache
        final = [cache[steps][:, self.h_cols]] + ([] if c0 is None else [cache[steps][:, self.c_cols]])
        if state_out is not None:
            for array, value in zip(state_out, final):
                kernels.copy(value, out=array)
        if return_sequences:
            output = np.empty((n, steps + (len(final) if return_state else 0), u), xw.dtype)
            kernels.copy(cache[1:, :, self.h_cols].transpose(1, 0, 2), out=output[:, :steps])
        else:
            output = np.empty((n, 1 + (len(final) if return_state else 0), u), xw.dtype)
            kernels.copy(final[0], out=output[:, 0])
        if return_state:
            first = steps if return_sequences else 1
            for i, value in enumerate(final):
                kernels.copy(value, out=output[:, first + i])
            return output
        return output if return_sequences else output.reshape(n, u)

    def backward(self, grad):
        cell, u, steps = self.cell, self.u, self.steps
        n = self.cache.shape[1]
        width = self.kernel.shape[1]
        dtype = self.cache.dtype
        first = steps if self.return_sequences else 1
        last = grad if grad.ndim == 2 else grad[:, 0]  # the gradient of the last h, without return_sequences
        carried = CELL_LAYOUTS[cell][2]
        carry = _zeros((n, carried * u), dtype)
        if self.return_state:
            kernels.copy(grad[:, first], out=carry[:, :u])
            if cell == "lstm":
                kernels.copy(grad[:, first + 1], out=carry[:, u:])
        _, step_grad = CELL_KERNELS[cell]
        dz = np.empty((steps, n, width), dtype)
        dhz = np.empty((steps, n, width), dtype) if cell == "gru" else dz
        dh = np.empty((n, u), dtype)
        want_h0 = self.needs_grad[2]
        for s in range(steps - 1, -1, -1):
            t = self.order[s]
            if self.return_sequences:
                dy = grad[:, s]
            else:
                dy = last if s == steps - 1 else None
            args = (self.cache[s + 1],) if cell == "simple" else (self.cache[s + 1], self.cache[s])
            mask = None if self.mask is None else self.mask[:, t]
            if cell == "gru":
                step_grad(*args, carry, dh if s < steps - 1 else None, dy, mask, out=dz[s], recurrent_out=dhz[s],
                          **self.options)
            else:
                step_grad(*args, carry, dh if s < steps - 1 else None, dy, mask, out=dz[s], **self.options)
            if s > 0 or want_h0:
                kernels.matmul(dhz[s], self.kernel, out=dh, trans_b=True)
        dxw = np.empty((n, steps, width), dtype)
        processed = dxw[:, ::-1] if self.go_backwards else dxw
        kernels.copy(dz.transpose(1, 0, 2), out=processed)
        grads = [dxw, None, None]
        if self.needs_grad[1]:
            h_prev = self.cache[:steps].reshape(steps * n, -1)[:, self.h_cols]
            grads[1] = kernels.matmul(h_prev, dhz.reshape(steps * n, width), self.grad_target(1), trans_a=True)
        if want_h0:
            grads[2] = kernels.add(dh, carry[:, :u])
        if cell == "lstm":
            grads.append(kernels.copy(carry[:, u:]) if self.needs_grad[3] else None)
        if self.has_bias:
            grads.append(kernels.sum_to_shape(dhz.reshape(steps * n, width), (width,), self.grad_target(len(grads)))
                         if self.needs_grad[len(grads)] else None)
        return tuple(grads)
