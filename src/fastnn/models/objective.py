"""Objective: the compiled loss, a scalar Tensor (training) or per-sample values (evaluation)."""

import numpy as np

from .. import losses
from ..tensor import Tensor


class Objective:
    """Turns the model's outputs and the targets into the loss.

    Fusing the loss with the activation before it is the loss function's business (the cross-
    entropies compute from a softmax's logits); the objective only averages.
    """

    def __init__(self, identifier):
        if identifier is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'")
        self.identifier = identifier
        self.fn, self.options = losses.resolve(identifier)
        self.name = getattr(self.fn, "__name__", type(self.fn).__name__)
        # fastnn's own losses take the targets as arrays; a user's function gets a Tensor, as in
        # Keras, so that its arithmetic on them (1 - y_true) runs in the kernels a step plan replays
        self.wraps_targets = not getattr(self.fn, "__module__", "").startswith("fastnn.")

    def values(self, targets, predictions):
        """Per-sample losses as a Tensor (or a scalar Tensor for a loss that gives one)."""
        if self.wraps_targets and isinstance(targets, np.ndarray):
            targets = Tensor(targets)
        return self.fn(targets, predictions, **self.options)

    def __call__(self, targets, predictions, sample_weight=None):
        """Scalar loss Tensor: mean over samples of the loss function, each sample's value times
        its weight when sample weights are given (Keras's sum over the batch / batch size)."""
        values = self.values(targets, predictions)
        if not getattr(values, "ndim", 0):
            return values
        if sample_weight is not None:
            values = values * sample_weight.reshape(sample_weight.shape + (1,) * (values.ndim - 1))
        return values.mean()

    def serialize(self):
        return losses.serialize(self.identifier)
