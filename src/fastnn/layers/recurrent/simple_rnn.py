"""SimpleRNN: h_t = activation(x_t W + b + h_(t-1) U), and its cell."""
from ... import ops
from .cell import RNNCell
from .rnn import RNN, cell_options


class SimpleRNNCell(RNNCell):
    """One step of a fully connected recurrence: weights kernel (features, units), recurrent_kernel
    (units, units) and bias (units,)."""

    def build(self, input_shape):
        self.add_kernels(input_shape[-1])

    def call(self, inputs, states, training=False):
        h_prev = states[0]
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        if dp_mask is not None:
            inputs = inputs * dp_mask
        if rec_mask is not None:
            h_prev = h_prev * rec_mask
        h = ops.dense(inputs, self.kernel, self.bias) + h_prev @ self.recurrent_kernel
        h = self.activation(h)
        return h, [h]

    def fused_cell(self, training):
        activation = self.fused_activation(self.activation)
        if activation is None:
            return None
        return "simple", activation, "sigmoid"

    def fused_biases(self):
        return self.bias, None


class SimpleRNN(RNN):
    """Keras's SimpleRNN layer: a SimpleRNNCell looped over the steps (see RNN for the options)."""

    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, dropout=dropout, recurrent_dropout=recurrent_dropout,
                             seed=seed, name="simple_rnn_cell", trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def get_config(self):
        return cell_options(self, super().get_config())
