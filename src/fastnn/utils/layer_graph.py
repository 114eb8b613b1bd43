"""The layers of a model as a graph: which layers there are, which calls of them the model
makes, and which layer's output each one reads. plot_model and the TensorBoard callback draw it."""


def model_kind(model):
    """'sequential', 'functional' (a model made from inputs and outputs) or 'subclassed'."""
    from ..models import Sequential

    if isinstance(model, Sequential):
        return "sequential"
    return "functional" if getattr(model, "_graph", None) is not None else "subclassed"


def check_built(model, what):
    if not model.built:
        raise ValueError(f"{what}: model {model.name!r} has not yet been built. Build it first by calling build() "
                         "or by calling the model on a batch of data (or give its first layer an input shape).")


def layer_nodes(model):
    """[(layer, [its nodes in this model])] in the model's order: a Sequential model's layers
    (without its InputLayer, as Keras draws them), a functional model's InputLayers, layers and
    operations on symbolic tensors; a subclassed model is one entry of itself (no nodes)."""
    kind = model_kind(model)
    if kind == "sequential":
        nodes = model._graph_nodes if len(model._graph_nodes) == len(model.layers) else [None] * len(model.layers)
        return [(layer, [] if node is None else [node]) for layer, node in zip(model.layers, nodes)]
    if kind == "subclassed":
        return [(model, [])]
    _, _, flat_inputs, _, nodes = model._graph
    entries, position = [], {}
    for node in [t.node for t in flat_inputs] + list(nodes):
        if id(node.layer) not in position:
            position[id(node.layer)] = len(entries)
            entries.append((node.layer, []))
        calls = entries[position[id(node.layer)]][1]
        if node not in calls:
            calls.append(node)
    return entries


def connections(model):
    """[(source layer, output index, target layer, input position)]: for each call the model makes,
    each tensor it reads and the layer making it."""
    kind = model_kind(model)
    if kind == "sequential":
        layers = model.layers
        return [(layers[i], 0, layers[i + 1], 0) for i in range(len(layers) - 1)]
    if kind == "subclassed":
        return []
    found = []
    for layer, nodes in layer_nodes(model):
        for node in nodes:
            for position, tensor in enumerate(node.input_tensors):
                found.append((tensor.node.layer, tensor.index, layer, position))
    return found


def layer_graph(model):
    """(layers, [(source, target)]) of the model's own graph (nested models are single layers)."""
    layers = [layer for layer, _ in layer_nodes(model)]
    edges, seen = [], set()
    for source, _, target, _ in connections(model):
        if (id(source), id(target)) not in seen:
            seen.add((id(source), id(target)))
            edges.append((source, target))
    return layers, edges


def first_layer_for_input(model, position):
    """The layer inside a nested model that receives the model's input at `position`: a
    functional model's InputLayer, a Sequential model's first layer (looking into models within)."""
    target = model
    while _is_graph_model(target):
        if model_kind(target) == "functional":
            target = target.inputs[min(position, len(target.inputs) - 1)].node.layer
        else:
            target = target.layers[0]
        position = 0
    return target


def last_layer_for_output(model, index):
    """The layer inside a nested model that makes the model's output `index`."""
    source = model
    while _is_graph_model(source):
        if model_kind(source) == "functional":
            tensor = source.outputs[min(index, len(source.outputs) - 1)]
            source, index = tensor.node.layer, tensor.index
        else:
            source, index = source.layers[-1], 0
    return source


def _is_graph_model(layer):
    from ..models import Model, Sequential

    return isinstance(layer, (Model, Sequential)) and model_kind(layer) != "subclassed" and bool(layer.layers)
