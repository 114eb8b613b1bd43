"""A functional model's configuration, in the shape Keras 3 writes it: its layers in order, each
with its config and the calls it makes in the graph (`inbound_nodes`: the call's arguments,
symbolic tensors written as [layer name, node index, tensor index]), and the input and output
tensors. `model_from_config` makes the graph again from it."""
import json

from ..layers import nest
from ..layers import serialize as serialize_layer
from ..layers.input_layer import InputLayer
from ..layers.operation import Operation
from ..layers.symbolic import SymbolicTensor

TENSOR = "__keras_tensor__"


def graph_config(model):
    inputs, outputs, flat_inputs, _, nodes = model._graph
    operations = [node.layer.name for node in nodes if isinstance(node.layer, Operation)]
    if operations:
        raise ValueError(
            f"Model {model.name!r} computes with operations on symbolic tensors ({', '.join(operations)}), which "
            "fastnn does not save: write them as layers (layers.Add, layers.Multiply, a Lambda...) or rebuild "
            "the model in code and use save_weights/load_weights")
    for tensor in flat_inputs:
        if not isinstance(tensor.node.layer, InputLayer):
            raise ValueError(f"Model {model.name!r} starts from {tensor.name!r}, a layer's output rather than an "
                             "Input: fastnn saves models whose inputs are Inputs")
    own, counts = {}, {}  # id(node) -> its index among its layer's nodes in this model
    for node in [t.node for t in flat_inputs] + nodes:
        if id(node) not in own:
            own[id(node)] = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = own[id(node)] + 1
    by_layer = {}
    for node in nodes:
        by_layer.setdefault(id(node.layer), []).append(node)

    def history(tensor):
        return [tensor.node.layer.name, own[id(tensor.node)], tensor.index]

    def argument(value):
        if isinstance(value, SymbolicTensor):
            return {"class_name": TENSOR, "config": {"shape": list(value.shape), "dtype": value.dtype,
                                                   "keras_history": history(value)}}
        if isinstance(value, dict):
            return {key: argument(v) for key, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [argument(v) for v in value]
        try:
            json.dumps(value)
        except TypeError:
            raise ValueError(f"Model {model.name!r}: a layer call's argument {value!r} cannot be saved") from None
        return value

    layers = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
            {"args": [argument(node.arguments[0])] + [argument(a) for a in node.arguments[1]],
             "kwargs": {k: argument(v) for k, v in node.arguments[2].items()}}
            for node in by_layer.get(id(layer), [])]
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": nest.map_structure(history, inputs),
            "output_layers": nest.map_structure(history, outputs)}


def _is_history(value):
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and \
        all(isinstance(v, int) for v in value[1:])


def model_from_config(cls, config, custom_objects=None):
    """The functional model described by graph_config's dict, with new layers."""
    from ..layers import deserialize as deserialize_layer

    layers, produced, pending = {}, {}, {}  # produced: (layer, node index) -> flat outputs
    for entry in config["layers"]:
        name = entry.get("name") or entry.get("config", {}).get("name")
        layer = deserialize_layer(entry, custom_objects)
        layers[name] = layer
        if isinstance(layer, InputLayer):
            produced[(name, 0)] = [layer.output]
        pending[name] = list(entry.get("inbound_nodes", []))

    def value(arg):
        if isinstance(arg, dict) and arg.get("class_name") == TENSOR:
            key = tuple(arg["config"]["keras_history"][:2])
            if key not in produced:
                raise KeyError(key)
            return produced[key][arg["config"]["keras_history"][2]]
        if isinstance(arg, dict):
            return {k: value(v) for k, v in arg.items()}
        if isinstance(arg, list):
            return [value(v) for v in arg]
        return arg

    progress = True
    while progress and any(pending.values()):
        progress = False
        for name, nodes in pending.items():
            while nodes:
                try:
                    args = [value(a) for a in nodes[0]["args"]]
                    kwargs = {k: value(v) for k, v in nodes[0]["kwargs"].items()}
                except KeyError:
                    break
                outputs = layers[name](*args, **kwargs)
                produced[(name, sum(1 for key in produced if key[0] == name))] = nest.flatten(outputs)
                nodes.pop(0)
                progress = True
    if any(pending.values()):
        stuck = [name for name, nodes in pending.items() if nodes]
        raise ValueError(f"The model config's layers {stuck} read tensors that no layer of it makes")

    def tensor(history):
        key = (history[0], history[1])
        if key not in produced:
            raise ValueError(f"The model config names the tensor {history}, which no layer of it makes")
        return produced[key][history[2]]

    def structure(value):
        if _is_history(value):
            return tensor(value)
        if isinstance(value, dict):
            return {k: structure(v) for k, v in value.items()}
        return [structure(v) for v in value]

    model = cls(structure(config["input_layers"]), structure(config["output_layers"]), name=config.get("name"),
                trainable=config.get("trainable", True))
    order = [entry.get("name") or entry.get("config", {}).get("name") for entry in config["layers"]]
    if sorted(order) == sorted(layer.name for layer in model._layers):
        model._layers = [layers[name] for name in order]  # the saved order, which the weights follow
    return model
