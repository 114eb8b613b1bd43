"""Masking: marks the time steps whose features all equal mask_value as padding to skip."""
from .. import ops
from .layer import Layer


class Masking(Layer):
    """Outputs the inputs with the masked steps zeroed, and the mask (1 for a step with a feature
    other than mask_value, else 0) as `outputs._keras_mask`, which recurrent layers honour."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.mask_value = float(mask_value)
        except (TypeError, ValueError):
            raise ValueError(f"mask_value must be a number. Received: mask_value={mask_value!r}") from None

    def compute_mask(self, inputs, previous_mask):
        differs = ops.not_equal_mask(inputs, self.mask_value, dtype=inputs.dtype)
        return ops.not_equal_mask(differs.sum(axis=-1), 0.0, dtype=inputs.dtype)

    def call(self, inputs, training=False):
        mask = self.compute_mask(inputs, None)
        outputs = inputs * mask.reshape(mask.shape + (1,))
        outputs._keras_mask = mask
        return outputs

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
