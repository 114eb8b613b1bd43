"""RNN: a recurrent cell looped over the steps of (batch, steps, features) sequences.

The wrapper owns what every recurrent layer shares, once: masks (a step whose mask is 0 keeps
the previous state), go_backwards, return_sequences, return_state, initial states, stateful
states and reset_states. A cell whose step one of the fused kernels computes (SimpleRNN, LSTM,
GRU with reset_after and the activations the kernels know) runs as fastnn.recurrence: one GEMM
for the input projections of every step, then per step one GEMM and one fused cell kernel.
Any other cell runs step by step through its own call, composed from ops.
"""
import numpy as np

from ... import _C, kernels, ops
from ...recurrence import Recurrence
from ...tensor import Tensor
from ..layer import Layer, as_float32_inputs, batch_shape


def _label(layer):
    return f"Layer {layer.name!r} ({type(layer).__name__})"


def cell_options(layer, config):
    """A layer config with its cell's options in place of the cell (Keras's LSTM/GRU/SimpleRNN configs)."""
    cell_config = dict(config.pop("cell")["config"])
    for key in ("name", "trainable", "input_shape"):
        cell_config.pop(key, None)
    cell_config.pop("implementation", None)
    config.update(cell_config)
    return config


def mask_array(layer, inputs, mask):
    """An explicit mask as an array of shape (batch, steps) of inputs; ValueError or TypeError naming
    `layer` otherwise."""
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.shape != inputs.shape[:2]:
        raise ValueError(f"{_label(layer)}: the mask must have shape (batch, steps) = {inputs.shape[:2]} for "
                         f"inputs of shape {inputs.shape}. Received: a mask of shape {data.shape}")
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{_label(layer)}: the mask must hold booleans (or 0/1 numbers). Received: a mask of "
                        f"dtype {data.dtype}")
    return data


