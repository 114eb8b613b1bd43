"""Converter of the arithmetic recorded on symbolic tensors (x + y, 2 * x, x / y, -x): the
Operation nodes whose function is one of fastnn.functional's element-wise ones. Their
broadcasting is NumPy's, as ONNX's."""
import numpy as np

from .. import functional
from ..layers import nest
from ..layers.symbolic import SymbolicTensor
from ..tensor import Tensor
from .errors import NotExportable

_BINARY = {functional.add: "Add", functional.subtract: "Sub", functional.multiply: "Mul",
           functional.divide: "Div"}
_UNARY = {functional.negative: "Neg", functional.abs: "Abs"}


def _refuse(operation):
    known = ", ".join(sorted(fn.__name__ for fn in list(_BINARY) + list(_UNARY)))
    function = getattr(operation.fn, "__name__", operation.fn)
    raise NotExportable(f"ONNX export: operation {operation.name!r} ({function}) on symbolic tensors has no ONNX "
                        f"form; the operations exported are {known}. Use layers (e.g. layers.Add) instead")


def operation(b, layer, xs):
    args, kwargs = layer._template
    op_type = _BINARY.get(layer.fn) or _UNARY.get(layer.fn)
    if op_type is None or kwargs or len(args) != (2 if layer.fn in _BINARY else 1):
        _refuse(layer)
    values = iter(xs)
    names = []
    for arg in args:
        if isinstance(arg, SymbolicTensor):
            names.append(next(values).name)
        elif isinstance(arg, Tensor):
            names.append(b.constant(arg.data, f"{layer.name}/constant"))
        elif nest.flatten(arg) and all(isinstance(v, (int, float, np.number, np.ndarray)) for v in nest.flatten(arg)):
            names.append(b.constant(np.asarray(arg), f"{layer.name}/constant"))
        else:
            _refuse(layer)
    return [b.op(op_type, names, layer.name)]
