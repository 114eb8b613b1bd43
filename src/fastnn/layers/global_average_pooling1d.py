"""GlobalAveragePooling1D: the mean of each feature over the steps, masked steps left out."""
from .. import functional as F
from .global_pooling1d import GlobalPooling1D
from .sequence_layers import label


class GlobalAveragePooling1D(GlobalPooling1D):
    """The mean over the steps; with a mask on the inputs (Embedding(mask_zero=True), Masking),
    the mean over the unmasked steps only. The output carries no mask."""

    supports_masking = True

    def compute_mask(self, inputs, previous_mask):
        return None

    def pool(self, inputs, mask):
        if mask is None:
            return F.mean(inputs, axis=1, keepdims=True)
        n, steps = inputs.shape[:2]
        if tuple(mask.shape) != (n, steps):
            raise ValueError(f"{label(self)}: the mask has shape {tuple(mask.shape)}, expected (batch, steps) = "
                             f"{(n, steps)} for inputs of shape {inputs.shape}")
        weights = mask if mask.dtype == inputs.dtype else type(mask)(mask.data.astype(inputs.dtype))
        total = F.sum(inputs * weights.reshape(n, steps, 1), axis=1, keepdims=True)
        return total / F.sum(weights, axis=1, keepdims=True).reshape(n, 1, 1)