class RNN(Layer):
    """Keras's RNN(cell, return_sequences=False, return_state=False, go_backwards=False,
    stateful=False, unroll=False, zero_output_for_mask=False).

    Inputs are (batch, steps, features); the output is the last step's (batch, units), or every
    step's (batch, steps, units) with return_sequences, in the order processed (reversed with
    go_backwards, as Keras). With return_state the layer returns [output, *final states].
    call(inputs, initial_state=[...], mask=...) takes initial states and a mask (batch, steps); a
    mask on the inputs (`inputs._keras_mask`, from Embedding(mask_zero=True) or Masking) is used
    when none is given. stateful keeps the final states as the next batch's initial ones (the
    batch size is fixed by the first batch, or by batch_size / batch_input_shape) until
    reset_states(). unroll is accepted and ignored: the loop is compiled either way.
    """

    supports_masking = True
    cell_class = None  # the cell of SimpleRNN/LSTM/GRU, for from_config

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, use_cudnn="auto", batch_size=None, batch_input_shape=None,
                 **kwargs):
        if batch_input_shape is not None:
            batch_size = batch_input_shape[0]
            kwargs.setdefault("input_shape", tuple(batch_input_shape[1:]))
        super().__init__(**kwargs)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"Argument `cell` should have a `call` method and a `state_size` attribute. "
                             f"Received: cell={cell!r}")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid value received for argument `use_cudnn`. Expected one of {{'auto', True, "
                             f"False}}. Received: use_cudnn={use_cudnn!r}")
        if use_cudnn is True:
            raise ValueError("use_cudnn=True was specified, but fastnn runs on CPUs: pass use_cudnn='auto'")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.states = None  # a stateful layer's state arrays

    # shapes and weights ----------------------------------------------------------------------
    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def _check_sequences(self, input_shape, owner=None):
        """ValueError unless input_shape is (batch, steps, features); it names `owner` (a wrapper) or self."""
        if len(input_shape) != 3:
            raise ValueError(
                f"Input of {_label(owner or self)} is incompatible with the layer: expected ndim=3 (batch, steps, "
                f"features), found ndim={len(input_shape)}. Full shape received: {batch_shape(input_shape)}. A recurrent layer "
                "reads sequences: give each sample a steps axis (e.g. x.reshape(n, steps, features)), or put an "
                "Embedding before it for integer sequences."
            )

    def build(self, input_shape):
        self._check_sequences(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{_label(self)} needs a known number of features. Received: input_shape={input_shape}")
        if not self.cell.built:
            self.cell.build_for((None, input_shape[-1]))
        # the cell's weights are the layer's (Keras names them lstm/lstm_cell/kernel, ...)
        self._weights, self._weight_names = self.cell._weights, self.cell._weight_names
        self._frozen_weights, self._weight_penalties = self.cell._frozen_weights, self.cell._weight_penalties
        if self.stateful and self.batch_size is not None:
            self._make_states(self.batch_size)

    def compute_output_shape(self, input_shape):
        self._check_sequences(input_shape)
        units = self.cell.output_size
        output = (input_shape[0], input_shape[1], units) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            return [output] + [(input_shape[0], size) for size in self.state_size]
        return output

    def check_input_shape(self, input_shape):
        self._check_sequences(input_shape)
        features = self.cell.kernel.shape[0] if getattr(self.cell, "kernel", None) is not None else None
        if features is not None and input_shape[-1] != features:
            raise ValueError(f"Input of {_label(self)} is incompatible with the layer: expected shape "
                             f"(None, steps, {features}), received input with shape {batch_shape(input_shape)}")
        if input_shape[1] == 0:
            raise ValueError(f"{_label(self)} needs sequences of at least one step. Received: input shape "
                             f"{batch_shape(input_shape)}")

    def compute_mask(self, inputs, previous_mask):
        return previous_mask if self.return_sequences and not self.return_state else None

    # states ----------------------------------------------------------------------------------
    def _make_states(self, batch):
        self.states = [np.zeros((batch, size), np.float32) for size in self.state_size]

    def reset_states(self, states=None):
        """Zeroes a stateful layer's states (or sets them to `states`, arrays (batch, units))."""
        if not self.stateful:
            raise AttributeError(f"{_label(self)} is not stateful: only stateful layers keep states to reset")
        if self.states is None:
            return
        values = [None] * len(self.states) if states is None else list(states)
        if len(values) != len(self.states):
            raise ValueError(f"{_label(self)} has {len(self.states)} states, received {len(values)} values")
        for array, value in zip(self.states, values):
            if value is None:
                array.fill(0)
            else:
                value = np.asarray(value, dtype=np.float32)
                if value.shape != array.shape:
                    raise ValueError(f"{_label(self)}: a state has shape {array.shape}, received {value.shape}")
                np.copyto(array, value)

    reset_state = reset_states

    def _initial_states(self, batch, initial_state, dtype):
        """The initial states as Tensors: given, a stateful layer's, or zeros."""
        sizes = self.state_size
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != len(sizes):
                raise ValueError(f"{_label(self)} expects {len(sizes)} initial state(s), received {len(states)}")
            states = [s if isinstance(s, Tensor) else Tensor(as_float32_inputs(s, f"initial_state of {_label(self)}"))
                      for s in states]
            for s, size in zip(states, sizes):
                if s.shape != (batch, size):
                    raise ValueError(f"{_label(self)}: an initial state must have shape ({batch}, {size}). "
                                     f"Received: {s.shape}")
            return states
        if self.stateful:
            if self.states is None:
                self._make_states(batch)
            if self.states[0].shape[0] != batch:
                raise ValueError(f"{_label(self)}: if an RNN is stateful, the batch size of the input sequences "
                                 f"must be the same as the batch size of the initial state.\n- Expected batch size: "
                                 f"{self.states[0].shape[0]}\n- Received batch size: {batch}")
            tape = _C.recording_tape()
            if tape is not None:  # a plan checking its replay restores them, as it does dropout keys
                tape.states.extend(self.states)
            return [Tensor(s) if s.dtype == dtype else Tensor(s.astype(dtype)) for s in self.states]
        return [Tensor(np.zeros((batch, size), dtype)) for size in sizes]

    def _mask(self, inputs, mask):
        """The mask as a constant (batch, steps) array of the inputs' dtype, or None."""
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        if mask is None:
            return None
        data = mask_array(self, inputs, mask)
        if data.dtype != inputs.dtype:
            _C._unreplayable("a mask was converted to the inputs' dtype")
            data = data.astype(inputs.dtype)
        return data

    # computing -------------------------------------------------------------------------------
    def call(self, inputs, training=False, initial_state=None, mask=None):
        n, steps, _ = inputs.shape
        mask = self._mask(inputs, mask)
        kernel = getattr(self.cell, "kernel", None)
        dtype = inputs.dtype if kernel is None else np.result_type(inputs.dtype, kernel.dtype)
        states = self._initial_states(n, initial_state, dtype)
        fused = self.cell.fused_cell(training)
        if fused is not None:
            output, final = self._fused(inputs, states, mask, training, fused)
        else:
            output, final = self._stepwise(inputs, states, mask, training)
        if self.zero_output_for_mask and self.return_sequences and mask is not None:
            processed = mask[:, ::-1] if self.go_backwards else mask
            output = output * Tensor(kernels.copy(processed)).reshape(n, steps, 1)
        if self.return_state:
            return [output] + final
        return output

    def _fused(self, inputs, states, mask, training, fused):
        """(output, final states) from fastnn.recurrence's one op over the whole sequence."""
        kind, activation, recurrent_activation = fused
        cell = self.cell
        n, steps, features = inputs.shape
        width = cell.recurrent_kernel.shape[1]
        input_bias, recurrent_bias = cell.fused_biases()
        step_input = Tensor(np.empty((n, features), inputs.dtype))
        dp_mask = cell.get_dropout_mask(step_input) if training and cell.dropout > 0 else None
        rec_mask = cell.get_recurrent_dropout_mask(states[0]) if training and cell.recurrent_dropout > 0 else None
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
        if isinstance(dp_mask, list):  # one mask per gate: each gate's projection of its own masked inputs
            size = width // len(dp_mask)
            parts = []
            for g, m in enumerate(dp_mask):
                kernel = ops.slice_axis(cell.kernel, 1, g * size, (g + 1) * size)
                bias = None if input_bias is None else ops.slice_axis(input_bias, 0, g * size, (g + 1) * size)
                parts.append(ops.dense((inputs * m.reshape(n, 1, features)).reshape(n * steps, features), kernel, bias))
            xw = ops.concatenate(parts, axis=1).reshape(n, steps, width)
        else:
            x = inputs if dp_mask is None else inputs * dp_mask.reshape(n, 1, features)
            xw = ops.dense(x.reshape(n * steps, features), cell.kernel, input_bias).reshape(n, steps, width)
        parents = [xw, cell.recurrent_kernel] + states + ([] if recurrent_bias is None else [recurrent_bias])
        rec_masks = None
        if rec_mask is not None:
            rec_masks = (rec_mask[0] if isinstance(rec_mask, list) else rec_mask).stacked
        out = Recurrence.apply(*parents, cell=kind, activation=activation, recurrent_activation=recurrent_activation,
                               mask=mask, go_backwards=self.go_backwards, return_sequences=self.return_sequences,
                               return_state=self.return_state, state_out=self.states if self.stateful else None,
                               recurrent_masks=rec_masks)
        if not self.return_state:
            return out, []
        first = steps if self.return_sequences else 1
        output = ops.slice_axis(out, 1, 0, first)
        if not self.return_sequences:
            output = output.reshape(n, out.shape[2])
        final = [ops.slice_axis(out, 1, first + i, first + i + 1).reshape(n, out.shape[2]) for i in range(len(states))]
        return output, final

    def _stepwise(self, inputs, states, mask, training):
        """(output, final states) from the cell's own call, step by step."""
        cell = self.cell
        n, steps, features = inputs.shape
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, output = [], None
        if training:
            cell.get_dropout_mask(Tensor(np.empty((n, features), inputs.dtype)))
            cell.get_recurrent_dropout_mask(states[0])
        try:
            for t in order:
                x_t = ops.slice_axis(inputs, 1, t, t + 1).reshape(n, features)
                output, new_states = cell.call(x_t, states, training=training)
                if not isinstance(new_states, (list, tuple)):
                    new_states = [new_states]
                if mask is not None:
                    keep = Tensor(mask[:, t:t + 1])
                    drop = 1 - keep
                    previous = states[0]
                    output = output * keep + previous * drop
                    new_states = [new * keep + old * drop for new, old in zip(new_states, states)]
                states = list(new_states)
                if self.return_sequences:
                    outputs.append(output)
        finally:
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        if self.stateful:
            for array, state in zip(self.states, states):
                kernels.copy(state.data, out=array)
        return (ops.stack(outputs, axis=1) if self.return_sequences else output), states

    # configuration -------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask)
        if self.batch_size is not None:
            config["batch_size"] = self.batch_size
        config["cell"] = {"class_name": type(self.cell).__name__, "config": self.cell.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls.cell_class is not None:
            return cls(**config)
        from .. import deserialize

        cell = deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)
