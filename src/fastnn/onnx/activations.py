"""fastnn's activation functions as ONNX nodes."""
import math

from .. import activations, reference
from .errors import NotExportable


def _gelu(b, x, hint):
    scaled = b.op("Div", [x, b.scalar(math.sqrt(2.0), f"{hint}/sqrt2")], hint)
    one_plus = b.op("Add", [b.op("Erf", [scaled], hint), b.scalar(1.0, f"{hint}/one")], hint)
    return b.op("Mul", [b.op("Mul", [x, one_plus], hint), b.scalar(0.5, f"{hint}/half")], hint)


def _silu(b, x, hint):
    return b.op("Mul", [x, b.op("Sigmoid", [x], hint)], hint)


_NODES = {
    activations.linear: lambda b, x, hint: x,
    activations.relu: lambda b, x, hint: b.op("Relu", [x], hint),
    activations.sigmoid: lambda b, x, hint: b.op("Sigmoid", [x], hint),
    activations.tanh: lambda b, x, hint: b.op("Tanh", [x], hint),
    activations.softmax: lambda b, x, hint: b.op("Softmax", [x], hint, axis=-1),
    activations.elu: lambda b, x, hint: elu(b, x, 1.0, hint),
    activations.selu: lambda b, x, hint: b.op("Selu", [x], hint, alpha=reference.SELU_ALPHA,
                                              gamma=reference.SELU_SCALE),
    activations.leaky_relu: lambda b, x, hint: leaky_relu(b, x, 0.2, hint),
    activations.softplus: lambda b, x, hint: b.op("Softplus", [x], hint),
    activations.softsign: lambda b, x, hint: b.op("Softsign", [x], hint),
    activations.gelu: _gelu,
    activations.silu: _silu,
    activations.exponential: lambda b, x, hint: b.op("Exp", [x], hint),
    activations.hard_sigmoid: lambda b, x, hint: b.op("HardSigmoid", [x], hint, alpha=1.0 / 6.0, beta=0.5),
}


def elu(b, x, alpha, hint):
    return b.op("Elu", [x], hint, alpha=float(alpha))


def leaky_relu(b, x, negative_slope, hint):
    return b.op("LeakyRelu", [x], hint, alpha=float(negative_slope))


def apply(b, fn, x, hint, layer):
    """fn(x) as nodes; NotExportable naming the layer for a function that is not one of fastnn's."""
    node = _NODES.get(fn)
    if node is None:
        raise NotExportable(f"ONNX export: layer {layer.name!r} ({type(layer).__name__}) uses the activation "
                            f"{getattr(fn, '__name__', fn)!r}, which is not one of fastnn.activations "
                            f"({', '.join(sorted(activations.ALL))}) and has no ONNX form")
    return node(b, x, hint)
