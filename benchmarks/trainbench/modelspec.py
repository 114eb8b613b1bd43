"""The model configurations compare_models.py trains, and what every framework derives from one.

A configuration is a plain dict (it travels to the worker subprocesses as JSON):

- ``layers``: dicts made by dense(units, activation), dropout(rate) and flatten();
- ``input_shape``: the shape of one sample ((784,) for the flattened images, (28, 28) for raw ones);
- ``optimizer``: {"name": "rmsprop" | "adam" | "sgd" | "adagrad", ...}, Keras's defaults for what is left out;
- ``loss``: categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy or mse;
- ``target``: what the model learns from a digit's label: "onehot" (10 float32 columns), "label" (the
  int64 class), "binary" (float32 (n, 1), 1 when the label is >= 5) or "value" (the label as float32 (n, 1));
- ``batch_size`` and ``metrics`` (passed to compile by the Keras-style frameworks).
"""
import copy

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid", "softmax", "linear")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "mse")
TARGETS = ("onehot", "label", "binary", "value")

# Keras 3's defaults; a configuration states only what it changes.
OPTIMIZER_DEFAULTS = {
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
}


def dense(units, activation="linear"):
    return {"type": "dense", "units": units, "activation": activation}


def dropout(rate):
    return {"type": "dropout", "rate": rate}


def flatten():
    return {"type": "flatten"}


def _config(layers, optimizer, loss, target, batch_size, metrics=("accuracy",), input_shape=(784,)):
    return {"layers": layers, "optimizer": optimizer, "loss": loss, "target": target,
            "batch_size": batch_size, "metrics": list(metrics), "input_shape": list(input_shape)}


MODELS = {
    "chapter2": _config(
        [dense(512, "relu"), dense(10, "softmax")],
        {"name": "rmsprop"}, "categorical_crossentropy", "onehot", 128),
    "keras_mnist_mlp": _config(
        [dense(512, "relu"), dropout(0.2), dense(512, "relu"), dropout(0.2), dense(10, "softmax")],
        {"name": "rmsprop"}, "categorical_crossentropy", "onehot", 128),
    "tanh_adam": _config(
        [dense(256, "tanh"), dense(128, "sigmoid"), dense(10, "softmax")],
        {"name": "adam"}, "sparse_categorical_crossentropy", "label", 64),
    "wide_sigmoid_nesterov": _config(
        [dense(1024, "sigmoid"), dropout(0.2), dense(1024, "sigmoid"), dropout(0.2), dense(10, "softmax")],
        {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "nesterov": True},
        "categorical_crossentropy", "onehot", 128),
    "binary_mse": _config(
        [dense(128, "relu"), dense(1, "sigmoid")],
        {"name": "adagrad"}, "binary_crossentropy", "binary", 32),
    "regression_mse": _config(
        [dense(64, "relu"), dense(64, "relu"), dense(1, "linear")],
        {"name": "rmsprop"}, "mse", "value", 16, metrics=()),
    "flatten_images": _config(
        [flatten(), dense(128, "relu"), dense(10, "softmax")],
        {"name": "adam"}, "sparse_categorical_crossentropy", "label", 256, input_shape=(28, 28)),
}


def get(name):
    """A deep copy of configuration `name`, validated."""
    if name not in MODELS:
        raise ValueError(f"unknown model configuration {name!r}; known: {', '.join(MODELS)}")
    spec = copy.deepcopy(MODELS[name])
    validate(name, spec)
    return spec


def validate(name, spec):
    """ValueError naming the configuration and the field that is wrong."""
    for layer in spec["layers"]:
        kind = layer.get("type")
        if kind == "dense":
            if layer["activation"] not in ACTIVATIONS or int(layer["units"]) < 1:
                raise ValueError(f"{name}: bad dense layer {layer}; activations are {ACTIVATIONS}")
        elif kind == "dropout":
            if not 0 <= layer["rate"] < 1:
                raise ValueError(f"{name}: dropout rate must be in [0, 1), received {layer['rate']}")
        elif kind != "flatten":
            raise ValueError(f"{name}: unknown layer type {kind!r}")
    if not any(layer["type"] == "dense" for layer in spec["layers"]):
        raise ValueError(f"{name}: needs at least one dense layer")
    if spec["optimizer"]["name"] not in OPTIMIZER_DEFAULTS:
        raise ValueError(f"{name}: unknown optimizer {spec['optimizer']['name']!r}")
    unknown = set(spec["optimizer"]) - {"name"} - set(OPTIMIZER_DEFAULTS[spec["optimizer"]["name"]])
    if unknown:
        raise ValueError(f"{name}: optimizer {spec['optimizer']['name']} has no argument(s) {sorted(unknown)}")
    if spec["loss"] not in LOSSES:
        raise ValueError(f"{name}: unknown loss {spec['loss']!r}")
    if spec["target"] not in TARGETS:
        raise ValueError(f"{name}: unknown target {spec['target']!r}")
    if int(spec["batch_size"]) < 1:
        raise ValueError(f"{name}: batch_size must be >= 1, received {spec['batch_size']}")


