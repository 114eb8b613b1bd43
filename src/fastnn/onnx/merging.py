"""Converters of the merge layers. The element-wise ones first give lower-rank inputs unit axes
after the batch axis, as fastnn does (ONNX broadcasting would align them from the right)."""
from .errors import refuse


def _equal_ranks(b, layer, xs):
    rank = max(len(x.shape) for x in xs)
    return [x.name if len(x.shape) == rank else b.unsqueeze(x.name, list(range(1, 1 + rank - len(x.shape))), layer.name)
            for x in xs]


def _chain(op_type, b, layer, names):
    total = names[0]
    for name in names[1:]:
        total = b.op(op_type, [total, name], layer.name)
    return total


def add(b, layer, xs):
    return [_chain("Add", b, layer, _equal_ranks(b, layer, xs))]


def subtract(b, layer, xs):
    return [_chain("Sub", b, layer, _equal_ranks(b, layer, xs))]


def multiply(b, layer, xs):
    return [_chain("Mul", b, layer, _equal_ranks(b, layer, xs))]


def average(b, layer, xs):
    total = _chain("Add", b, layer, _equal_ranks(b, layer, xs))
    if len(xs) == 1:
        return [b.op("Identity", [total], layer.name)]
    return [b.op("Mul", [total, b.scalar(1.0 / len(xs), f"{layer.name}/inverse_count")], layer.name)]


def maximum(b, layer, xs):
    return [b.op("Max", _equal_ranks(b, layer, xs), layer.name)]


def minimum(b, layer, xs):
    return [b.op("Min", _equal_ranks(b, layer, xs), layer.name)]


def concatenate(b, layer, xs):
    return [b.op("Concat", [x.name for x in xs], layer.name, axis=layer.axis % len(xs[0].shape))]


def _l2_normalized(b, layer, x, axis):
    """x / sqrt(max(sum(x * x, axis), 1e-12)), as fastnn's Dot(normalize=True)."""
    squares = b.reduce("ReduceSum", b.op("Mul", [x, x], layer.name), [axis], layer.name)
    floor = b.op("Max", [squares, b.scalar(1e-12, f"{layer.name}/floor")], layer.name)
    return b.op("Div", [x, b.op("Sqrt", [floor], layer.name)], layer.name)


def dot(b, layer, xs):
    """The batched dot product along one axis of each input, as an Einsum."""
    x, y = xs
    if len(x.shape) not in (2, 3) or len(y.shape) not in (2, 3):
        refuse(layer, f"inputs of rank 2 or 3 only (received {x.shape} and {y.shape})")
    ax, ay = (axis % len(v.shape) for axis, v in zip(layer.axes, xs))
    names = [x.name, y.name]
    if layer.normalize:
        names = [_l2_normalized(b, layer, names[0], ax), _l2_normalized(b, layer, names[1], ay)]
    free = iter("ijkl")
    x_letters = ["b"] + ["z" if i == ax else next(free) for i in range(1, len(x.shape))]
    y_letters = ["b"] + ["z" if i == ay else next(free) for i in range(1, len(y.shape))]
    kept = [c for c in x_letters[1:] + y_letters[1:] if c != "z"]
    equation = f"{''.join(x_letters)},{''.join(y_letters)}->b{''.join(kept)}"
    product = b.op("Einsum", names, layer.name, equation=equation)
    return [product if kept else b.unsqueeze(product, [1], layer.name)]
