"""The graph networks compare_residual.py trains, described once as data and built from that
description by every framework.

A network is a list of nodes in topological order; each node is a dict with a unique "name", an
"op", the names of its "inputs" and the op's options:

- input (shape), conv (filters, kernel, padding "same"|"valid", activation None|"relu", and optionally
  strides and dilation, both 1 when left out), bn, relu, add, concat (channels, the last axis),
  maxpool (size, strides, padding), gap (global average pooling), flatten (in (h, w, c) order),
  dense (units, activation None|"relu"|"sigmoid"|"softmax"),
  sampling (z = mean + exp(log_var / 2) * eps, eps ~ N(0, 1); inputs mean, log_var).

The last node is the output. Weights are Keras's layouts (conv (k, k, in, out), dense (in, out);
batch normalization gamma, beta, moving mean, moving variance), glorot-uniform kernels and zero
biases drawn once with NumPy, keyed by node name.
"""
import numpy as np


def _node(name, op, inputs=(), **options):
    return {"name": name, "op": op, "inputs": list(inputs), **options}


def _conv(name, source, filters, kernel=3, padding="same", activation=None):
    return _node(name, "conv", [source], filters=filters, kernel=kernel, padding=padding, activation=activation)


def _residual_block(prefix, source, filters):
    """conv-BN-relu-conv-BN, added to `source`, then relu."""
    return [
        _conv(f"{prefix}_conv1", source, filters), _node(f"{prefix}_bn1", "bn", [f"{prefix}_conv1"]),
        _node(f"{prefix}_relu1", "relu", [f"{prefix}_bn1"]),
        _conv(f"{prefix}_conv2", f"{prefix}_relu1", filters), _node(f"{prefix}_bn2", "bn", [f"{prefix}_conv2"]),
        _node(f"{prefix}_add", "add", [source, f"{prefix}_bn2"]), _node(f"{prefix}_out", "relu", [f"{prefix}_add"]),
    ]


def residual():
    """conv-BN-relu stem, a residual block, 2x2 max pooling, another residual block, global average
    pooling, Dense(10, softmax)."""
    return ([_node("images", "input", shape=[28, 28, 1]), _conv("stem_conv", "images", 32),
             _node("stem_bn", "bn", ["stem_conv"]), _node("stem_relu", "relu", ["stem_bn"])]
            + _residual_block("block1", "stem_relu", 32)
            + [_node("pool", "maxpool", ["block1_out"], size=2, strides=2, padding="valid")]
            + _residual_block("block2", "pool", 32)
            + [_node("gap", "gap", ["block2_out"]), _node("classes", "dense", ["gap"], units=10, activation="softmax")])


def inception():
    """A conv stem and pooling, then an Inception module of four branches (1x1; 1x1-3x3; 3x3 max
    pooling-1x1; 1x1-3x3-3x3) concatenated, pooling, global average pooling, Dense(10, softmax)."""
    return [
        _node("images", "input", shape=[28, 28, 1]),
        _conv("stem_conv", "images", 32, padding="valid", activation="relu"),
        _node("stem_pool", "maxpool", ["stem_conv"], size=2, strides=2, padding="valid"),
        _conv("a_1x1", "stem_pool", 16, 1, activation="relu"),
        _conv("b_1x1", "stem_pool", 16, 1, activation="relu"), _conv("b_3x3", "b_1x1", 16, activation="relu"),
        _node("c_pool", "maxpool", ["stem_pool"], size=3, strides=1, padding="same"),
        _conv("c_1x1", "c_pool", 16, 1, activation="relu"),
        _conv("d_1x1", "stem_pool", 16, 1, activation="relu"), _conv("d_3x3a", "d_1x1", 16, activation="relu"),
        _conv("d_3x3b", "d_3x3a", 16, activation="relu"),
        _node("mixed", "concat", ["a_1x1", "b_3x3", "c_1x1", "d_3x3b"]),
        _node("pool", "maxpool", ["mixed"], size=2, strides=2, padding="valid"),
        _node("gap", "gap", ["pool"]), _node("classes", "dense", ["gap"], units=10, activation="softmax"),
    ]


