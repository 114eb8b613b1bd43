"""Walking a model's graph: each node's layer converted in order, nested models walked in place."""
from ..layers import nest
from ..layers.lambda_layer import Lambda
from ..layers.operation import Operation
from . import operations
from .builder import Value
from .converters import CONVERTERS
from .errors import NotExportable, refuse


def graph_of(model):
    """(flat input tensors, flat output tensors, nodes in order) of a built Sequential or functional model."""
    from ..models import Model, Sequential

    if isinstance(model, Sequential):
        if not model.built:
            raise ValueError(f"ONNX export: Sequential model {model.name!r} is not built yet: give it an input shape "
                             "(layers.Input(shape=...) first, or input_shape= on the first layer) or call build()")
        return [model.input], [model.output], list(model._graph_nodes)
    if isinstance(model, Model) and model._is_graph:
        _, _, flat_inputs, flat_outputs, nodes = model._graph
        return list(flat_inputs), list(flat_outputs), list(nodes)
    raise NotExportable(f"ONNX export: model {getattr(model, 'name', model)!r} ({type(model).__name__}) has no graph "
                        "of layers (a subclassed Model computes in Python code); build it with the functional API or "
                        "Sequential to export it")


def convert_graph(b, model, names):
    """Writes the nodes of model's graph; names maps id(symbolic tensor) -> ONNX name and must hold
    the model's inputs. Returns the ONNX names of its outputs."""
    _, flat_outputs, nodes = graph_of(model)
    for node in nodes:
        outputs = convert_node(b, node, names)
        if len(outputs) != len(node.output_tensors):
            raise AssertionError(f"layer {node.layer.name!r}: {len(outputs)} ONNX outputs for "
                                 f"{len(node.output_tensors)} tensors")
        for tensor, name in zip(node.output_tensors, outputs):
            names[id(tensor)] = name
    return [names[id(t)] for t in flat_outputs]


def convert_node(b, node, names):
    from ..models import Model, Sequential

    layer = node.layer
    inputs, args, kwargs = node.arguments
    flat_inputs = nest.flatten(inputs)
    if len(flat_inputs) != len(node.input_tensors):
        refuse(layer, "it was called with tensors other than its inputs (initial_state, mask, ...)")
    if kwargs.get("training"):
        refuse(layer, "it was called with training=True, which fixes its training behaviour in the graph")
    if isinstance(layer, Operation):
        return operations.operation(b, layer, [Value(names[id(t)], t.shape) for t in flat_inputs])
    if isinstance(layer, Lambda):
        refuse(layer, "a Lambda layer runs Python code, which has no ONNX form")
    if isinstance(layer, (Sequential, Model)):
        inner_inputs, _, _ = graph_of(layer)
        inner = {id(t): names[id(x)] for t, x in zip(inner_inputs, flat_inputs)}
        return convert_graph(b, layer, inner)
    converter = CONVERTERS.get(type(layer))
    if converter is None:
        refuse(layer, "fastnn has no ONNX converter for this layer class")
    return converter(b, layer, [Value(names[id(t)], t.shape) for t in flat_inputs])
