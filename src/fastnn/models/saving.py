"""Saving and loading models without pickle.

Weights: an .npz archive with one array per weight, keyed '<layer index>/<weight name>',
plus '__layers__', the 'name (Class)' of every layer, for error messages.
Whole model: a zip file holding config.json (architecture and compile settings),
model.weights.npz and, once the optimizer has state, optimizer.npz.
Every file is written to a temporary file in the target folder and then renamed over the
target, so an interrupted save leaves the previous file intact.
"""
import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .. import distribution, losses, optimizers

FORMAT = "fastnn.model"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"
LAYERS_KEY = "__layers__"


def atomic_write(filepath, write):
    """Calls write(file) on a temporary file next to filepath, then renames it to filepath
    (on process 0 only when several processes train together)."""
    if not distribution.is_chief():
        return
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(filepath) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        mode = os.stat(filepath).st_mode & 0o777 if os.path.exists(filepath) else 0o644
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, filepath)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except FileNotFoundError:
            pass
        raise


def _layer_label(layer):
    return f"{layer.name} ({type(layer).__name__})"


def weights_archive(model):
    """{key: array} for every weight of the model, and the layer labels."""
    arrays = {LAYERS_KEY: np.array([_layer_label(layer) for layer in model.layers], dtype=str)}
    for index, layer in enumerate(model.layers):
        for name, weight in zip(layer.weight_names, layer.weights):
            arrays[f"{index}/{name}"] = weight.data
    return arrays


def _require_built(model, action):
    if not model.built:
        raise ValueError(
            f"Cannot {action} an unbuilt model: its weights do not exist yet. Give the first layer an "
            "input_shape, call model.build((None, features)), or fit/predict on data first."
        )


def save_weights(model, filepath):
    _require_built(model, "save the weights of")
    arrays = weights_archive(model)
    atomic_write(filepath, lambda file: np.savez(file, **arrays))


