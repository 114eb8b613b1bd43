"""GRU: the gated recurrent unit (gates z, r, h as Keras orders them), and its cell."""
from ... import activations, ops
from .cell import RNNCell
from .rnn import RNN, cell_options


def _block(t, axis, g, u):
    return ops.slice_axis(t, axis, g * u, (g + 1) * u)


class GRUCell(RNNCell):
    """One GRU step: z, r = recurrent_activation(x W + h U + b), hh = activation(x W_h + r (h U_h +
    b_rh)) with reset_after=True (Keras 3's default; bias (2, 3 units): input and recurrent rows),
    or activation(x W_h + (r h) U_h + b_h) with reset_after=False (bias (3 units,)); then
    h = z h_prev + (1 - z) hh."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, reset_after=True, seed=None, implementation=2, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout, seed,
                         **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.mask_count = 3 if self.implementation == 1 else None

    def build(self, input_shape):
        self.add_kernels(input_shape[-1], bias_shape=(2, 3 * self.units) if self.reset_after else None)

    def _biases(self):
        if self.bias is None:
            return None, None
        if not self.reset_after:
            return self.bias, None
        u3 = 3 * self.units
        return (ops.slice_axis(self.bias, 0, 0, 1).reshape(u3), ops.slice_axis(self.bias, 0, 1, 2).reshape(u3))

    def call(self, inputs, states, training=False):
        h_prev = states[0]
        u = self.units
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        input_bias, recurrent_bias = self._biases()
        masked = lambda t, masks, g: t if masks is None else t * (masks[g] if self.implementation == 1 else masks)
        x = [ops.dense(masked(inputs, dp_mask, g), _block(self.kernel, 1, g, u),
                       None if input_bias is None else _block(input_bias, 0, g, u)) for g in range(3)]
        h = [masked(h_prev, rec_mask, g) for g in range(3)]
        recurrent = [h[g] @ _block(self.recurrent_kernel, 1, g, u) for g in range(2)]
        if recurrent_bias is not None:
            recurrent = [r + _block(recurrent_bias, 0, g, u) for g, r in enumerate(recurrent)]
        z = self.recurrent_activation(x[0] + recurrent[0])
        r = self.recurrent_activation(x[1] + recurrent[1])
        if self.reset_after:
            recurrent_h = h[2] @ _block(self.recurrent_kernel, 1, 2, u)
            if recurrent_bias is not None:
                recurrent_h = recurrent_h + _block(recurrent_bias, 0, 2, u)
            recurrent_h = r * recurrent_h
        else:
            recurrent_h = (r * h[2]) @ _block(self.recurrent_kernel, 1, 2, u)
        hh = self.activation(x[2] + recurrent_h)
        new = z * h_prev + (1 - z) * hh
        return new, [new]

    def fused_cell(self, training):
        activation = self.fused_activation(self.activation)
        recurrent = self.fused_activation(self.recurrent_activation)
        if activation is None or recurrent is None or not self.reset_after:
            return None
        return "gru", activation, recurrent

    def fused_biases(self):
        return self._biases()

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      reset_after=self.reset_after)
        return config


class GRU(RNN):
    """Keras's GRU layer: a GRUCell looped over the steps (see RNN for the options). Weights
    kernel (features, 3 units), recurrent_kernel (units, 3 units), bias (2, 3 units) with
    reset_after=True, else (3 units,)."""

    cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", implementation=2, **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer, dropout=dropout,
                       recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed,
                       implementation=implementation, name="gru_cell", trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, use_cudnn=use_cudnn, **kwargs)

    def get_config(self):
        return cell_options(self, super().get_config())