def vae():
    """A dense variational autoencoder of the flattened images (chapter 8.4's structure, dense):
    784 -> 256 relu -> z_mean, z_log_var (2 each) -> sampling -> 256 relu -> 784 sigmoid; the output
    is the reconstruction concatenated with z_mean and z_log_var, for the loss to read."""
    return [
        _node("images", "input", shape=[784]), _node("encoder", "dense", ["images"], units=256, activation="relu"),
        _node("z_mean", "dense", ["encoder"], units=2), _node("z_log_var", "dense", ["encoder"], units=2),
        _node("z", "sampling", ["z_mean", "z_log_var"]),
        _node("decoder", "dense", ["z"], units=256, activation="relu"),
        _node("reconstruction", "dense", ["decoder"], units=784, activation="sigmoid"),
        _node("outputs", "concat", ["reconstruction", "z_mean", "z_log_var"]),
    ]


NETWORKS = {"residual": residual, "inception": inception, "vae": vae}
LATENT = 2  # the VAE's latent size
EPSILON = 1e-7  # inside the logarithms of the VAE's reconstruction loss


def get(name):
    if name not in NETWORKS:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(NETWORKS)}")
    return NETWORKS[name]()


def is_autoencoder(nodes):
    return any(node["op"] == "sampling" for node in nodes)


