"""Keras 3's `.keras` model files: a zip archive of config.json (the model as Keras's
serialize_keras_object writes it, with its compile_config), metadata.json and
model.weights.h5 (the weights in Keras 3's layout, then the optimizer's state under
`optimizer/vars`).

Loading reads everything (config, weights, optimizer state) into a new model, checking each
part before it is used; a file that fails any check raises a ValueError naming the file and the
layer, and no model is returned.
"""
import datetime
import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib

import numpy as np

from ..layers import deserialize as deserialize_layer
from ..layers import serialize as serialize_layer
from ..layers.weights_from_file import weights_from_file
from .atomic_write import atomic_write
from .keras_compile import compile_from_keras, compile_to_keras, optimizer_state_from_keras, optimizer_state_to_keras
from .keras_config import from_keras, to_keras
from .keras_h5_weights import _h5py, check_and_assign, read_keras3, write_keras3
from .stored_member import StoredMember

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
COPY_CHUNK = 4 << 20  # bytes of the weights file copied into the archive at a time
KERAS_VERSION = "3.0.0"
MAX_CONFIG_BYTES = 64 << 20
MAX_EXPANSION = 200  # zip members larger than this many times their compressed size are refused


def is_keras_name(filepath):
    return os.fspath(filepath).lower().endswith(".keras")


def build_shapes(model):
    """{layer name: input shape} of every built layer in model, nested models included."""
    from .functional import Model
    from .sequential import Sequential

    shapes = {}
    for layer in model.layers:
        if getattr(layer, "built", False) and getattr(layer, "input_shape", None) is not None:
            shapes[layer.name] = layer.input_shape
        if isinstance(layer, (Model, Sequential)):
            shapes.update(build_shapes(layer))
    return shapes


def model_document(model, saved_compile):
    """config.json's object for model (saved_compile: saving.compile_config(model))."""
    document = to_keras(serialize_layer(model), build_shapes(model))
    keras_compile = compile_to_keras(saved_compile)
    if keras_compile is not None:
        document["compile_config"] = keras_compile
    return document


def write_optimizer_state(file, model, path="optimizer"):
    state = optimizer_state_to_keras(model)
    if state is None:
        return
    group = file.create_group(f"{path}/vars")
    group.attrs["name"] = model.optimizer.name
    for i, value in enumerate(state):
        group.create_dataset(str(i), data=value)


def save_keras(model, filepath, saved_compile):
    document = model_document(model, saved_compile)
    config_json = json.dumps(document)
    metadata = json.dumps({"keras_version": KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})

    def weights(file):
        write_keras3(file, model)
        if "compile_config" in document:
            write_optimizer_state(file, model)

    h5py = _h5py()

    def write(file):
        # the weights file is written once to a scratch file beside the target, then streamed into
        # the archive: no copy of the weights in memory
        folder = os.path.dirname(os.path.realpath(os.fspath(filepath)))
        with tempfile.TemporaryFile(dir=folder) as scratch:
            with h5py.File(scratch, "w") as h5:
                weights(h5)
            size = scratch.seek(0, io.SEEK_END)
            scratch.seek(0)
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr(METADATA_NAME, metadata)
                archive.writestr(CONFIG_NAME, config_json)
                with archive.open(WEIGHTS_NAME, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as member:
                    shutil.copyfileobj(scratch, member, COPY_CHUNK)

    atomic_write(filepath, write)


# loading ---------------------------------------------------------------------------------------------------
def _read_member(archive, name, where, limit=None):
    info = archive.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise ValueError(f"{where}: {name} declares {info.file_size} bytes, more than the {limit} fastnn reads")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_EXPANSION * max(info.compress_size, 1) \
            and info.file_size > (1 << 20):
        raise ValueError(f"{where}: {name} would expand from {info.compress_size} to {info.file_size} bytes; "
                         "such a member is refused (a zip bomb)")
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError) as err:
        raise ValueError(f"{where}: the member {name} is damaged ({err})") from None


def parse_document(data, where, part):
    try:
        document = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{where}: {part} is not valid JSON: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("class_name"), str) or \
            not isinstance(document.get("config"), dict):
        raise ValueError(f"{where}: {part} must hold an object with 'class_name' and 'config', as Keras writes it")
    return document


