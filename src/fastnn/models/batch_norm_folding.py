"""BatchNormalization folded into the Dense or convolution before it, on predict's path.

At inference a batch normalization is an affine map per channel, y = (x - mean) * s + beta with
s = gamma / sqrt(variance + epsilon), so after a layer computing x = inputs (x) W + b it equals
that layer with the kernel W * s and the bias (b - mean) * s + beta. predict computes the layer
so, and a relu that follows the normalization becomes the layer's fused epilogue: one kernel call
instead of three passes over the activations. This is the only place the inference path is
rewritten; the folded weights are the batch normalization kernel's own output (applied to W with
a zero mean and no shift, and to b), computed from the live weights inside the step, so a
replayed predict plan folds again what training or set_weights changed since.

A pair is folded when the layer is a Dense, Conv1D or Conv2D without activation (or linear), its
output goes to the normalization only (no other layer reads it, it is not a model output), the
normalization's axis is the layer's channel axis (the last), neither has an activity
regularizer, the normalization was not called with training=True, and the inputs carry no mask.
Folding changes the rounding, not the math: predictions agree with the unfolded ones within
float32's precision for the weights' scale (the tests document the tolerance).
"""
import contextlib
import threading

import numpy as np

from .. import activations, ops
from ..tensor import Tensor
from ..layers.activation import Activation
from ..layers.batch_normalization import BatchNormalization
from ..layers.conv1d import Conv1D
from ..layers.conv2d import Conv2D
from ..layers.dense import Dense

_state = threading.local()
FOLDABLE = (Dense, Conv1D, Conv2D)


@contextlib.contextmanager
def folding():
    """Inside, graph and Sequential models called in inference mode fold their pairs (predict)."""
    before = getattr(_state, "active", False)
    _state.active = True
    try:
        yield
    finally:
        _state.active = before


def active(training):
    return not training and getattr(_state, "active", False)


class Fold:
    """A layer, the BatchNormalization after it and, when one follows that, a relu Activation:
    computed as one call of the layer with folded weights."""

    def __init__(self, layer, norm, relu):
        self.layer, self.norm, self.relu = layer, norm, relu

    def __call__(self, inputs):
        """The output of the last layer of the fold for the first one's inputs, or None when these
        inputs cannot be folded (they carry a mask)."""
        layer = self.layer
        if getattr(inputs, "_keras_mask", None) is not None:
            return None
        inputs = layer._as_input_tensors(inputs)
        if not _foldable_norm(self.norm, inputs.ndim):
            return None
        layer.check_input_shape(tuple(inputs.shape))
        norm = self.norm
        weights = folded_weights(layer.kernel, layer.bias, norm.gamma, norm.beta, norm.moving_mean,
                                 norm.moving_variance, norm.epsilon)
        return layer.affine(inputs, "relu" if self.relu is not None else None, weights)

    def __repr__(self):
        names = [self.layer.name, self.norm.name] + ([self.relu.name] if self.relu is not None else [])
        return f"<Fold {' -> '.join(names)}>"


def folded_weights(kernel, bias, gamma, beta, mean, variance, epsilon):
    """(kernel * s, (bias - mean) * s + beta), s = gamma / sqrt(variance + epsilon) along the
    kernel's last axis; bias, gamma and beta may be None (0, 1 and 0). Tensors of one dtype."""
    channels = kernel.shape[-1]
    dtype = kernel.data.dtype
    zeros = np.zeros(channels, dtype)
    scaled = ops.batch_normalization(kernel.reshape(-1, channels), gamma, None, zeros, variance, training=False,
                                     axis=-1, epsilon=epsilon).reshape(kernel.shape)
    bias = bias.reshape(1, channels) if bias is not None else Tensor(np.zeros((1, channels), dtype))
    shifted = ops.batch_normalization(bias, gamma, beta, mean, variance, training=False, axis=-1, epsilon=epsilon)
    return scaled, shifted.reshape(channels)


def _foldable_layer(layer):
    return isinstance(layer, FOLDABLE) and layer.activation is activations.linear and \
        layer.activity_regularizer is None and layer.kernel is not None


def _foldable_norm(norm, rank):
    return isinstance(norm, BatchNormalization) and norm.activity_regularizer is None and \
        norm.axis % rank == rank - 1


def _is_relu(layer):
    return isinstance(layer, Activation) and layer.activation is activations.relu and \
        layer.activity_regularizer is None


def _plain_call(node, tensor):
    """True when the node's layer was called on `tensor` alone, without training=True."""
    inputs, args, kwargs = node.arguments
    return inputs is tensor and not args and set(kwargs) <= {"training"} and not kwargs.get("training")


def graph_folds(nodes, outputs):
    """{id(first node): (Fold, ids of the other nodes of the chain, the last one's output tensor)}
    for the graph's foldable chains (see the module)."""
    readers = {}
    for node in nodes:
        for tensor in node.input_tensors:
            readers.setdefault(id(tensor), []).append(node)
    exposed = {id(t) for t in outputs}

    def only_reader(node):
        """The single node reading the node's single output, when that output is not a model's."""
        if len(node.output_tensors) != 1 or id(node.output_tensors[0]) in exposed:
            return None
        found = readers.get(id(node.output_tensors[0]), [])
        return found[0] if len(found) == 1 and _plain_call(found[0], node.output_tensors[0]) else None

    folds = {}
    for node in nodes:
        if not _foldable_layer(node.layer) or len(node.output_tensors) != 1:
            continue
        norm_node = only_reader(node)
        if norm_node is None or not _foldable_norm(norm_node.layer, len(node.output_tensors[0].shape)):
            continue
        relu_node = only_reader(norm_node)
        relu_node = relu_node if relu_node is not None and _is_relu(relu_node.layer) else None
        chain = [norm_node] + ([relu_node] if relu_node is not None else [])
        folds[id(node)] = (Fold(node.layer, norm_node.layer, relu_node and relu_node.layer),
                           {id(n) for n in chain}, chain[-1].output_tensors[0])
    return folds


def chain_folds(layers):
    """{index of the first layer: (Fold, index of the last)} for a Sequential model's layers (the
    normalization's axis is checked when the fold runs, on the rank of its inputs)."""
    folds, i = {}, 0
    while i + 1 < len(layers):
        layer, norm = layers[i], layers[i + 1]
        if _foldable_layer(layer) and isinstance(norm, BatchNormalization) and norm.activity_regularizer is None:
            relu = layers[i + 2] if i + 2 < len(layers) and _is_relu(layers[i + 2]) else None
            last = i + 2 if relu is not None else i + 1
            folds[i] = (Fold(layer, norm, relu), last)
            i = last + 1
        else:
            i += 1
    return folds
