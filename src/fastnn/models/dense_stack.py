"""Fused paths for stacks of Dense layers: fit's training step (DenseStackStep) and predict's
forward pass (DenseStackForward).

Each is a fixed sequence of compiled kernel calls, the same calls with the same operands that
the autodiff engine makes for these layers, so the weights after each step and the predictions
are bitwise the ones the general path gives. What it saves is the engine's bookkeeping: no graph is recorded, the
hidden activations and their gradients live in buffers reused from step to step, each relu's
backward is folded into the matmul that produces the gradient, and the weight gradients are
written straight into the model's flat gradient buffer. The kernel sequences run in compiled
code (fastnn._C.DenseStackTrainStep / DenseStackForwardPass) that checks its arrays once, when
built, and then only the batch size of each call.
"""
import numpy as np

from .. import _C, activations, debug, metrics
from ..layers.dense import Dense


def _is_dense_stack(model):
    """Built Dense layers on 2-D inputs, the hidden ones relu or linear, and no NaN debugging
    (which checks each op of the general path)."""
    layers = model.layers
    if debug.enabled or not layers:
        return False
    if any(type(layer) is not Dense or not layer.built for layer in layers):
        return False
    if len(model.input_shape) != 2:
        return False
    return all(layer.activation in (activations.relu, activations.linear) for layer in layers[:-1])


def batch_mean(values):
    """float(values.mean()) for a 1-D float32 array, bitwise, without mean()'s Python layers."""
    return float(np.float32(float(np.add.reduce(values)) / len(values)))


class DenseStackStep:
    """One gradient step on a batch, for models for which `supports` is true.

    Gathers the batch with `gatherer` (whose buffers the compiled step reads), updates the
    weights, and returns (batch size, [mean loss, metric values...]) for `metric_fns`.
    """

    def __init__(self, layers, parameters, optimizer, gatherer, metric_fns):
        self.layers = list(layers)
        self.parameters = parameters
        self.optimizer = optimizer
        self.gatherer = gatherer
        values = iter(parameters.value_views)
        grads = iter(parameters.grad_views)
        kernels, biases, kernel_grads, bias_grads = [], [], [], []
        for layer in self.layers:
            kernels.append(next(values))
            kernel_grads.append(next(grads))
            biases.append(next(values) if layer.use_bias else None)
            bias_grads.append(next(grads) if layer.use_bias else None)
        relu = [layer.activation is activations.relu for layer in self.layers]
        self.kernels = _C.DenseStackTrainStep(gatherer.x_buffer, gatherer.y_buffer, kernels, biases,
                                              kernel_grads, bias_grads, relu)
        self.sparse = gatherer.y_buffer.ndim == 1
        self.metric_fns = [fn for _, fn in metric_fns]
        accuracy = metrics.sparse_categorical_accuracy if self.sparse else metrics.categorical_accuracy
        self.counted = [fn is accuracy for fn in self.metric_fns]  # from the step's own argmax count
        self._views = {}

    @staticmethod
    def supports(model, parameters, objective):
        """True for Dense layers on 2-D inputs, hidden ones relu or linear, every weight trainable,
        the last one's output turned into the loss by the fused softmax cross-entropy."""
        layers = model.layers
        if not _is_dense_stack(model):
            return False
        if not objective.takes_logits(layers[-1]):
            return False
        weights = [w for layer in layers for w in layer.weights]
        if not parameters.holds(weights):
            return False
        return all(w.data.dtype == np.float32 for w in weights)

    def _batch_views(self, n):
        """(losses, probabilities, targets) of an n-row batch: views made once per batch size."""
        views = self._views.get(n)
        if views is None:
            y = self.gatherer.y_buffer[:n]
            views = self._views[n] = (self.kernels.losses[:n], self.kernels.probs[:n], y)
        return views

    def __call__(self, indices):
        """Trains on the samples at indices; returns (their count, [mean loss, metric values...])."""
        n = self.gatherer.load(indices)
        hits = self.kernels(n)
        self.optimizer.apply_flat(self.parameters.grads, self.parameters.values)
        losses, probs, targets = self._batch_views(n)
        values = [batch_mean(losses)]
        for fn, counted in zip(self.metric_fns, self.counted):
            if counted:
                values.append(float(np.float32(hits / n)))
            else:
                values.append(float(np.mean(fn(targets, probs.copy()))))
        return n, values


class DenseStackForward:
    """The model's output for a batch, written into a given array, for models `supports` accepts."""

    def __init__(self, layers, max_batch):
        self.layers = list(layers)
        self.kernels = _C.DenseStackForwardPass(
            [layer.kernel.data for layer in self.layers],
            [layer.bias.data if layer.use_bias else None for layer in self.layers],
            [layer.activation is activations.relu for layer in self.layers],
            self.layers[-1].activation is activations.softmax, max_batch)

    @staticmethod
    def supports(model):
        """True for float32 Dense layers on 2-D inputs, hidden ones relu or linear, the last one
        relu, linear or softmax."""
        layers = model.layers
        if not _is_dense_stack(model):
            return False
        if layers[-1].activation not in (activations.relu, activations.linear, activations.softmax):
            return False
        return all(w.data.dtype == np.float32 for layer in layers for w in layer.weights)

    def __call__(self, inputs, out):
        """out := the model's output for inputs (aligned C-contiguous float32, (n, features)); returns out."""
        return self.kernels(inputs, out)
