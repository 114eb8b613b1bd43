"""The family of convnets compare_convnet.py trains, described once as data.

A configuration is a dict: "layers" (made by conv, maxpool, gap, flatten and dense below, applied in
order to a 28 x 28 x 1 image), "optimizer" ({"name": "rmsprop" | "adam", ...}, Keras's defaults for
what is left out), "batch_size", "dataset" ("mnist", or "fashion-mnist" where its files are found),
and "about" (one line). Every framework builds it from graphnets nodes (as_nodes), with the same
initial weights (graphnets.initial_weights), and trains it on categorical cross-entropy.
"""
import copy

from . import graphnets

INPUT_SHAPE = [28, 28, 1]
PADDINGS = ("valid", "same")
OPTIMIZERS = ("adam", "rmsprop")
DATASETS = ("mnist", "fashion-mnist")


def conv(filters, kernel, strides=1, padding="valid", dilation=1, activation="relu"):
    return {"type": "conv", "filters": filters, "kernel": kernel, "strides": strides, "padding": padding,
            "dilation": dilation, "activation": activation}


def maxpool(size=2):
    return {"type": "maxpool", "size": size}


def gap():
    return {"type": "gap"}


def flatten():
    return {"type": "flatten"}


def dense(units, activation="relu"):
    return {"type": "dense", "units": units, "activation": activation}


def _config(about, layers, optimizer, batch_size, dataset="mnist"):
    return {"about": about, "layers": layers, "optimizer": {"name": optimizer}, "batch_size": batch_size,
            "dataset": dataset}


CONFIGS = {
    "book_5_1": _config(
        "chapter 5.1's convnet: 3x3 valid convs 32-64-64, 2x2 pooling, Dense(64)",
        [conv(32, 3), maxpool(), conv(64, 3), maxpool(), conv(64, 3), flatten(), dense(64),
         dense(10, "softmax")], "rmsprop", 64),
    "fashion_same_stride2_gap": _config(
        "Fashion-MNIST style: 'same' 3x3 convs, two of stride 2, global average pooling",
        [conv(32, 3, padding="same"), conv(64, 3, strides=2, padding="same"),
         conv(64, 3, strides=2, padding="same"), gap(), dense(10, "softmax")], "adam", 128, "fashion-mnist"),
    "pointwise_1x1": _config(
        "1x1 convolutions between 3x3 ones, global average pooling",
        [conv(32, 3), maxpool(), conv(64, 1), conv(64, 3), conv(128, 1), gap(), dense(10, "softmax")],
        "rmsprop", 64),
    "large_kernels_5x5_7x7": _config(
        "a 5x5 and a 7x7 'same' convolution, batch 32",
        [conv(32, 5, padding="same"), maxpool(), conv(32, 7, padding="same"), maxpool(), flatten(),
         dense(10, "softmax")], "rmsprop", 32),
    "dilated_2": _config(
        "3x3 convolutions of dilation 2, valid and 'same'",
        [conv(32, 3), conv(32, 3, dilation=2), maxpool(), conv(64, 3, dilation=2, padding="same"), maxpool(),
         flatten(), dense(64), dense(10, "softmax")], "adam", 64),
    "wide_256": _config(
        "wide channels 64-128-256, batch 256",
        [conv(64, 3), maxpool(), conv(128, 3), maxpool(), conv(256, 3), flatten(), dense(10, "softmax")],
        "rmsprop", 256),
}


def get(name):
    """A deep copy of configuration `name`, validated."""
    if name not in CONFIGS:
        raise ValueError(f"unknown convnet configuration {name!r}; known: {', '.join(CONFIGS)}")
    config = copy.deepcopy(CONFIGS[name])
    validate(name, config)
    return config


def validate(name, config):
    """ValueError naming the configuration and what is wrong with it."""
    for i, layer in enumerate(config["layers"]):
        kind = layer.get("type")
        where = f"{name}: layer {i} ({kind})"
        if kind == "conv":
            if layer["padding"] not in PADDINGS:
                raise ValueError(f"{where}: padding must be one of {PADDINGS}, received {layer['padding']!r}")
            for key in ("filters", "kernel", "strides", "dilation"):
                if not isinstance(layer[key], int) or layer[key] < 1:
                    raise ValueError(f"{where}: {key} must be a positive integer, received {layer[key]!r}")
            if layer["strides"] > 1 and layer["dilation"] > 1:
                raise ValueError(f"{where}: strides > 1 together with dilation > 1 is not supported")
        elif kind == "dense":
            if not isinstance(layer["units"], int) or layer["units"] < 1:
                raise ValueError(f"{where}: units must be a positive integer, received {layer['units']!r}")
        elif kind not in ("maxpool", "gap", "flatten"):
            raise ValueError(f"{where}: unknown layer type")
    last = config["layers"][-1] if config["layers"] else {}
    if last.get("type") != "dense" or last.get("activation") != "softmax":
        raise ValueError(f"{name}: the last layer must be a softmax dense layer (the loss is categorical "
                         f"cross-entropy), received {last}")
    if config["optimizer"].get("name") not in OPTIMIZERS:
        raise ValueError(f"{name}: optimizer must be one of {OPTIMIZERS}, received {config['optimizer']}")
    if not isinstance(config["batch_size"], int) or config["batch_size"] < 1:
        raise ValueError(f"{name}: batch_size must be a positive integer, received {config['batch_size']!r}")
    if config["dataset"] not in DATASETS:
        raise ValueError(f"{name}: dataset must be one of {DATASETS}, received {config['dataset']!r}")
    graphnets.shapes(as_nodes(config))  # every layer's output is at least 1 x 1


def as_nodes(config):
    """The configuration as a chain of graphnets nodes: the input "images", then one node a layer,
    named after its type and its place among the layers of that type (conv1, conv2, maxpool1, ...)."""
    nodes = [{"name": "images", "op": "input", "inputs": [], "shape": list(INPUT_SHAPE)}]
    counts = {}
    for layer in config["layers"]:
        kind = layer["type"]
        counts[kind] = counts.get(kind, 0) + 1
        node = {"name": f"{kind}{counts[kind]}", "op": kind, "inputs": [nodes[-1]["name"]]}
        node.update({k: v for k, v in layer.items() if k != "type"})
        if kind == "maxpool":
            node.update(strides=layer["size"], padding="valid")
        nodes.append(node)
    return nodes
