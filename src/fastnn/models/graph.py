"""The graph between a functional model's inputs and outputs: which nodes compute the outputs,
in what order, and running them on values."""
from ..layers import nest
from ..layers.input_layer import InputLayer
from ..layers import symbolic
from ..layers.symbolic import SymbolicTensor, _shape_text


def _describe(tensor):
    layer = tensor.node.layer
    return f"{tensor.name!r} ({type(layer).__name__}, shape {_shape_text(tensor.shape)})"


def nodes_between(inputs, outputs, model_name):
    """The nodes that compute `outputs` from `inputs` (flat lists of symbolic tensors), in the
    order they were made (every node after the nodes it reads). Raises ValueError for an output
    that depends on a tensor which is not among the inputs (a disconnected graph)."""
    known = {id(t) for t in inputs}
    found, pending = {}, [t for t in outputs if id(t) not in known]
    needed_by = {}
    while pending:
        tensor = pending.pop()
        node = tensor.node
        if node is None:
            raise ValueError(f"Model {model_name!r}: {tensor!r} was not made by a layer")
        if id(node) in found:
            continue
        if not node.input_tensors:  # an Input's node: the value must be given
            user = needed_by.get(id(tensor))
            where = f", which layer {user.layer.name!r} ({type(user.layer).__name__}) needs" if user else \
                " (it is one of the outputs)"
            names = ", ".join(_describe(t) for t in inputs) or "none"
            raise ValueError(
                f"Graph disconnected: model {model_name!r} cannot obtain the value of input {_describe(tensor)}"
                f"{where}. The model's inputs are: {names}. Pass every input the outputs depend on to "
                "Model(inputs=...)."
            )
        found[id(node)] = node
        for parent in node.input_tensors:
            if id(parent) not in known:
                needed_by.setdefault(id(parent), node)
                pending.append(parent)
    return sorted(found.values(), key=lambda n: n.creation)


def check_inputs(inputs, model_name):
    for tensor in inputs:
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(
                f"Model {model_name!r}: inputs must be symbolic tensors from fastnn.Input(...) (or outputs of layers "
                f"called on them). Received: {tensor!r} of type {type(tensor).__name__}")
    if len({id(t) for t in inputs}) != len(inputs):
        raise ValueError(f"Model {model_name!r}: the same input tensor is given twice in inputs")


def check_outputs(outputs, model_name):
    for tensor in outputs:
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(
                f"Model {model_name!r}: outputs must be symbolic tensors, the results of layers called on "
                f"fastnn.Input(...). Received: {tensor!r} of type {type(tensor).__name__}")


def layers_of(inputs, nodes):
    """The layers of a graph in order: the InputLayers of its inputs, then each node's layer
    once (operations on symbolic tensors are not layers)."""
    from ..layers.operation import Operation

    layers, seen = [], set()
    for tensor in inputs:
        layer = tensor.node.layer if tensor.node is not None else None
        if isinstance(layer, InputLayer) and id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)
    for node in nodes:
        if not isinstance(node.layer, Operation) and id(node.layer) not in seen:
            seen.add(id(node.layer))
            layers.append(node.layer)
    return layers


def check_unique_names(layers, model_name):
    seen = {}
    for layer in layers:
        other = seen.get(layer.name)
        if other is not None and other is not layer:
            raise ValueError(
                f"The name {layer.name!r} is used 2 times in model {model_name!r}: "
                f"{type(other).__name__} and {type(layer).__name__}. All layer names should be unique.")
        seen[layer.name] = layer


def run(nodes, inputs, values, outputs, training, folds=None):
    """The values of `outputs` (flat symbolic tensors) given `values` for `inputs`, computed by
    calling each node's layer on the values of its input tensors; with `folds`
    (batch_norm_folding.graph_folds), the folded chains as one call each."""
    known = {id(t): v for t, v in zip(inputs, values)}
    with symbolic.running(known):
        _run_nodes(nodes, known, training, folds or {})
    return [known[id(t)] for t in outputs]


def _run_nodes(nodes, known, training, folds):
    skipped = set()
    for node in nodes:
        if id(node) in skipped:
            continue
        call_inputs, args, kwargs = node.values(known)
        fold = folds.get(id(node))
        if fold is not None:
            value = fold[0](call_inputs)
            if value is not None:
                known[id(fold[2])] = value
                skipped.update(fold[1])
                continue
        kwargs.setdefault("training", training)
        results = node.layer(call_inputs, *args, **kwargs)
        flat = nest.flatten(results)
        if len(flat) != len(node.output_tensors):
            raise ValueError(
                f"Layer {node.layer.name!r} ({type(node.layer).__name__}) returned {len(flat)} tensors, but "
                f"when the model was built it returned {len(node.output_tensors)}")
        for tensor, value in zip(node.output_tensors, flat):
            known[id(tensor)] = value
