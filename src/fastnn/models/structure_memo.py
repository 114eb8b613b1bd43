"""StructureMemo: what a model is made of (its sublayers, its weights and the weights it trains),
worked out once and kept while nothing it is worked out from has changed, so that a training step
does not walk the model's layers every time.

It is kept while the layers' structure_version stands still and every list of layers held as an
attribute still holds the same layers. A layer whose class defines its own sublayers, weights or
trainable flag (outside fastnn) may work them out from anything: a model holding one is walked
at every call.
"""
import weakref
from collections import namedtuple

from ..layers import layer as layer_module

# A model's sublayers, its weights, the weights it trains, and a key of the sublayers and trained
# weights by identity (lists not to be changed).
Structure = namedtuple("Structure", ["layers", "weights", "trained", "key"])

# What the walk reads from each layer; a class taking any of these from outside fastnn is not memoized.
_WALKED = ("_sublayers", "layers", "trainable", "trainable_weights", "weights", "weight_names", "_weight_entries",
           "_trained_weights", "_trains_layer", "_all_sublayers")
_walk_is_fastnn = weakref.WeakKeyDictionary()  # by layer class


def _fastnn_walk(cls):
    known = _walk_is_fastnn.get(cls)
    if known is None:
        known = _walk_is_fastnn[cls] = all(_defined_in_fastnn(cls, name) for name in _WALKED)
    return known


def _defined_in_fastnn(cls, name):
    owner = next((c for c in cls.__mro__ if name in c.__dict__), None)
    return owner is None or owner.__module__.startswith("fastnn.")


class StructureMemo:
    def __init__(self):
        # (structure_version, ((a list of layers held as an attribute, its layers' ids), ...), Structure),
        # replaced whole
        self._memo = (None, (), None)

    def get(self, model):
        """The model's Structure."""
        version = layer_module.structure_version()
        seen, lists, structure = self._memo
        if version == seen and (not lists or all(list(map(id, held)) == ids for held, ids in lists)):
            return structure
        layers, trained = model._all_sublayers(), model._trained_weights()
        structure = Structure(layers, model.weights, trained, (tuple(map(id, layers)), tuple(map(id, trained))))
        walked = [model] + layers
        if all(_fastnn_walk(type(layer)) for layer in walked):
            lists = tuple((held, list(map(id, held)))
                          for layer in walked for held in layer_module.list_attributes(layer))
            self._memo = (version, lists, structure)
        else:
            self._memo = (None, (), structure)
        return structure
