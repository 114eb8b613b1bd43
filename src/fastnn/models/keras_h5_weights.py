"""Keras HDF5 weight files: Keras 3's `.weights.h5` layout and the Keras 2 legacy `.h5` layout.

Keras 3: `layers/<snake_case class name>[_<n>]/vars/<i>`, as keras_weight_layout lays it out.
Keras 2: root attrs layer_names/backend/keras_version; a group per layer whose attr
weight_names lists the dataset paths of its weights, in the layer's order.
Every weight is checked against the model before any is assigned.
"""
import os
import re

import numpy as np

from .atomic_write import atomic_write
from .keras_weight_layout import keras_layers, vars_path, weight_groups


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


def write_keras3(file, model):
    """Writes model's weights into an open h5py File in Keras 3's layout."""
    for path, name, weights in weight_groups(model):
        group = file.create_group(vars_path(path))
        group.attrs["name"] = name
        for i, weight in enumerate(weights):
            group.create_dataset(str(i), data=weight.data)


def legacy_weights(layer):
    """(names, weights) of a layer in Keras 2's order: the trainable weights, then the others."""
    trainable = {id(w) for w in layer.trainable_weights}
    pairs = list(zip(layer.weight_names, layer.weights))
    ordered = [p for p in pairs if id(p[1]) in trainable] + [p for p in pairs if id(p[1]) not in trainable]
    return [name for name, _ in ordered], [weight for _, weight in ordered]


def write_legacy(group_or_file, model, layers=None):
    """Writes model's weights (of `layers`, default the model's layers in Keras's order) into an
    h5py File or group in Keras 2's layout."""
    layers = keras_layers(model) if layers is None else layers
    group_or_file.attrs["layer_names"] = np.array([layer.name.encode() for layer in layers])
    group_or_file.attrs["backend"] = b"fastnn"
    group_or_file.attrs["keras_version"] = b"3.0.0"
    for layer in layers:
        group = group_or_file.create_group(layer.name)
        weight_names, weights = legacy_weights(layer)
        names = [f"{layer.name}/{name}:0" for name in weight_names]
        group.attrs["weight_names"] = np.array([n.encode() for n in names])
        for name, weight in zip(names, weights):
            group.create_dataset(name, data=weight.data)


def save_weights(model, filepath):
    """Writes the file atomically: a save that fails leaves the previous file as it was."""
    h5py = _h5py()
    write_layout = write_keras3 if is_keras3_name(filepath) else write_legacy

    def write(target):
        with h5py.File(target, "w") as file:
            write_layout(file, model)

    atomic_write(filepath, write)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def check_and_assign(groups, where):
    """groups: [(owner name, [weights], [weight names], [arrays or h5py datasets])]; raises before
    assigning anything when a count, a shape or a dtype does not fit. A dataset of the weight's
    dtype is read straight into the weight."""
    for owner, weights, names, arrays in groups:
        if len(arrays) != len(weights):
            raise ValueError(f"{where}: layer {owner!r} has {len(weights)} weights, the file holds {len(arrays)}")
        for name, weight, value in zip(names, weights, arrays):
            if value.shape != weight.data.shape:
                raise ValueError(f"{where}: weight {name!r} of layer {owner!r} has shape "
                                 f"{weight.data.shape} in the model but {value.shape} in the file")
            if value.dtype.kind not in "fiu":
                raise ValueError(f"{where}: weight {name!r} of layer {owner!r} holds values of dtype {value.dtype}, "
                                 "not real numbers")
    for _, weights, _, arrays in groups:
        for weight, value in zip(weights, arrays):
            if hasattr(value, "read_direct") and value.dtype == weight.data.dtype and value.size:
                value.read_direct(weight.data)
            else:
                np.copyto(weight.data, np.asarray(value), casting="same_kind")


def read_keras3(file, model, where, assign=False):
    """[(owner name, weights, weight names, arrays)] for model from an h5py File in Keras 3's layout.

    assign=True (for a model just made to receive them) assigns each layer's weights as soon as
    they are read and checked, so that no more than one layer's arrays are held at a time."""
    groups = []
    for path, name, weights in weight_groups(model):
        if not weights:
            continue
        group_path = vars_path(path)
        group = file.get(group_path)
        if group is None or not hasattr(group, "keys"):
            if "layers" not in file:
                raise ValueError(f"{where} is not in Keras 3's weights layout: it has no 'layers' group")
            raise ValueError(f"{where} has no weights for layer {name!r} (expected the group {group_path!r})")
        arrays = []
        for i in range(len(group)):
            if str(i) not in group:
                raise ValueError(f"{where}: the group {group_path!r} of layer {name!r} lacks the dataset {str(i)!r}")
            arrays.append(group[str(i)] if assign else np.asarray(group[str(i)]))
        groups.append((name, weights, [f"{path}/vars/{i}" for i in range(len(weights))], arrays))
        if assign:
            check_and_assign(groups, where)
            groups = []
    return groups


def read_legacy(file, model, where, by_name=False, skip_mismatch=False):
    """[(layer, [arrays])] from an h5py File or group in Keras 2's layout."""
    if "layer_names" not in file.attrs:
        if "layers" in file:
            raise ValueError(f"{where} is in Keras 3's layout: name it *.weights.h5 to load it")
        raise ValueError(f"{where} is not a Keras weights file: it has no 'layer_names' attribute")
    saved = {}
    for name in (_text(n) for n in file.attrs["layer_names"]):
        group = file.get(name)
        if group is None or not hasattr(group, "attrs"):
            raise ValueError(f"{where} lists layer {name!r} in 'layer_names' but has no group for it")
        arrays = []
        for weight_name in (_text(w) for w in group.attrs.get("weight_names", [])):
            if weight_name not in group:
                raise ValueError(f"{where}: layer {name!r} lists the weight {weight_name!r} but the file has "
                                 "no dataset for it")
            arrays.append(np.asarray(group[weight_name]))
        saved[name] = arrays
    if by_name:
        pairs = []
        for layer in model.layers:
            arrays = saved.get(layer.name)
            if arrays is None:
                continue
            weights = legacy_weights(layer)[1]
            fits = len(arrays) == len(weights) and all(a.shape == w.data.shape for a, w in zip(arrays, weights))
            if fits or not skip_mismatch:
                pairs.append((layer, arrays))
        return pairs
    with_weights = [layer for layer in keras_layers(model) if layer.weights]
    saved_with = [(name, arrays) for name, arrays in saved.items() if arrays]
    if len(with_weights) != len(saved_with):
        raise ValueError(f"{where} holds weights for {len(saved_with)} layers "
                         f"({', '.join(n for n, _ in saved_with)}) but model {model.name!r} has "
                         f"{len(with_weights)} layers with weights ({', '.join(l.name for l in with_weights)})")
    return [(layer, arrays) for layer, (_, arrays) in zip(with_weights, saved_with)]


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    where = repr(os.fspath(filepath))
    with _open(filepath, "r") as file:
        if is_keras3_name(filepath):
            groups = read_keras3(file, model, where)
        else:
            groups = layer_groups(read_legacy(file, model, where, by_name, skip_mismatch))
    check_and_assign(groups, where)


def layer_groups(pairs):
    """read_legacy's [(layer, arrays)] as check_and_assign's groups."""
    return [(layer.name, legacy_weights(layer)[1], legacy_weights(layer)[0], arrays) for layer, arrays in pairs]