def shapes(nodes):
    """{name: the shape of one sample of its output}."""
    out = {}
    for node in nodes:
        op, ins = node["op"], [out[i] for i in node["inputs"]]
        if op == "input":
            shape = tuple(node["shape"])
        elif op == "conv":
            h, w, _ = ins[0]
            shape = (conv_length(h, node), conv_length(w, node), node["filters"])
        elif op in ("bn", "relu", "add", "sampling"):
            shape = ins[0]
        elif op == "concat":
            shape = ins[0][:-1] + (sum(s[-1] for s in ins),)
        elif op == "maxpool":
            h, w, c = ins[0]
            if node["padding"] == "same":
                shape = (-(-h // node["strides"]), -(-w // node["strides"]), c)
            else:
                shape = ((h - node["size"]) // node["strides"] + 1, (w - node["size"]) // node["strides"] + 1, c)
        elif op == "gap":
            shape = ins[0][-1:]
        elif op == "flatten":
            shape = (int(np.prod(ins[0])),)
        elif op == "dense":
            shape = ins[0][:-1] + (node["units"],)
        else:
            raise ValueError(f"node {node['name']!r}: unknown op {op!r}")
        if min(shape) < 1:
            raise ValueError(f"node {node['name']!r} ({op}): input {ins[0] if ins else None} is too small "
                             f"for it, output {shape}")
        out[node["name"]] = shape
    return out


def conv_length(length, node):
    """A conv node's output length along one spatial axis of `length` (Keras's 'same' and 'valid')."""
    strides = node.get("strides", 1)
    if node["padding"] == "same":
        return -(-length // strides)
    span = (node["kernel"] - 1) * node.get("dilation", 1) + 1
    return (length - span) // strides + 1 if length >= span else 0


def same_padding(length, node):
    """(before, after) zeros Keras's 'same' adds along an axis of `length` for a conv node: the total
    the output length needs, the odd one after."""
    span = (node["kernel"] - 1) * node.get("dilation", 1) + 1
    total = max((conv_length(length, node) - 1) * node.get("strides", 1) + span - length, 0)
    return total // 2, total - total // 2


def flops_per_sample(nodes):
    """(forward, training) flops of one sample, 2 per multiply-add, of the conv and dense layers only:
    forward; training adds the weight gradients (as many) and the input gradients of every layer but
    those reading the network's input (as many again)."""
    shape = shapes(nodes)
    inputs = {n["name"] for n in nodes if n["op"] == "input"}
    forward = first = 0
    for node in nodes:
        if node["op"] == "conv":
            out = shape[node["name"]]
            flops = 2 * out[0] * out[1] * out[2] * node["kernel"] ** 2 * shape[node["inputs"][0]][-1]
        elif node["op"] == "dense":
            flops = 2 * shape[node["inputs"][0]][-1] * node["units"]
        else:
            continue
        forward += flops
        if node["inputs"][0] in inputs:
            first += flops
    return forward, 3 * forward - first


def initial_weights(nodes, seed):
    """{f"{node}/{i}": array}: each layer's weights in Keras's order and layout, float32."""
    rng = np.random.default_rng(seed)
    shape, weights = shapes(nodes), {}
    for node in nodes:
        name, op = node["name"], node["op"]
        if op in ("conv", "dense"):
            fan_in = shape[node["inputs"][0]][-1]
            units = node["filters"] if op == "conv" else node["units"]
            kshape = (node["kernel"], node["kernel"], fan_in, units) if op == "conv" else (fan_in, units)
            receptive = node["kernel"] ** 2 if op == "conv" else 1
            limit = np.sqrt(6.0 / (receptive * (fan_in + units)))
            arrays = [rng.uniform(-limit, limit, size=kshape), np.zeros(units)]
        elif op == "bn":
            channels = shape[name][-1]
            arrays = [np.ones(channels), np.zeros(channels), np.zeros(channels), np.ones(channels)]
        else:
            continue
        for i, array in enumerate(arrays):
            weights[f"{name}/{i}"] = array.astype(np.float32)
    return weights


def layer_weights(weights, name):
    """The arrays of one layer, in order, from initial_weights' dict."""
    count = sum(1 for key in weights if key.rsplit("/", 1)[0] == name)
    return [weights[f"{name}/{i}"] for i in range(count)]


def synthetic(train, test, seed):
    """MNIST-shaped data that can be learned: (x_train (n, 784) float32 in [0, 1], labels_train, x_test,
    labels_test). Each class is a texture (stripes of one of 5 orientations and 2 frequencies, so that
    local filters and global average pooling tell them apart), randomly shifted, plus noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28]
    angles = np.arange(10) % 5 * np.pi / 5
    frequencies = np.where(np.arange(10) < 5, 0.12, 0.28)

    def draw(n):
        labels = rng.integers(0, 10, n)
        phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
        along = rows * np.cos(angles[labels])[:, None, None] + cols * np.sin(angles[labels])[:, None, None]
        stripes = 0.5 + 0.5 * np.sin(2 * np.pi * frequencies[labels][:, None, None] * along + phase)
        images = 0.7 * stripes + 0.3 * rng.random((n, 28, 28))
        return images.reshape(n, 784).astype(np.float32), labels.astype(np.int64)

    return draw(train) + draw(test)


def build_keras_style(nodes, weights, layers, Input, Model, sampling_layer):
    """The network with a Keras-style API (fastnn's or Keras's own): `layers` the layers module,
    `sampling_layer()` a layer computing the sampling node. Layers are named after the nodes."""
    values, made = {}, []
    for node in nodes:
        name, op, ins = node["name"], node["op"], [values[i] for i in node["inputs"]]
        if op == "input":
            values[name] = Input(shape=tuple(node["shape"]), name=name)
            continue
        if op == "conv":
            layer = layers.Conv2D(node["filters"], node["kernel"], strides=node.get("strides", 1),
                                  padding=node["padding"], dilation_rate=node.get("dilation", 1),
                                  activation=node["activation"], name=name)
        elif op == "bn":
            layer = layers.BatchNormalization(name=name)
        elif op == "relu":
            layer = layers.Activation("relu", name=name)
        elif op == "add":
            layer = layers.Add(name=name)
        elif op == "concat":
            layer = layers.Concatenate(axis=-1, name=name)
        elif op == "maxpool":
            layer = layers.MaxPooling2D(node["size"], strides=node["strides"], padding=node["padding"], name=name)
        elif op == "gap":
            layer = layers.GlobalAveragePooling2D(name=name)
        elif op == "flatten":
            layer = layers.Flatten(name=name)
        elif op == "dense":
            layer = layers.Dense(node["units"], activation=node.get("activation"), name=name)
        elif op == "sampling":
            layer = sampling_layer(name)
        else:
            raise ValueError(f"node {name!r}: unknown op {op!r}")
        values[name] = layer(ins if op in ("add", "concat", "sampling") else ins[0])
        made.append((name, layer))
    model = Model(values[nodes[0]["name"]], values[nodes[-1]["name"]])
    for name, layer in made:
        arrays = layer_weights(weights, name)
        if arrays:
            layer.set_weights(arrays)
    return model