def _read_npz(source, description):
    try:
        with np.load(source, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{description} is not a readable fastnn weights file (.npz): {err}") from None


def read_weights_file(filepath):
    """{key: array} from a save_weights file, or from the weights inside a model.save file."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such weights file: {filepath!r}")
    if zipfile.is_zipfile(filepath):
        with zipfile.ZipFile(filepath) as archive:
            if WEIGHTS_NAME in archive.namelist():
                return _read_npz(io.BytesIO(archive.read(WEIGHTS_NAME)), repr(filepath))
    return _read_npz(filepath, repr(filepath))


def assign_weights(model, arrays, source="the file"):
    """Checks that arrays fit the model layer by layer, then copies them in."""
    saved_labels = [str(label) for label in arrays.get(LAYERS_KEY, [])]
    saved = {}
    for key, value in arrays.items():
        if key == LAYERS_KEY:
            continue
        index, _, name = key.partition("/")
        if not index.isdigit() or not name:
            raise ValueError(f"{source} holds an unexpected entry {key!r}; it was not written by save_weights")
        saved.setdefault(int(index), []).append((name, value))

    def saved_label(index):
        return saved_labels[index] if index < len(saved_labels) else f"layer {index}"

    layers = model.layers
    extra = sorted(i for i in saved if i >= len(layers))
    if extra or (saved_labels and len(saved_labels) != len(layers)):
        raise ValueError(
            f"{source} holds weights for a model of {max(len(saved_labels), max(extra, default=-1) + 1)} layers "
            f"({', '.join(saved_labels)}), but model {model.name!r} has {len(layers)} layers "
            f"({', '.join(_layer_label(layer) for layer in layers)})"
        )
    updates = []
    for index, layer in enumerate(layers):
        expected = [(name, w.data.shape) for name, w in zip(layer.weight_names, layer.weights)]
        found = [(name, value.shape) for name, value in saved.get(index, [])]
        if sorted(expected) != sorted(found):
            raise ValueError(
                f"Layer {index} of model {model.name!r}, {_layer_label(layer)}, has weights "
                f"{_describe(expected)} but {source} holds {_describe(found)} for {saved_label(index)}"
            )
        by_name = dict(saved.get(index, []))
        for name, value in by_name.items():
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{source} holds {name!r} of layer {index} with dtype {value.dtype}, not real numbers")
        updates.extend((weight, by_name[name]) for name, weight in zip(layer.weight_names, layer.weights))
    for weight, value in updates:
        np.copyto(weight.data, value, casting="unsafe")


def _describe(weights):
    return "{" + ", ".join(f"{name}: {tuple(shape)}" for name, shape in weights) + "}" if weights else "none"


def load_weights(model, filepath):
    _require_built(model, "load weights into")
    assign_weights(model, read_weights_file(filepath), source=repr(os.fspath(filepath)))


# whole models -------------------------------------------------------------------------------
def compile_config(model):
    """The compile() arguments in JSON form, or None when some part is custom."""
    config = model._compile_config
    if not model.compiled or config is None:
        return None
    loss = losses.serialize(config["loss"])
    names = config["metrics"]
    if loss is None or not all(isinstance(name, str) for name in names):
        return None
    return {"optimizer": optimizers.serialize(model.optimizer), "loss": loss, "metrics": list(names)}


def save_model(model, filepath):
    _require_built(model, "save")
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "compile_config": compile_config(model),
    }
    weights = _npz_bytes(weights_archive(model))
    optimizer_state = None
    if document["compile_config"] is not None and model.optimizer.built:
        state = model.optimizer.variables()
        optimizer_state = _npz_bytes({f"{i}": value for i, value in enumerate(state)})

    def write(file):
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(CONFIG_NAME, json.dumps(document, indent=1))
            archive.writestr(WEIGHTS_NAME, weights)
            if optimizer_state is not None:
                archive.writestr(OPTIMIZER_NAME, optimizer_state)

    atomic_write(filepath, write)


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def load_model(filepath, custom_objects=None, compile=True):
    """A model saved with model.save(filepath): architecture, weights and, with compile=True,
    the optimizer (with its state), loss and metrics."""
    from .sequential import Sequential

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such model file: {filepath!r}")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"{filepath!r} is not a fastnn model file (expected a zip written by model.save)")
    with zipfile.ZipFile(filepath) as archive:
        names = archive.namelist()
        if CONFIG_NAME not in names or WEIGHTS_NAME not in names:
            raise ValueError(f"{filepath!r} is not a fastnn model file: it lacks {CONFIG_NAME} or {WEIGHTS_NAME}")
        document = json.loads(archive.read(CONFIG_NAME).decode("utf-8"))
        weights = _read_npz(io.BytesIO(archive.read(WEIGHTS_NAME)), repr(filepath))
        optimizer_state = None
        if OPTIMIZER_NAME in names:
            optimizer_state = _read_npz(io.BytesIO(archive.read(OPTIMIZER_NAME)), repr(filepath))
    if document.get("format") != FORMAT or document.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{filepath!r} is not a fastnn model file of a version this fastnn can read")
    models = {"Sequential": Sequential}
    cls = models.get(document.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown model class {document.get('class_name')!r} in {filepath!r}")
    model = cls.from_config(document["config"], custom_objects=custom_objects)
    if not model.built:
        raise ValueError(f"{filepath!r} describes a model without an input shape; it cannot hold weights")
    assign_weights(model, weights, source=repr(filepath))
    config = document.get("compile_config")
    if compile and config is not None:
        model.compile(optimizer=optimizers.deserialize(config["optimizer"]), loss=losses.get(config["loss"])
                      if isinstance(config["loss"], dict) else config["loss"], metrics=config["metrics"])
        if optimizer_state is not None:
            state = [optimizer_state[str(i)] for i in range(len(optimizer_state))]
            model.optimizer.build([model.trainable_parameters().values])
            model.optimizer.set_variables(state)
    return model

