"""Permute: reorders the axes of each sample (the batch axis stays first)."""
from .. import ops
from .layer import Layer, batch_shape


class Permute(Layer):
    """dims is a permutation of 1..rank-1: output axis i + 1 is input axis dims[i]."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
            valid = all(isinstance(d, int) and not isinstance(d, bool) for d in dims) and \
                sorted(dims) == list(range(1, len(dims) + 1))
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"Layer {self.name!r} (Permute): invalid permutation argument `dims`; the set of "
                             f"indices in `dims` must be consecutive and start from 1. Received: dims={dims!r}")
        self.dims = dims

    def compute_output_shape(self, input_shape):
        self.check_input_shape(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def check_input_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"Input of layer {self.name!r} (Permute) is incompatible with the layer: expected "
                             f"ndim={len(self.dims) + 1} for dims={self.dims}, found ndim={len(input_shape)}. Full "
                             f"shape received: {batch_shape(input_shape)}")

    def call(self, inputs, training=False):
        return ops.PermuteAxes.apply(inputs, axes=(0,) + self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config
