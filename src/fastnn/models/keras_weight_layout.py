"""Where each weight of a model sits in Keras 3's weights file (`.weights.h5`, and the
`model.weights.h5` inside a `.keras` archive).

Keras walks the model as an object tree: a model's layers under `layers/<snake_case class
name>[_<n>]` (the counter per class name, in the order of the model's `layers`), a recurrent
layer's weights under `<layer>/cell`, a Bidirectional's under `forward_layer` and
`backward_layer`, a TimeDistributed's under `layer`. Each object's own weights are the datasets
`<path>/vars/0`, `1`, ... (the root's `vars` at the top). A functional model's layers are in
Keras's order: by decreasing depth from the outputs, ties by first visit of a depth-first
walk from the outputs (so a file fits the model Keras rebuilds from the same config).
"""
import re

from ..layers.input_layer import InputLayer

_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN")


def snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def keras_class_name(layer):
    from .functional import Model
    from .sequential import Sequential

    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


def keras_layers(model):
    """model's layers in the order Keras 3 lists them (Sequential: without its InputLayer)."""
    from .sequential import Sequential

    if isinstance(model, Sequential):
        return [layer for layer in model.layers if not isinstance(layer, InputLayer)]
    return _functional_order(model)


def _functional_order(model):
    _, _, flat_inputs, flat_outputs, _ = model._graph
    input_ids = {id(t) for t in flat_inputs}
    finished, visited, first_visit = set(), [], {}

    def visit(tensor):
        node = tensor.node
        if node is None or id(node) in finished:
            return
        is_input = not node.input_tensors
        if not is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        first_visit.setdefault(id(node.layer), len(first_visit))
        if not is_input:
            for parent in node.input_tensors:
                visit(parent)
        finished.add(id(node))
        visited.append(node)

    for tensor in flat_outputs:
        visit(tensor)
    in_graph = {id(node) for node in visited}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(visited):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for parent in node.input_tensors:
            if parent.node is not None and id(parent.node) in in_graph:
                node_depth[id(parent.node)] = max(depth + 1, node_depth.get(id(parent.node), 0))
    for tensor in flat_inputs:
        layer = tensor.node.layer
        if id(layer) not in layer_depth and isinstance(layer, InputLayer):
            layer_depth[id(layer)], first_visit[id(layer)], layers[id(layer)] = 0, -1, layer
    ordered = sorted(layers, key=lambda key: (-layer_depth[key], first_visit[key]))
    return [layers[key] for key in ordered]


def weight_groups(obj, path=""):
    """[(group path, object name, [weights])] of obj and everything in it, as Keras 3 lays them out."""
    from .functional import Model
    from .sequential import Sequential

    groups = [(path, obj.name, [])]
    join = (lambda part: f"{path}/{part}") if path else (lambda part: part)
    class_name = type(obj).__name__
    if isinstance(obj, (Model, Sequential)):
        used = {}
        for layer in keras_layers(obj):
            base = snake_case(keras_class_name(layer))
            count = used.get(base)
            used[base] = 0 if count is None else count + 1
            name = base if count is None else f"{base}_{count + 1}"
            groups += weight_groups(layer, join(f"layers/{name}"))
    elif class_name in _RECURRENT:
        cell = getattr(obj, "cell", None)
        cell_name = getattr(cell, "name", None) or snake_case(class_name) + "_cell"
        groups.append((join("cell"), cell_name, list(obj.weights)))
    elif class_name == "Bidirectional":
        groups += weight_groups(obj.forward_layer, join("forward_layer"))
        groups += weight_groups(obj.backward_layer, join("backward_layer"))
    elif class_name == "TimeDistributed":
        groups += weight_groups(obj.layer, join("layer"))
    else:
        groups[0] = (path, obj.name, list(obj.weights))
    return groups


def vars_path(path):
    return f"{path}/vars" if path else "vars"
