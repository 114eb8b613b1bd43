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
    recurrent_masks (masks, n, u), a constant, is recurrent dropout: gate block g of hz is
    (h_prev * recurrent_masks[g]) U_g, or h_prev * recurrent_masks[0] for every gate when there
    is one mask (Keras's implementations 1 and 2); each step then makes one GEMM per mask.
    """

    replayable = True

    def forward(self, xw, kernel, h0, *rest, cell, activation, recurrent_activation, mask=None,
                go_backwards=False, return_sequences=False, return_state=False, state_out=None,
                recurrent_masks=None):
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
        self.rmasks = recurrent_masks
        if recurrent_masks is not None:
            self.rmasks = recurrent_masks if recurrent_masks.dtype == xw.dtype else recurrent_masks.astype(xw.dtype)
            self.blocks = self._blocks(len(self.rmasks), width)
            self.dropped = np.empty((len(self.rmasks), steps, n, u), xw.dtype)  # h_prev * mask, per mask and step
        self.bias = bias
        for s, t in enumerate(self.order):
            self._recurrent_product(s, cache[s][:, self.h_cols], hz)
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

    @staticmethod
    def _blocks(masks, width):
        """The column blocks of hz each mask's GEMM writes."""
        size = width // masks
        return [slice(g * size, (g + 1) * size) for g in range(masks)]

    def _recurrent_product(self, s, h_prev, hz):
        """hz = h_prev U (+ bias), or per mask (h_prev * mask) U_block (+ bias_block)."""
        if self.rmasks is None:
            kernels.matmul(h_prev, self.kernel, out=hz, bias=self.bias)
            return
        dropped = self.dropped[:, s]
        kernels.multiply(h_prev, self.rmasks, out=dropped)
        for g, block in enumerate(self.blocks):
            kernels.matmul(dropped[g], self.kernel[:, block], out=hz[:, block],
                           bias=None if self.bias is None else self.bias[block])

    def _state_gradient(self, dhz_s, dh, scratch):
        """dh = the gradient hz's gradient dhz_s sends to h_prev (through the masks when there are any)."""
        if self.rmasks is None:
            kernels.matmul(dhz_s, self.kernel, out=dh, trans_b=True)
            return
        for g, block in enumerate(self.blocks):
            kernels.matmul(dhz_s[:, block], self.kernel[:, block], out=scratch[g], trans_b=True)
        kernels.multiply(scratch, self.rmasks, out=scratch)
        kernels.sum_to_shape(scratch, (1,) + dh.shape, out=dh.reshape((1,) + dh.shape))

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
        scratch = None if self.rmasks is None else np.empty((len(self.rmasks), n, u), dtype)
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
                self._state_gradient(dhz[s], dh, scratch)
        dxw = np.empty((n, steps, width), dtype)
        processed = dxw[:, ::-1] if self.go_backwards else dxw
        kernels.copy(dz.transpose(1, 0, 2), out=processed)
        grads = [dxw, None, None]
        if self.needs_grad[1]:
            grads[1] = self._kernel_gradient(dhz.reshape(steps * n, width))
        if want_h0:
            grads[2] = kernels.add(dh, carry[:, :u])
        if cell == "lstm":
            grads.append(kernels.copy(carry[:, u:]) if self.needs_grad[3] else None)
        if self.has_bias:
            grads.append(kernels.sum_to_shape(dhz.reshape(steps * n, width), (width,), self.grad_target(len(grads)))
                         if self.needs_grad[len(grads)] else None)
        return tuple(grads)

    def _kernel_gradient(self, dhz):
        """U's gradient, sum over steps of h_prev^T dhz (per mask block with recurrent dropout)."""
        steps, n = self.steps, self.cache.shape[1]
        if self.rmasks is None:
            h_prev = self.cache[:steps].reshape(steps * n, self.cache.shape[2])[:, self.h_cols]
            return kernels.matmul(h_prev, dhz, self.grad_target(1), trans_a=True)
        out = self.grad_target(1)
        if out is None:
            out = np.empty(self.kernel.shape, dhz.dtype)
        for g, block in enumerate(self.blocks):
            kernels.matmul(self.dropped[g].reshape(steps * n, self.u), dhz[:, block], out[:, block], trans_a=True)
        return out
