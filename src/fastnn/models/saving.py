"""Saving and loading models without pickle.

Weights: an .npz archive with one array per weight, keyed '<layer index>/<weight name>',
plus '__layers__', the 'name (Class)' of every layer, for error messages.
Whole model: a zip file holding config.json (architecture and compile settings),
model.weights.npz and, once the optimizer has state, optimizer.npz.
Names ending in .keras, .h5 or .hdf5 are Keras's formats instead: keras_archive, keras_legacy_h5
(whole models) and keras_h5_weights (weights).
Every file is written with atomic_write, so an interrupted save leaves the previous file intact.
"""
import io
import json
import os
import zipfile
import zlib

import numpy as np

from .. import losses, optimizers
from .._arrays import cast_to_fit
from ..layers.weights_from_file import weights_from_file
from . import keras_archive, keras_h5_weights, keras_legacy_h5
from .atomic_write import atomic_write

FORMAT = "fastnn.model"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"
LAYERS_KEY = "__layers__"


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


_HDF5_SUFFIXES = (".h5", ".hdf5", ".keras")


def _refuse_other_formats(filepath, what):
    """fastnn writes zip archives: a name that promises HDF5 or a Keras archive is refused, so
    that no file claims a format it is not in."""
    suffix = os.path.splitext(os.fspath(filepath))[1].lower()
    if suffix in _HDF5_SUFFIXES:
        raise ValueError(
            f"Cannot save {what} to {os.fspath(filepath)!r}: fastnn does not write the {suffix} format. "
            "It writes a zip archive of JSON and .npy files: use a name ending in .fastnn (model.save) "
            "or .npz (model.save_weights)."
        )


def save_weights(model, filepath):
    _require_built(model, "save the weights of")
    if keras_h5_weights.is_keras3_name(filepath) or keras_h5_weights.is_legacy_name(filepath):
        return keras_h5_weights.save_weights(model, filepath)
    _refuse_other_formats(filepath, "the weights")
    arrays = weights_archive(model)
    atomic_write(filepath, lambda file: np.savez(file, **arrays))


NPY_MAGIC = b"\x93NUMPY"


def _check_archive_file(filepath, kind, writer):
    """Raises a clear error unless filepath is an existing zip archive (what `writer` makes)."""
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such {kind} file: {filepath!r}")
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"{filepath!r} is a directory, not a fastnn {kind} file")
    if zipfile.is_zipfile(filepath):
        return
    with open(filepath, "rb") as file:
        is_npy = file.read(len(NPY_MAGIC)) == NPY_MAGIC
    found = "a single NumPy array (.npy)" if is_npy else "not a zip archive"
    raise ValueError(f"{filepath!r} is not a fastnn {kind} file: {writer} writes a zip archive, and this file is {found}")


def _open_zip(filepath, kind):
    try:
        return zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(f"{filepath!r} is a damaged fastnn {kind} file: {err}") from None


def _read_member(archive, name, where):
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{where}: {name} is damaged ({err})") from None


