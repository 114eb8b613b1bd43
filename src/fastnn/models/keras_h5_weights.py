"""Keras HDF5 weight files: Keras 3's `.weights.h5` layout and the Keras 2 legacy `.h5` layout.

Keras 3: `layers/<snake_case class name>[_<n>]/vars/<i>`, one group per layer in model order.
Keras 2: root attrs layer_names/backend/keras_version; a group per layer whose attr
weight_names lists the dataset paths of its weights, in the layer's order.
Every weight is checked against the model before any is assigned.
"""
import os
import re

import numpy as np


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError('Keras HDF5 weight files need h5py: pip install "fastnn[h5]"') from None
    return h5py


def is_keras3_name(filepath):
    return os.fspath(filepath).lower().endswith(".weights.h5")


def is_legacy_name(filepath):
    name = os.fspath(filepath).lower()
    return name.endswith((".h5", ".hdf5")) and not is_keras3_name(name)


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras3_paths(model):
    """[(layer, group path)] with Keras 3's per-class counters."""
    counts, paths = {}, []
    for layer in model.layers:
        base = _snake(type(layer).__name__)
        n = counts.get(base, 0)
        counts[base] = n + 1
        paths.append((layer, f"layers/{base}" if n == 0 else f"layers/{base}_{n}"))
    return paths


def _open(filepath, mode):
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if mode == "r" and not os.path.isfile(filepath):
        raise FileNotFoundError(f"No such weights file: {filepath!r}")
    try:
        return h5py.File(filepath, mode)
    except OSError as err:
        raise ValueError(f"{filepath!r} is not an HDF5 file: {err}") from None


def save_weights(model, filepath):
    with _open(filepath, "w") as file:
        if is_keras3_name(filepath):
            file.create_group("vars").attrs["name"] = model.name
            for layer, path in _keras3_paths(model):
                group = file.create_group(f"{path}/vars")
                group.attrs["name"] = layer.name
                for i, weight in enumerate(layer.weights):
                    group.create_dataset(str(i), data=weight.data)
            return
        file.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
        file.attrs["backend"] = b"fastnn"
        file.attrs["keras_version"] = b"3.0.0"
        for layer in model.layers:
            group = file.create_group(layer.name)
            names = [f"{layer.name}/{name}:0" for name in layer.weight_names]
            group.attrs["weight_names"] = np.array([n.encode() for n in names])
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=weight.data)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _check_and_assign(model, pairs, filepath):
    """pairs: [(layer, [arrays])]; raises before assigning anything when a shape differs."""
    for layer, arrays in pairs:
        if len(arrays) != len(layer.weights):
            raise ValueError(f"{filepath!r}: layer {layer.name!r} has {len(layer.weights)} weights, "
                             f"the file holds {len(arrays)}")
        for name, weight, value in zip(layer.weight_names, layer.weights, arrays):
            if value.shape != weight.data.shape:
                raise ValueError(f"{filepath!r}: weight {name!r} of layer {layer.name!r} has shape "
                                 f"{weight.data.shape} in the model but {value.shape} in the file")
    for layer, arrays in pairs:
        for weight, value in zip(layer.weights, arrays):
            np.copyto(weight.data, value.astype(weight.data.dtype))


def _read_keras3(file, model, filepath):
    if "layers" not in file:
        raise ValueError(f"{filepath!r} is not a Keras 3 .weights.h5 file: it has no 'layers' group")
    pairs = []
    for layer, path in _keras3_paths(model):
        vars_path = f"{path}/vars"
        if layer.weights and vars_path not in file:
            raise ValueError(f"{filepath!r} has no weights for layer {layer.name!r} (expected group {path!r})")
        group = file[vars_path] if vars_path in file else {}
        pairs.append((layer, [np.asarray(group[str(i)]) for i in range(len(group))]))
    return pairs


def _read_legacy(file, model, filepath, by_name, skip_mismatch):
    if "layer_names" not in file.attrs:
        if "layers" in file:
            raise ValueError(f"{filepath!r} is in Keras 3's layout: name it *.weights.h5 to load it")
        raise ValueError(f"{filepath!r} is not a Keras weights file: it has no 'layer_names' attribute")
    saved = {}
    for name in (_text(n) for n in file.attrs["layer_names"]):
        group = file[name]
        saved[name] = [np.asarray(group[_text(w)]) for w in group.attrs.get("weight_names", [])]
    if by_name:
        pairs = []
        for layer in model.layers:
            arrays = saved.get(layer.name)
            if arrays is None:
                continue
            fits = len(arrays) == len(layer.weights) and all(
                a.shape == w.data.shape for a, w in zip(arrays, layer.weights))
            if fits or not skip_mismatch:
                pairs.append((layer, arrays))
        return pairs
    with_weights = [layer for layer in model.layers if layer.weights]
    saved_with = [(name, arrays) for name, arrays in saved.items() if arrays]
    if len(with_weights) != len(saved_with):
        raise ValueError(f"{filepath!r} holds weights for {len(saved_with)} layers "
                         f"({', '.join(n for n, _ in saved_with)}) but model {model.name!r} has "
                         f"{len(with_weights)} layers with weights ({', '.join(l.name for l in with_weights)})")
    return [(layer, arrays) for layer, (_, arrays) in zip(with_weights, saved_with)]


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    with _open(filepath, "r") as file:
        if is_keras3_name(filepath):
            pairs = _read_keras3(file, model, filepath)
        else:
            pairs = _read_legacy(file, model, filepath, by_name, skip_mismatch)
    _check_and_assign(model, pairs, os.fspath(filepath))
