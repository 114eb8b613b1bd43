"""Converters of SimpleRNN, LSTM and GRU (ONNX's RNN, LSTM and GRU ops) and of Bidirectional.

Keras orders an LSTM's gates i, f, c, o and ONNX i, o, f, c; GRU's z, r, h are the same in
both, and reset_after=True is ONNX's linear_before_reset=1. ONNX's recurrent ops take
(steps, batch, features); a layer with go_backwards returns its steps in the order it read them
(last first), while ONNX's reverse direction returns them in time order, so they are flipped.
"""
import numpy as np

from .. import activations
from .. import layers as L
from .errors import refuse

INT64_MIN = -2**63
_ONNX_ACTIVATIONS = {activations.sigmoid: "Sigmoid", activations.tanh: "Tanh", activations.relu: "Relu"}
_LSTM_GATES = (0, 3, 1, 2)  # ONNX's i, o, f, c as Keras's block indices


def _activation_name(layer, fn):
    name = _ONNX_ACTIVATIONS.get(fn)
    if name is None:
        refuse(layer, f"the activation {getattr(fn, '__name__', fn)!r} is not one ONNX's recurrent ops take "
                      "(sigmoid, tanh, relu)")
    return name


def _gates(array, order, units):
    """The gate blocks of the last axis of array rearranged to `order`."""
    return np.concatenate([array[..., g * units:(g + 1) * units] for g in order], axis=-1)


def _parameters(layer):
    """(op type, W, R, B, attributes) of ONNX's op for the layer's cell; W (1, gates*H, F),
    R (1, gates*H, H), B (1, 2*gates*H): input biases then recurrent ones."""
    cell = layer.cell
    units = cell.units
    kernel, recurrent = np.asarray(cell.kernel.data), np.asarray(cell.recurrent_kernel.data)
    if isinstance(layer, L.LSTM):
        op_type, order = "LSTM", _LSTM_GATES
        names = [_activation_name(layer, cell.recurrent_activation)] + [_activation_name(layer, cell.activation)] * 2
        attributes = {}
    elif isinstance(layer, L.GRU):
        op_type, order = "GRU", (0, 1, 2)
        names = [_activation_name(layer, cell.recurrent_activation), _activation_name(layer, cell.activation)]
        attributes = {"linear_before_reset": int(cell.reset_after)}
    else:
        op_type, order = "RNN", (0,)
        names = [_activation_name(layer, cell.activation)]
        attributes = {}
    size = len(order) * units
    input_bias = recurrent_bias = np.zeros(size, np.float32)
    if cell.bias is not None:
        bias = np.asarray(cell.bias.data)
        if bias.ndim == 2:  # GRU with reset_after: rows of input and recurrent biases
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias = bias
    W = _gates(kernel, order, units).T[None]
    R = _gates(recurrent, order, units).T[None]
    B = np.concatenate([_gates(input_bias, order, units), _gates(recurrent_bias, order, units)])[None]
    attributes.update(hidden_size=units, activations=names)
    return op_type, W, R, B, attributes


def _reversed_steps(b, x, axis, hint):
    return b.op("Slice", [x, b.ints([-1], f"{hint}/starts"), b.ints([INT64_MIN], f"{hint}/ends"),
                          b.ints([axis], f"{hint}/axes"), b.ints([-1], f"{hint}/steps")], hint)


def sequence_outputs(b, layer, x):
    """The layer's outputs as fastnn computes them: [output] + final states when return_state."""
    if layer.stateful:
        refuse(layer, "stateful=True carries states from one batch to the next, which an ONNX graph cannot")
    op_type, W, R, B, attributes = _parameters(layer)
    inputs = [b.transpose(x.name, [1, 0, 2], layer.name),
              b.weight(layer, "W", lambda: W), b.weight(layer, "R", lambda: R), b.weight(layer, "B", lambda: B)]
    direction = "reverse" if layer.go_backwards else "forward"
    count = 3 if op_type == "LSTM" else 2
    results = b.op(op_type, inputs, layer.name, outputs=count, direction=direction, **attributes)
    sequences, states = results[0], results[1:]
    finals = [b.squeeze(state, [0], layer.name) for state in states]  # (1, batch, units) -> (batch, units)
    if layer.return_sequences:
        output = b.transpose(b.squeeze(sequences, [1], layer.name), [1, 0, 2], layer.name)
        if layer.go_backwards:
            output = _reversed_steps(b, output, 1, layer.name)
    else:
        output = b.op("Identity", [finals[0]], layer.name)
    return [output] + finals if layer.return_state else [output]


def recurrent(b, layer, xs):
    return sequence_outputs(b, layer, xs[0])


def bidirectional(b, layer, xs):
    forward = sequence_outputs(b, layer.forward_layer, xs[0])
    backward = sequence_outputs(b, layer.backward_layer, xs[0])
    y, y_rev = forward[0], backward[0]
    if layer.return_sequences:
        y_rev = _reversed_steps(b, y_rev, 1, layer.name)
    mode = layer.merge_mode
    if mode == "concat":
        outputs = [b.op("Concat", [y, y_rev], layer.name, axis=-1)]
    elif mode == "sum":
        outputs = [b.op("Add", [y, y_rev], layer.name)]
    elif mode == "ave":
        outputs = [b.op("Mul", [b.op("Add", [y, y_rev], layer.name), b.scalar(0.5, f"{layer.name}/half")],
                        layer.name)]
    elif mode == "mul":
        outputs = [b.op("Mul", [y, y_rev], layer.name)]
    else:
        outputs = [y, y_rev]
    return outputs + forward[1:] + backward[1:]
