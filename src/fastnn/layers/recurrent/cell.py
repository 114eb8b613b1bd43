"""RNNCell: the base of SimpleRNNCell, LSTMCell and GRUCell, one time step of a recurrent layer.

A cell holds the weights, computes one step from ops (call(inputs, states) -> (output, new
states), which RNN loops over for any cell), and says whether its step is one of the fused
kernels' (fused_cell), which RNN then runs over the whole sequence at once (fastnn.recurrence).
Dropout masks are drawn once per sequence (Keras's DropoutRNNCell): get_dropout_mask and
get_recurrent_dropout_mask return the same masks until reset_dropout_mask.
"""
import numpy as np

from ... import activations, initializers, kernels, regularizers
from ...tensor import Tensor
from ..layer import Layer, as_float32_inputs

# The activations the fused cell kernels compute (their derivative follows from their output).
FUSED_ACTIVATIONS = {activations.linear: "linear", activations.relu: "relu", activations.tanh: "tanh",
                     activations.sigmoid: "sigmoid", activations.hard_sigmoid: "hard_sigmoid"}


def _rate(value, name):
    """Keras clips the dropout rates into [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")
    return min(1.0, max(0.0, float(value)))


class RNNCell(Layer):
    """Shared by the cells: units, the kernel and recurrent kernel's initializers and regularizers,
    use_bias, dropout and recurrent_dropout with their seed."""

    gates = 1  # blocks of units in the kernels (LSTM 4, GRU 3)
    mask_count = None  # masks per sequence when each gate draws its own (Keras's implementation 1)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be None or an integer. Received: seed={seed!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _rate(dropout, "dropout")
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self.kernel = self.recurrent_kernel = self.bias = None
        self._dropout_key = None  # (seed, counter) of the dropout kernel's generator
        self._seeding = None
        self._dropout_mask = self._recurrent_dropout_mask = None

    # shapes and weights ----------------------------------------------------------------------
    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def add_kernels(self, input_dim, bias_shape=None, bias_initializer=None):
        """kernel (input_dim, gates units), recurrent_kernel (units, gates units) and, with use_bias,
        the bias, in Keras's order."""
        size = self.gates * self.units
        self.kernel = self.add_weight("kernel", (input_dim, size), self.kernel_initializer, self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, size), self.recurrent_initializer,
                                                self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", bias_shape or (size,), bias_initializer or self.bias_initializer,
                                        self.bias_regularizer)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input of layer {self.name!r} ({type(self).__name__}) is incompatible with the cell: "
                             f"expected shape (None, {self.kernel.shape[0]}), received {tuple(input_shape)}")

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [Tensor(np.zeros((batch_size, size), np.float32)) for size in sizes]

    # one step ------------------------------------------------------------------------------------
    def __call__(self, inputs, states, training=False):
        """(output, new states) of one step, as Keras's cells: inputs (batch, features), states a
        list of (batch, units) tensors."""
        if not isinstance(inputs, Tensor):
            inputs = Tensor(as_float32_inputs(inputs, f"Layer {self.name!r} ({type(self).__name__})"))
        if not isinstance(states, (list, tuple)):
            states = [states]
        states = [s if isinstance(s, Tensor) else Tensor(as_float32_inputs(s, f"the states of {self.name!r}"))
                  for s in states]
        if not self.built:
            self.build_for(inputs.shape)
        self.check_input_shape(inputs.shape)
        try:
            return self.call(inputs, states, training=training)
        finally:
            self.reset_dropout_mask()
            self.reset_recurrent_dropout_mask()

    def fused_cell(self, training):
        """(cell kind, activation, recurrent activation) when the fused kernels compute this cell's
        steps (fastnn.recurrence), else None."""
        return None

    # dropout masks ---------------------------------------------------------------------------
    def _key(self):
        """The dropout kernel's (seed, counter): from `seed`, else from fastnn's generator on first use
        (and again after fastnn.utils.set_random_seed)."""
        from ...utils import random

        if self._dropout_key is None or (self.seed is None and self._seeding != random.seedings()):
            seed = self.seed if self.seed is not None else int(random.generator().integers(0, 2**63))
            self._dropout_key = np.array([seed % 2**64, 0], dtype=np.uint64)
            self._seeding = random.seedings()
        return self._dropout_key

    def _draw(self, shape, rate, dtype, count):
        """count masks (or one, count None) of 0 and 1 / (1 - rate), drawn by the dropout kernel:
        Tensors viewing one array (count or 1, *shape), which they carry as `.stacked`."""
        ones = np.ones(shape, dtype)
        stacked = np.empty((count or 1,) + tuple(shape), dtype)
        for mask in stacked:
            kernels.dropout(ones, rate, self._key(), mask=mask)
        masks = [Tensor(mask) for mask in stacked]
        for mask in masks:
            mask.stacked = stacked
        return masks if count else masks[0]

    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._draw(step_input.shape, self.dropout, step_input.dtype, self.mask_count)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._draw(state.shape, self.recurrent_dropout, state.dtype,
                                                      self.mask_count)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    # configuration -------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation), use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      recurrent_initializer=initializers.serialize(self.recurrent_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer))
        config.update(self._regularizer_config("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"))
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config

    def fused_activation(self, fn):
        return FUSED_ACTIVATIONS.get(fn)