def model_from_document(document, where, custom_objects, safe_mode):
    """A new fastnn model from a Keras model config; ValueError naming `where` when it cannot be built."""
    from ..layers import Lambda

    try:
        entry = from_keras(document, custom_objects, safe_mode)
        known = dict(custom_objects or {}) if safe_mode else dict(custom_objects or {}, Lambda=Lambda)
        with weights_from_file():
            model = deserialize_layer(entry, known)
    except (TypeError, ValueError, KeyError, IndexError) as err:
        message = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
        raise ValueError(f"{where}: {message}") from None
    if not getattr(model, "built", False):
        raise ValueError(f"{where} describes a model without an input shape; it cannot hold weights")
    return model


def compile_from_document(model, document, where):
    config = document.get("compile_config")
    if not config:
        return False
    if not isinstance(config, dict):
        raise ValueError(f"{where}: compile_config must be an object")
    kwargs = compile_from_keras(config, where)
    try:
        model.compile(**kwargs)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: compile_config holds settings fastnn cannot compile with: {err}") from None
    return True


def read_optimizer_arrays(file, path="optimizer"):
    group = file.get(f"{path}/vars")
    if group is None:
        return None
    arrays = [np.asarray(group[str(i)]) for i in range(len(group)) if str(i) in group]
    return arrays or None


def _load_weights(archive, model, part):
    """Assigns the weights in the archive's weights file to the new model, layer by layer; returns
    the optimizer's saved arrays (None when there are none)."""
    h5py = _h5py()
    info = archive.getinfo(WEIGHTS_NAME)
    if info.compress_type == zipfile.ZIP_STORED and archive.filename:
        raw = open(archive.filename, "rb")
        try:
            source = StoredMember(raw, info, part)
        except ValueError:
            raw.close()
            raise
    else:
        raw, source = None, io.BytesIO(_read_member(archive, WEIGHTS_NAME, part))
    try:
        try:
            file = h5py.File(source, "r")
        except OSError as err:
            raise ValueError(f"{part} is not an HDF5 file: {err}") from None
        with file:
            read_keras3(file, model, part, assign=True)
            return read_optimizer_arrays(file)
    finally:
        if raw is not None:
            raw.close()


def _open_archive(filepath):
    filepath = os.fspath(filepath)
    where = repr(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such model file: {filepath!r}")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"{where} is not a Keras .keras file: it is not a zip archive (damaged or truncated?)")
    try:
        archive = zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(f"{where} is a damaged .keras file: {err}") from None
    names = archive.namelist()
    if WEIGHTS_NAME not in names:
        archive.close()
        other = " (it holds model.weights.npz, which fastnn does not read)" if "model.weights.npz" in names else ""
        raise ValueError(f"{where} is not a Keras .keras file fastnn reads: it lacks {WEIGHTS_NAME}{other}")
    return archive, where


def load_weights(model, filepath):
    """model.load_weights('m.keras'): the weights of a .keras archive, every one checked against
    model before any is assigned."""
    h5py = _h5py()
    archive, where = _open_archive(filepath)
    part = f"{where} ({WEIGHTS_NAME})"
    with archive:
        source = io.BytesIO(_read_member(archive, WEIGHTS_NAME, part))
    try:
        file = h5py.File(source, "r")
    except OSError as err:
        raise ValueError(f"{part} is not an HDF5 file: {err}") from None
    with file:
        groups = read_keras3(file, model, part)
    check_and_assign(groups, part)


def load_keras(filepath, custom_objects=None, compile=True, safe_mode=True):
    archive, where = _open_archive(filepath)
    with archive:
        if CONFIG_NAME not in archive.namelist():
            raise ValueError(f"{where} is not a Keras .keras file: it lacks {CONFIG_NAME}")
        document = parse_document(_read_member(archive, CONFIG_NAME, where, MAX_CONFIG_BYTES), where, CONFIG_NAME)
        model = model_from_document(document, where, custom_objects, safe_mode)
        part = f"{where} ({WEIGHTS_NAME})"
        optimizer_arrays = _load_weights(archive, model, part)
    if compile and compile_from_document(model, document, where) and optimizer_arrays is not None:
        optimizer_state_from_keras(model, optimizer_arrays, part)
    return model
