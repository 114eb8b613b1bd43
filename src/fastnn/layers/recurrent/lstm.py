"""LSTM: the long short-term memory layer (gates i, f, c, o as Keras orders them), and its cell."""
import numpy as np

from ... import activations, initializers, ops
from .cell import RNNCell
from .rnn import RNN, cell_options


class LSTMCell(RNNCell):
    """One LSTM step: i, f, o = recurrent_activation(...), g = activation(...) of x W + h U + b
    (four blocks of units each), c = f c_prev + i g, h = o activation(c). The states are [h, c].
    unit_forget_bias adds 1 to the forget gate's initial bias, as Keras does."""

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, implementation=2, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout, seed,
                         **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.mask_count = 4 if self.implementation == 1 else None

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        bias_initializer = None
        if self.unit_forget_bias:
            u, base = self.units, self.bias_initializer

            def bias_initializer(shape, dtype="float32"):
                return np.concatenate([np.asarray(base((u,), dtype)), np.ones(u, dtype),
                                       np.asarray(base((2 * u,), dtype))]).astype(dtype)
        self.add_kernels(input_shape[-1], bias_initializer=bias_initializer)

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        u = self.units
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        if self.implementation == 1:
            z = []
            for g in range(4):
                x_g = inputs if dp_mask is None else inputs * dp_mask[g]
                h_g = h_prev if rec_mask is None else h_prev * rec_mask[g]
                bias = None if self.bias is None else ops.slice_axis(self.bias, 0, g * u, (g + 1) * u)
                z.append(ops.dense(x_g, ops.slice_axis(self.kernel, 1, g * u, (g + 1) * u), bias)
                         + h_g @ ops.slice_axis(self.recurrent_kernel, 1, g * u, (g + 1) * u))
        else:
            x = inputs if dp_mask is None else inputs * dp_mask
            total = ops.dense(x, self.kernel, self.bias) + h_prev @ self.recurrent_kernel
            z = [ops.slice_axis(total, 1, g * u, (g + 1) * u) for g in range(4)]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def fused_cell(self, training):
        activation = self.fused_activation(self.activation)
        recurrent = self.fused_activation(self.recurrent_activation)
        if activation is None or recurrent is None:
            return None
        return "lstm", activation, recurrent

    def fused_biases(self):
        return self.bias, None

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class LSTM(RNN):
    """Keras's LSTM layer: an LSTMCell looped over the steps (see RNN for the options). Weights
    kernel (features, 4 units), recurrent_kernel (units, 4 units), bias (4 units,)."""

    cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", implementation=2, **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, dropout=dropout, recurrent_dropout=recurrent_dropout,
                        seed=seed, implementation=implementation, name="lstm_cell",
                        trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, use_cudnn=use_cudnn, **kwargs)

    def get_config(self):
        return cell_options(self, super().get_config())
