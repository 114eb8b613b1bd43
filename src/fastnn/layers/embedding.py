"""Embedding: integer indices -> rows of a trainable table (input_dim, output_dim)."""
import numpy as np

from .. import initializers, ops, regularizers
from .image_layers import label
from .layer import Layer


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r} "
                         f"(of type {type(value).__name__})")
    return int(value)


class Embedding(Layer):
    """Turns indices in [0, input_dim) into vectors of output_dim: output shape input shape + (output_dim,).

    Indices may arrive as integers or as integer-valued floats (fit and predict hand every batch
    over as float32, exact up to 2**24); any other value raises IndexError naming the layer and the
    index. Only the rows a batch uses receive gradient. With mask_zero=True, index 0 is padding:
    the output carries a mask (`outputs._keras_mask`, 1 where the index is not 0) that recurrent
    layers and GlobalAveragePooling1D honour. input_length (the 1st edition's argument) gives the
    input shape (input_length,), so that Flatten after it knows its size.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, weights=None, input_length=None, **kwargs):
        if input_length is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = tuple(input_length) if isinstance(input_length, (tuple, list)) else (input_length,)
        super().__init__(**kwargs)
        self.input_dim = _positive(input_dim, "input_dim")
        self.output_dim = _positive(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings = None
        if weights is not None:
            self.build_for((None,) + (self.input_shape_arg or (1,)))
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def call(self, inputs, training=False):
        outputs = ops.take_rows(self.embeddings, inputs, owner=label(self))
        if self.mask_zero:
            outputs._keras_mask = self.compute_mask(inputs, None)
        return outputs

    def compute_mask(self, inputs, previous_mask):
        if not self.mask_zero:
            return None
        return ops.not_equal_mask(inputs, 0.0)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                      mask_zero=self.mask_zero)
        config.update(self._regularizer_config("embeddings_regularizer"))
        return config
