"""Fused paths for stacks of Dense layers: fit's training step (DenseStackStep) and predict's
forward pass (DenseStackForward).

Each is a fixed sequence of compiled kernel calls, the same calls with the same operands that
the autodiff engine makes for these layers, so the weights after each step and the predictions
are bitwise the ones the general path gives. What it saves is the engine's bookkeeping: no graph is recorded, the
hidden activations and their gradients live in buffers reused from step to step, each relu's
backward is folded into the matmul that produces the gradient, and the weight gradients are
written straight into the model's flat gradient buffer.
"""
import numpy as np

from .. import activations, debug, kernels
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


class DenseStackStep:
    """One gradient step on a batch, for models for which `supports` is true."""

    def __init__(self, layers, parameters, optimizer, max_batch):
        self.layers = list(layers)
        self.parameters = parameters
        self.optimizer = optimizer
        self.relu = [layer.activation is activations.relu for layer in self.layers]
        values = iter(parameters.value_views)
        grads = iter(parameters.grad_views)
        self.kernels, self.biases, self.kernel_grads, self.bias_grads = [], [], [], []
        for layer in self.layers:
            self.kernels.append(next(values))
            self.kernel_grads.append(next(grads))
            self.biases.append(next(values) if layer.use_bias else None)
            self.bias_grads.append(next(grads) if layer.use_bias else None)
        hidden = [layer.units for layer in self.layers[:-1]]
        self.outputs = [np.empty((max_batch, units), dtype=np.float32) for units in hidden]
        self.output_grads = [np.empty((max_batch, units), dtype=np.float32) for units in hidden]
        self.logits = np.empty((max_batch, self.layers[-1].units), dtype=np.float32)

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

    def __call__(self, inputs, targets):
        """Updates the weights from one batch; returns (mean loss as a float, softmax probabilities)."""
        n = len(inputs)
        last = len(self.layers) - 1
        x = inputs
        layer_inputs = []
        for i in range(last):
            layer_inputs.append(x)
            x = kernels.matmul(x, self.kernels[i], self.outputs[i][:n], bias=self.biases[i],
                               activation="relu" if self.relu[i] else None)
        layer_inputs.append(x)
        logits = kernels.matmul(x, self.kernels[last], self.logits[:n], bias=self.biases[last])
        losses, probs = kernels.softmax_cross_entropy(logits, targets)
        loss = float(losses.mean())

        grad = kernels.softmax_cross_entropy_grad(probs, targets, scale=1.0 / n)
        for i in range(last, -1, -1):
            kernels.matmul(layer_inputs[i], grad, self.kernel_grads[i], trans_a=True)
            if self.bias_grads[i] is not None:
                np.copyto(self.bias_grads[i], kernels.sum_to_shape(grad, self.bias_grads[i].shape))
            if i:
                mask = layer_inputs[i] if self.relu[i - 1] else None
                grad = kernels.matmul(grad, self.kernels[i], self.output_grads[i - 1][:n], trans_b=True,
                                      relu_mask=mask)
        self.optimizer.apply([self.parameters.grads], [self.parameters.values])
        return loss, probs


class DenseStackForward:
    """The model's output for a batch, written into a given array, for models `supports` accepts."""

    def __init__(self, layers, max_batch):
        self.layers = list(layers)
        self.outputs = [np.empty((max_batch, layer.units), dtype=np.float32) for layer in self.layers[:-1]]

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
        """out := the model's output for inputs (float32, (n, features)); returns out."""
        n = len(inputs)
        x = inputs
        for layer, buffer in zip(self.layers, self.outputs):
            x = _dense(layer, x, buffer[:n])
        last = self.layers[-1]
        if last.activation is activations.softmax:
            return kernels.softmax(_dense(last, x, None), out=out)
        return _dense(last, x, out)


def _dense(layer, x, out):
    relu = layer.activation is activations.relu
    bias = layer.bias.data if layer.use_bias else None
    return kernels.matmul(x, layer.kernel.data, out, bias=bias, activation="relu" if relu else None)
