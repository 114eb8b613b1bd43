"""Wrapper: the base of the layers that run other layers (Bidirectional, TimeDistributed)."""
from ..layer import Layer, structure_changed


def serialized(layer):
    from .. import serialize

    return serialize(layer)


def deserialized(config, custom_objects=None):
    from .. import deserialize

    return deserialize(config, custom_objects)


class Wrapper(Layer):
    """Holds inner layers whose weights become the wrapper's own, in order and under prefixed names."""

    def adopt_weights(self, inner, prefixes):
        """The inner layers' weights (built), named prefix + their name, as this layer's."""
        self._weights, self._weight_names = [], []
        self._frozen_weights, self._weight_penalties = set(), []
        for layer, prefix in zip(inner, prefixes):
            self._weights.extend(layer._weights)
            self._weight_names.extend(prefix + name for name in layer._weight_names)
            self._frozen_weights |= layer._frozen_weights
            self._weight_penalties.extend(layer._weight_penalties)
        self._inner = list(inner)
        structure_changed()

    @property
    def losses(self):
        inner = [loss for layer in getattr(self, "_inner", []) for loss in layer._activity_penalties]
        return super().losses + inner