def _read_npz(source, description):
    """{key: array} from an .npz archive (a path or bytes) of plain arrays; pickled objects are refused."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
        if not zipfile.is_zipfile(source):
            raise ValueError(f"{description} is not a fastnn weights file (.npz): it is not a zip archive")
        source.seek(0)
    arrays = {}
    try:
        with np.load(source, allow_pickle=False) as archive:
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except ValueError as err:
                    if "pickle" not in str(err):
                        raise
                    raise ValueError(f"entry {key!r} holds Python objects, which fastnn never saves") from None
                if not isinstance(arrays[key], np.ndarray):
                    raise ValueError(f"entry {key!r} is not a NumPy array (.npy)")
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{description} is not a readable fastnn weights file (.npz): {err}") from None
    return arrays


def read_weights_file(filepath):
    """{key: array} from a save_weights file, or from the weights inside a model.save file."""
    filepath = os.fspath(filepath)
    _check_archive_file(filepath, "weights", "save_weights")
    with _open_zip(filepath, "weights") as archive:
        if WEIGHTS_NAME in archive.namelist():
            return _read_npz(_read_member(archive, WEIGHTS_NAME, repr(filepath)), f"{filepath!r} ({WEIGHTS_NAME})")
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
        for name, weight in zip(layer.weight_names, layer.weights):
            value = by_name[name]
            if value.dtype.kind != "f":
                raise ValueError(
                    f"{source} holds {name!r} of layer {index} with dtype {value.dtype}, not floating-point numbers"
                )
            updates.append((weight, cast_to_fit(value, weight.data.dtype, f"{source}: {name!r} of layer {index}")))
    for weight, value in updates:
        np.copyto(weight.data, value)


def _describe(weights):
    return "{" + ", ".join(f"{name}: {tuple(shape)}" for name, shape in weights) + "}" if weights else "none"


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    _require_built(model, "load weights into")
    if keras_archive.is_keras_name(filepath):
        return keras_archive.load_weights(model, filepath)
    if keras_h5_weights.is_keras3_name(filepath) or keras_h5_weights.is_legacy_name(filepath):
        return keras_h5_weights.load_weights(model, filepath, by_name, skip_mismatch)
    assign_weights(model, read_weights_file(filepath), source=repr(os.fspath(filepath)))


# whole models -------------------------------------------------------------------------------
def compile_config(model):
    """The compile() arguments in JSON form, or None when some part is custom."""
    config = model._compile_config
    if not model.compiled or config is None:
        return None
    loss = _serialized_losses(config["loss"])
    names = config["metrics"]
    if loss is None or not _metric_names(names):
        return None
    saved = {"optimizer": optimizers.serialize(model.optimizer), "loss": loss,
             "metrics": names if isinstance(names, dict) else list(names or [])}
    if config.get("loss_weights") is not None:
        saved["loss_weights"] = config["loss_weights"]
    return saved


def _serialized_losses(loss):
    """A loss in JSON form; for several outputs a list or dict of them (None: not trained)."""
    if isinstance(loss, (list, tuple)):
        parts = [None if part is None else losses.serialize(part) for part in loss]
        return None if any(p is None and q is not None for p, q in zip(parts, loss)) else parts
    if isinstance(loss, dict):
        parts = {key: None if part is None else losses.serialize(part) for key, part in loss.items()}
        return None if any(parts[key] is None and loss[key] is not None for key in loss) else parts
    return None if loss is None else losses.serialize(loss)


def _deserialized_losses(loss):
    if isinstance(loss, list):
        return [_deserialized_losses(part) for part in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {key: _deserialized_losses(part) for key, part in loss.items()}
    return losses.get(loss) if isinstance(loss, dict) else loss


def _metric_names(names):
    """True for metrics given by name: a list (of names or of lists of names) or a dict of them."""
    if names is None:
        return True
    parts = list(names.values()) if isinstance(names, dict) else list(names)
    return all(isinstance(p, str) or (isinstance(p, (list, tuple)) and all(isinstance(q, str) for q in p))
               for p in parts)


def save_model(model, filepath):
    _require_built(model, "save")
    if keras_archive.is_keras_name(filepath):
        return keras_archive.save_keras(model, filepath, compile_config(model))
    if keras_h5_weights.is_legacy_name(filepath):
        return keras_legacy_h5.save_h5(model, filepath, compile_config(model))
    _refuse_other_formats(filepath, "the model")
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


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model saved with model.save(filepath): architecture, weights and, with compile=True,
    the optimizer (with its state), loss and metrics. Reads fastnn's own files, Keras 3's
    `.keras` files and Keras's legacy `.h5`/`.hdf5` model files."""
    from .sequential import Sequential

    if keras_archive.is_keras_name(filepath):
        return keras_archive.load_keras(filepath, custom_objects, compile, safe_mode)
    if keras_h5_weights.is_legacy_name(filepath):
        return keras_legacy_h5.load_h5(filepath, custom_objects, compile, safe_mode)
    filepath = os.fspath(filepath)
    where = repr(filepath)
    _check_archive_file(filepath, "model", "model.save")
    with _open_zip(filepath, "model") as archive:
        names = archive.namelist()
        missing = [name for name in (CONFIG_NAME, WEIGHTS_NAME) if name not in names]
        if missing:
            raise ValueError(f"{where} is not a fastnn model file: it lacks {' and '.join(missing)}")
        document = _parse_config(_read_member(archive, CONFIG_NAME, where), where)
        weights = _read_npz(_read_member(archive, WEIGHTS_NAME, where), f"{where} ({WEIGHTS_NAME})")
        optimizer_state = None
        if OPTIMIZER_NAME in names:
            optimizer_state = _read_npz(_read_member(archive, OPTIMIZER_NAME, where), f"{where} ({OPTIMIZER_NAME})")
    part = f"{where}: {CONFIG_NAME}"
    from .functional import Model

    cls = {"Sequential": Sequential, "Model": Model, "Functional": Model}.get(document["class_name"])
    if cls is None:
        raise ValueError(f"Unknown model class {document['class_name']!r} in {where}")
    try:
        with weights_from_file():
            model = cls.from_config(document["config"], custom_objects=custom_objects)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{part} 'config' describes a model fastnn cannot build: {err}") from None
    if not model.built:
        raise ValueError(f"{where} describes a model without an input shape; it cannot hold weights")
    assign_weights(model, weights, source=where)
    config = document["compile_config"]
    if compile and config is not None:
        try:
            model.compile(optimizer=optimizers.deserialize(config["optimizer"]),
                          loss=_deserialized_losses(config["loss"]), metrics=config["metrics"],
                          loss_weights=config.get("loss_weights"))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{part} 'compile_config' holds settings fastnn cannot compile with: {err}") from None
        if optimizer_state is not None:
            _restore_optimizer(model, optimizer_state, f"{where} ({OPTIMIZER_NAME})")
    return model