def optimizer_config(spec):
    """(name, every hyper-parameter) with Keras's defaults filled in."""
    name = spec["optimizer"]["name"]
    config = dict(OPTIMIZER_DEFAULTS[name])
    config.update({k: v for k, v in spec["optimizer"].items() if k != "name"})
    return name, config


def input_size(spec):
    return int(np.prod(spec["input_shape"]))


def dense_shapes(spec):
    """(fan_in, units) of every dense layer, in order."""
    shapes, width = [], input_size(spec)
    for layer in spec["layers"]:
        if layer["type"] == "dense":
            shapes.append((width, layer["units"]))
            width = layer["units"]
    return shapes


def initial_weights(spec, seed):
    """[kernel, bias, ...] per dense layer as Keras's defaults draw them: glorot-uniform kernels in
    (fan_in, units) layout, zero biases; float32, drawn once with NumPy."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, units in dense_shapes(spec):
        limit = np.sqrt(6.0 / (fan_in + units))
        weights.append(rng.uniform(-limit, limit, size=(fan_in, units)).astype("float32"))
        weights.append(np.zeros(units, dtype="float32"))
    return weights


def inputs(spec, images):
    """(n, 784) float32 images as the model takes them (a view reshaped to input_shape)."""
    return images.reshape((len(images),) + tuple(spec["input_shape"]))


def targets(spec, labels):
    """What the model is trained on, from integer digit labels."""
    labels = np.asarray(labels, dtype=np.int64)
    kind = spec["target"]
    if kind == "onehot":
        encoded = np.zeros((len(labels), 10), dtype="float32")
        encoded[np.arange(len(labels)), labels] = 1.0
        return encoded
    if kind == "label":
        return labels
    if kind == "binary":
        return (labels >= 5).astype("float32").reshape(-1, 1)
    return labels.astype("float32").reshape(-1, 1)


def accuracy(spec, outputs, labels):
    """Share of test samples right: the arg-max class, the 0.5-thresholded binary output, or the
    regression output rounded to the nearest digit."""
    outputs, labels = np.asarray(outputs), np.asarray(labels)
    kind = spec["target"]
    if kind in ("onehot", "label"):
        return float(np.mean(np.argmax(outputs, axis=1) == labels))
    if kind == "binary":
        return float(np.mean((outputs[:, 0] >= 0.5) == (labels >= 5)))
    return float(np.mean(np.rint(outputs[:, 0]) == labels))


def matmul_products(spec, rows):
    """The matrix products of one training step on `rows` samples, as (what, a_shape, b_shape, transposed).

    Forward x @ W for every dense layer; backward the weight gradient x^T @ dz of every dense layer and
    the input gradient dz @ W^T of every dense layer but the first (the images need none). a_shape and
    b_shape are the operands' shapes as multiplied; `transposed` names the operand ("a", "b" or None)
    that is the transposed view of a row-major array, as in the step (x^T, W^T).
    """
    products = []
    shapes = dense_shapes(spec)
    for i, (fan_in, units) in enumerate(shapes):
        products.append((f"x@W{i + 1}", (rows, fan_in), (fan_in, units), None))
    for i, (fan_in, units) in reversed(list(enumerate(shapes))):
        products.append((f"x^T@dz{i + 1}", (fan_in, rows), (rows, units), "a"))
        if i > 0:
            products.append((f"dz{i + 1}@W{i + 1}^T", (rows, units), (units, fan_in), "b"))
    return products


def batch_sizes(samples, batch_size):
    """The size of every batch of one epoch (the last one holds the remainder, as fit makes it)."""
    full, rest = divmod(samples, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def epoch_matmul_flops(spec, samples):
    """Flops (2 per multiply-add) of every product of one epoch."""
    return sum(2 * m * k * n for rows in batch_sizes(samples, spec["batch_size"])
               for _, (m, k), (_, n), _ in matmul_products(spec, rows))
