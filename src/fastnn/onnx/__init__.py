"""ONNX export of fastnn models: export_model(model, filepath, opset) writes the inference graph of a
Sequential or functional model (what predict computes) as an ONNX model, through the optional
`onnx` package (pip install "fastnn[onnx]")."""
import os

import numpy as np

DEFAULT_OPSET = 17
MIN_OPSET = 13


def require_onnx():
    """The onnx module, or ImportError naming the extra to install."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError('ONNX export needs the onnx package: pip install "fastnn[onnx]"') from err
    return onnx


def to_onnx(model, opset=DEFAULT_OPSET):
    """The ONNX ModelProto of model's inference graph: inputs named as the model's Input layers,
    outputs as its output layers, the batch axis a dynamic axis named 'batch'."""
    onnx = require_onnx()
    from .builder import GraphBuilder
    from .walk import convert_graph, graph_of

    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"ONNX export: opset must be an integer from {MIN_OPSET} to {newest} "
                         f"(the newest this onnx package knows). Received: opset={opset!r}")
    flat_inputs, flat_outputs, _ = graph_of(model)
    b = GraphBuilder(onnx, opset, "float32")
    names = {}
    graph_inputs, graph_outputs = [], []
    for tensor, name in zip(flat_inputs, model._input_names):
        names[id(tensor)] = b.reserve(name)
        graph_inputs.append(_value_info(onnx, name, tensor))
    output_names = [b.reserve(name) for name in model._output_names]
    computed = convert_graph(b, model, names)
    for tensor, name, value in zip(flat_outputs, output_names, computed):
        b.nodes.append(onnx.helper.make_node("Identity", [value], [name], name=b.fresh(f"{name}/output")))
        graph_outputs.append(_value_info(onnx, name, tensor))
    graph = onnx.helper.make_graph(b.nodes, model.name, graph_inputs, graph_outputs, b.initializers)
    opset_ids = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opset_ids, producer_name="fastnn",
                                   ir_version=onnx.helper.find_min_ir_version_for(opset_ids))
    onnx.checker.check_model(proto)
    return proto


def _value_info(onnx, name, tensor):
    dtype = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(tensor.dtype))
    shape = ["batch"] + list(tensor.shape[1:])
    return onnx.helper.make_tensor_value_info(name, dtype, shape)


def export_model(model, filepath, opset=DEFAULT_OPSET):
    """Writes model's inference graph to filepath as an ONNX model (see to_onnx); returns filepath."""
    from ..models.atomic_write import atomic_write

    data = to_onnx(model, opset).SerializeToString()
    atomic_write(filepath, lambda f: f.write(data))
    return os.fspath(filepath)
