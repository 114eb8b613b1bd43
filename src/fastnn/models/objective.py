"""Objective: the compiled loss, and whether it can start from the last layer's logits."""
import numpy as np

from .. import activations, kernels, losses, ops

CROSS_ENTROPIES = (losses.categorical_crossentropy, losses.sparse_categorical_crossentropy)


class Objective:
    """Turns the model's last layer output and targets into a scalar loss Tensor.

    With a softmax last layer and a (sparse) categorical cross-entropy, the loss is taken from
    the logits by one fused softmax-cross-entropy primitive: no log(0), and one kernel for
    the gradient; the probabilities come out of the same kernel.
    """

    def __init__(self, identifier):
        if identifier is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'")
        self.identifier = identifier
        self.fn, self.options = losses.resolve(identifier)
        self.name = getattr(self.fn, "__name__", type(self.fn).__name__)
        self.from_logits = bool(self.options.get("from_logits", False))

    def takes_logits(self, last_layer):
        """True when the loss can be computed from last_layer's output before its softmax."""
        if self.fn not in CROSS_ENTROPIES:
            return False
        if self.from_logits:
            return getattr(last_layer, "activation", activations.linear) is activations.linear
        return getattr(last_layer, "activation", None) is activations.softmax

    def fused(self, logits, targets):
        """(scalar loss Tensor, probabilities) from logits."""
        return ops.softmax_cross_entropy_with_probs(logits, targets)

    def fused_values(self, logits, targets):
        """(per-sample losses, probabilities) from logits as arrays, for evaluation."""
        return kernels.softmax_cross_entropy(logits, targets)

    def __call__(self, targets, predictions):
        """Scalar loss Tensor: mean over samples of the loss function."""
        values = self.fn(targets, predictions, **self.options)
        return values.mean() if getattr(values, "ndim", 0) else values

    def values(self, targets, predictions):
        """Per-sample losses as an array (for evaluation)."""
        values = self.fn(targets, predictions, **self.options)
        return np.asarray(values)

    def serialize(self):
        return losses.serialize(self.identifier)
