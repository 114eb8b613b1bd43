"""Nested structures of tensors (one tensor, lists, tuples and dicts of them), as layers and
models take and return them: flattened to a list in a fixed order and packed back."""
import numbers


def is_nest(value):
    return isinstance(value, (list, tuple, dict))


def flatten(structure):
    """The leaves of structure, depth first; dicts in their key order."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value)]
    return [structure]


def pack_as(structure, leaves):
    """structure with its leaves replaced, in flatten's order, by those of `leaves`."""
    leaves = iter(leaves)

    def pack(part):
        if isinstance(part, dict):
            return {key: pack(value) for key, value in part.items()}
        if isinstance(part, (list, tuple)):
            packed = [pack(value) for value in part]
            return packed if isinstance(part, list) else tuple(packed)
        return next(leaves)

    return pack(structure)


def map_structure(fn, structure):
    return pack_as(structure, [fn(leaf) for leaf in flatten(structure)])


def is_shape(value):
    """True for one shape (a tuple or list of ints and Nones), False for a structure of shapes."""
    return isinstance(value, (tuple, list)) and all(d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool)) for d in value)


def map_shapes(fn, shapes):
    """fn applied to each shape of a shape or a (nested) list of shapes."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {key: map_shapes(fn, value) for key, value in shapes.items()}
    return [map_shapes(fn, value) for value in shapes]
