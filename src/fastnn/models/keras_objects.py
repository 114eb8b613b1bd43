"""The objects inside a layer's config (initializers, regularizers, constraints, activations), as
Keras 3 serializes them ({'module', 'class_name', 'config', 'registered_name'}) and as fastnn does
({'class_name', 'config'}). A Keras object fastnn lacks, or a function given as code, is refused."""
from .. import initializers, regularizers

_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
            "constraint": "keras.constraints", "activation": "keras.activations"}
_FASTNN_CLASSES = {"initializer": initializers.CLASSES, "regularizer": regularizers.CLASSES, "constraint": {}}


def _kind(key):
    for kind in _MODULES:
        if key == kind or key.endswith("_" + kind):
            return kind
    return None


def _is_serialized(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def to_keras_object(key, value, where):
    """The Keras form of the config value `value` of option `key`."""
    if isinstance(value, tuple):
        return [to_keras_object(key, v, where) for v in value]
    if isinstance(value, list):
        return [to_keras_object(key, v, where) for v in value]
    if not _is_serialized(value):
        return value
    kind = _kind(key)
    if kind is None:
        raise ValueError(f"{where}: option {key!r} holds an object ({value['class_name']}) fastnn cannot write "
                         "in Keras's format")
    return {"module": _MODULES[kind], "class_name": value["class_name"], "config": dict(value["config"]),
            "registered_name": None}


def from_keras_object(key, value, where, safe_mode=True):
    """fastnn's form of the value Keras wrote for option `key` of the layer `where` describes."""
    from .keras_config import fit_arguments

    if isinstance(value, list):
        return [from_keras_object(key, v, where, safe_mode) for v in value]
    if not (isinstance(value, dict) and "class_name" in value):
        return value
    class_name = value["class_name"]
    if class_name == "__tuple__":
        return [from_keras_object(key, v, where, safe_mode) for v in value.get("config", {}).get("value", [])]
    if class_name in ("__lambda__", "function") and not (
            class_name == "function" and isinstance(value.get("config"), str) and _kind(key) == "activation"):
        raise ValueError(f"{where}: option {key!r} is a Python function stored in the file ({class_name}), "
                         "which fastnn does not load: it is refused while safe_mode=True (safe_mode=False "
                         "does not help here: rebuild the layer in code)")
    kind = _kind(key)
    if kind == "activation":
        if isinstance(value.get("config"), str):
            return value["config"]
        raise ValueError(f"{where}: activation {class_name!r} is an object fastnn does not have")
    module = value.get("module")
    registered = value.get("registered_name")
    if kind is None or (isinstance(module, str) and not module.startswith("keras")) or \
            registered not in (None, class_name):
        raise ValueError(f"{where}: option {key!r} holds {class_name!r} (module {module!r}), which fastnn "
                         "does not have")
    cls = _FASTNN_CLASSES[kind].get(class_name)
    if cls is None:
        have = ", ".join(sorted(_FASTNN_CLASSES[kind])) or "none"
        raise ValueError(f"{where}: option {key!r} is the Keras {kind} {class_name}, which fastnn does not have "
                         f"(fastnn's {kind}s: {have})")
    config = {k: from_keras_object(k, v, where, safe_mode) for k, v in (value.get("config") or {}).items()}
    return {"class_name": class_name, "config": fit_arguments(config, cls, f"{where}, {key} {class_name}")}