def _parse_config(data, where):
    """config.json's document, after checking that it has the parts and types model.save writes."""
    part = f"{where}: {CONFIG_NAME}"
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{part} is not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{part} must hold a JSON object, found {_json_type(document)}")
    if document.get("format") != FORMAT:
        raise ValueError(f"{where} is not a fastnn model file: {CONFIG_NAME} has format "
                         f"{document.get('format')!r}, expected {FORMAT!r}")
    _require(document, "format_version", int, part)
    if document["format_version"] > FORMAT_VERSION:
        raise ValueError(f"{where} was written in format version {document['format_version']}; this fastnn "
                         f"reads versions up to {FORMAT_VERSION}")
    _require(document, "class_name", str, part)
    config = _require(document, "config", dict, part)
    layers = _require(config, "layers", list, f"{part} 'config'")
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise ValueError(f"{part} 'config' 'layers' entry {index} must be an object, found {_json_type(layer)}")
        _require(layer, "class_name", str, f"{part} 'config' 'layers' entry {index}")
        _require(layer, "config", dict, f"{part} 'config' 'layers' entry {index}")
    shape = _require(config, "build_input_shape", (list, type(None)), f"{part} 'config'") \
        if document["class_name"] == "Sequential" else None  # a functional model's inputs have their shapes
    if shape is not None and not all(d is None or _is_int(d) for d in shape):
        raise ValueError(f"{part} 'config' 'build_input_shape' must list integers or nulls, found {shape!r}")
    compile_config = _require(document, "compile_config", (dict, type(None)), part)
    if compile_config is not None:
        where_compile = f"{part} 'compile_config'"
        _require(compile_config, "optimizer", dict, where_compile)
        _require(compile_config, "loss", (str, dict, list), where_compile)
        metrics = _require(compile_config, "metrics", list if document["class_name"] == "Sequential" else (list, dict),
                           where_compile)
        if not _metric_names(metrics):
            raise ValueError(f"{where_compile} 'metrics' must list metric names, found {metrics!r}")
    return document


def _require(mapping, key, types, part):
    """mapping[key], or ValueError naming part and key when it is missing or of another JSON type."""
    if key not in mapping:
        raise ValueError(f"{part} lacks {key!r}")
    value = mapping[key]
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        expected = " or ".join(_JSON_NAMES[t] for t in allowed)
        raise ValueError(f"{part} {key!r} must be {expected}, found {_json_type(value)}")
    return value


_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number",
               bool: "true or false", type(None): "null"}


def _json_type(value):
    name = _JSON_NAMES.get(type(value), type(value).__name__)
    return f"{name} ({json.dumps(value)[:40]})" if not isinstance(value, (dict, list)) else name


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _restore_optimizer(model, state, where):
    """Builds the model's optimizer and loads its saved state (entries '0', '1', ...)."""
    optimizer = model.optimizer
    optimizer.build([model.trainable_parameters().values])
    keys = [str(i) for i in range(len(optimizer.variables()))]
    missing = [key for key in keys if key not in state]
    unexpected = sorted(key for key in state if key not in keys)
    if missing or unexpected:
        problem = f"lacks entries {missing}" if missing else f"holds unexpected entries {unexpected}"
        raise ValueError(f"{where} {problem}: optimizer {optimizer.name!r} has {len(keys)} state variables, "
                         f"saved as entries {keys}")
    try:
        optimizer.set_variables([state[key] for key in keys])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} does not fit the model's optimizer: {err}") from None
