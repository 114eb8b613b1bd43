"""Keras's legacy HDF5 model files (`model.save('m.h5')`), as Keras 2 wrote them and Keras 3
still reads and writes them.

Root attributes: `model_config` (JSON {'class_name', 'config'}), `training_config` (JSON of the
compile settings, the optimizer as `optimizer_config`), `keras_version`, `backend`. The group
`model_weights` holds the weights in Keras 2's layout (keras_h5_weights.write_legacy), and
`optimizer_weights` the optimizer's variables in order, listed by its `weight_names` attribute.
"""
import json
import os

import numpy as np

from .atomic_write import atomic_write
from .keras_archive import KERAS_VERSION, compile_from_document, model_document, model_from_document
from .keras_compile import compile_to_keras, optimizer_state_from_keras, optimizer_state_to_keras
from .keras_h5_weights import _h5py, _text, check_and_assign, legacy_weights, write_legacy
from .keras_weight_layout import keras_layers

WEIGHTS_GROUP = "model_weights"
OPTIMIZER_GROUP = "optimizer_weights"


# loss names Keras's legacy loader cannot look up (it finds metric functions for them)
_LOSS_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


def _legacy_loss(loss):
    if isinstance(loss, list):
        return [_legacy_loss(part) for part in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {key: _legacy_loss(part) for key, part in loss.items()}
    return _LOSS_NAMES.get(loss, loss) if isinstance(loss, str) else loss


def _training_config(saved_compile):
    keras_compile = compile_to_keras(saved_compile)
    if keras_compile is None:
        return None
    keras_compile["loss"] = _legacy_loss(keras_compile["loss"])
    optimizer = keras_compile.pop("optimizer")
    keras_compile["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
    return keras_compile


def save_h5(model, filepath, saved_compile):
    h5py = _h5py()
    document = model_document(model, None)
    model_config = {"class_name": document["class_name"], "config": document["config"]}
    training_config = _training_config(saved_compile)
    state = optimizer_state_to_keras(model) if training_config is not None else None

    def write(target):
        with h5py.File(target, "w") as file:
            _write_model_file(file, model_config, training_config, model, state)

    atomic_write(filepath, write)


def _write_model_file(file, model_config, training_config, model, state):
    """Keras 2's model file: the configs as root attributes, the weights and the optimizer's state."""
    file.attrs["model_config"] = json.dumps(model_config)
    if training_config is not None:
        file.attrs["training_config"] = json.dumps(training_config)
    file.attrs["keras_version"] = KERAS_VERSION
    file.attrs["backend"] = "fastnn"
    write_legacy(file.create_group(WEIGHTS_GROUP), model, keras_layers(model))
    if state is not None:
        group = file.create_group(OPTIMIZER_GROUP)
        names = [f"{model.optimizer.name}/variable_{i}" for i in range(len(state))]
        group.attrs["weight_names"] = np.array([n.encode() for n in names])
        for name, value in zip(names, state):
            group.create_dataset(name, data=value)


def _attribute(file, name, where):
    value = file.attrs.get(name)
    if value is None:
        return None
    text = _text(value)
    try:
        document = json.loads(text)
    except ValueError as err:
        raise ValueError(f"{where}: the attribute {name!r} is not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{where}: the attribute {name!r} must hold a JSON object")
    return document


def _load_weights(group, model, where):
    """Assigns the weights of the new model's layers, found by name in Keras 2's layout, layer by
    layer as each is read and checked."""
    if "layer_names" not in group.attrs:
        raise ValueError(f"{where}: the group {WEIGHTS_GROUP!r} has no 'layer_names' attribute")
    saved = set(_text(n) for n in group.attrs["layer_names"])
    for layer in model.layers:
        names, weights = legacy_weights(layer)
        if not weights:
            continue
        if layer.name not in saved or layer.name not in group:
            raise ValueError(f"{where} holds no weights for layer {layer.name!r} ({type(layer).__name__})")
        layer_group = group[layer.name]
        arrays = []
        for weight_name in (_text(w) for w in layer_group.attrs.get("weight_names", [])):
            if weight_name not in layer_group:
                raise ValueError(f"{where}: layer {layer.name!r} lists the weight {weight_name!r}, which is missing")
            arrays.append(layer_group[weight_name])
        check_and_assign([(layer.name, weights, names, arrays)], where)


def _read_optimizer(file):
    group = file.get(OPTIMIZER_GROUP)
    if group is None or "weight_names" not in group.attrs:
        return None
    return [np.asarray(group[_text(name)]) for name in group.attrs["weight_names"]] or None


def load_h5(filepath, custom_objects=None, compile=True, safe_mode=True):
    h5py = _h5py()
    filepath = os.fspath(filepath)
    where = repr(filepath)
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"No such model file: {filepath!r}")
    try:
        file = h5py.File(filepath, "r")
    except OSError as err:
        raise ValueError(f"{where} is not an HDF5 file (damaged or truncated?): {err}") from None
    with file:
        model_config = _attribute(file, "model_config", where)
        if model_config is None:
            hint = " (it holds weights only: build the model and call load_weights)" if "layer_names" in file.attrs \
                else ""
            raise ValueError(f"{where} is not a Keras model file: it has no 'model_config' attribute{hint}")
        if not isinstance(model_config.get("class_name"), str) or not isinstance(model_config.get("config"), dict):
            raise ValueError(f"{where}: model_config must hold 'class_name' and 'config'")
        model = model_from_document(model_config, where, custom_objects, safe_mode)
        if WEIGHTS_GROUP not in file:
            raise ValueError(f"{where} has no {WEIGHTS_GROUP!r} group")
        _load_weights(file[WEIGHTS_GROUP], model, where)
        training_config = _attribute(file, "training_config", where) if compile else None
        optimizer_arrays = _read_optimizer(file) if training_config else None
    if training_config:
        config = dict(training_config)
        config["optimizer"] = config.pop("optimizer_config", None)
        if compile_from_document(model, {"compile_config": config}, where) and optimizer_arrays is not None:
            optimizer_state_from_keras(model, optimizer_arrays, where)
    return model
