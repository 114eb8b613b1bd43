"""Keras 3's serialized layers and models, translated to and from fastnn's.

fastnn's serialize() gives {'class_name', 'config'} with Keras's argument names; Keras 3 adds
'module' and 'registered_name' to every object, a dtype policy to every layer, an InputLayer
at the head of a Sequential and the class name 'Functional' for graph models. Both directions
work on plain dicts. A class or an option one side lacks is refused with a ValueError naming
the layer and its class; nothing is dropped unless it is Keras's default for "not used".
"""
import inspect

from ..layers import BUILT_IN
from .keras_objects import from_keras_object, to_keras_object

FUNCTIONAL_MODULE = "keras.src.models.functional"
FLOAT32_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None}
_SHAPE_KEYS = ("input_shape", "batch_input_shape", "input_dim")
_LAYER_KEYS = ("layer", "backward_layer", "cell")
_MODEL_CLASSES = ("Sequential", "Model", "Functional")
_CUSTOM_HINT = ("fastnn writes and reads Keras files of its built-in layers only; rebuild the model in code "
                "and move the weights with save_weights/load_weights")

# Keras options fastnn's classes do not take, with the value meaning "off" (as Keras writes it)
KERAS_DEFAULTS = {"sparse": False, "ragged": False, "optional": False, "synchronized": False, "renorm": False,
                  "renorm_momentum": 0.99, "use_cudnn": "auto", "lora_enabled": False, "autocast": True,
                  "unroll": False, "groups": 1, "data_format": "channels_last"}


def _label(config, class_name):
    name = config.get("name") if isinstance(config, dict) else None
    return f"layer {name!r} ({class_name})"


def _shape_list(shape):
    if isinstance(shape, (list, tuple)):
        return [_shape_list(d) for d in shape]
    return shape


# fastnn -> Keras -----------------------------------------------------------------------------------------
def to_keras(entry, build_shapes=None):
    """The Keras 3 serialized form of fastnn's serialized layer or model `entry`.

    build_shapes: {layer name: input shape} of built layers, written as their build_config."""
    build_shapes = build_shapes or {}
    class_name, config = entry.get("class_name"), entry.get("config", {})
    if class_name == "Sequential":
        out = _sequential_to_keras(config, build_shapes)
    elif class_name in ("Model", "Functional"):
        out = _functional_to_keras(config, build_shapes)
    else:
        cls = BUILT_IN.get(class_name)
        if cls is None:
            raise ValueError(f"{_label(config, class_name)} has no Keras equivalent: {_CUSTOM_HINT}")
        if class_name == "InputLayer":
            out = {"module": "keras.layers", "class_name": "InputLayer", "config": _input_to_keras(config),
                   "registered_name": None}
        else:
            out = {"module": "keras.layers", "class_name": class_name,
                   "config": _config_to_keras(config, class_name, build_shapes), "registered_name": None}
            shape = build_shapes.get(config.get("name"))
            if shape is not None:
                out["build_config"] = {"input_shape": _shape_list(shape)}
    for key in ("name", "inbound_nodes"):  # a functional model's layer entry
        if key in entry:
            out[key] = entry[key]
    return out


def _config_to_keras(config, class_name, build_shapes):
    out = {}
    own = own_arguments(BUILT_IN[class_name])
    for key, value in config.items():
        if key in _SHAPE_KEYS and key not in own:
            continue  # a Sequential's InputLayer carries the input shape
        if key in _LAYER_KEYS and isinstance(value, dict):
            out[key] = to_keras(value, build_shapes)
        else:
            out[key] = to_keras_object(key, value, _label(config, class_name))
    out.setdefault("dtype", dict(FLOAT32_POLICY))
    return out


def _input_to_keras(config):
    shape = [config.get("batch_size")] + list(config["shape"])
    return {"batch_shape": shape, "dtype": config.get("dtype", "float32"), "sparse": False, "ragged": False,
            "name": config["name"], "optional": False}


def _sequential_to_keras(config, build_shapes):
    layers = list(config.get("layers", []))
    shape = config.get("build_input_shape")
    if shape is None and layers and layers[0].get("class_name") != "InputLayer":
        first = layers[0].get("config", {}).get("input_shape")
        shape = None if first is None else [None] + list(first)
    keras_layers = [to_keras(layer, build_shapes) for layer in layers]
    if shape is not None and (not layers or layers[0].get("class_name") != "InputLayer"):
        name = f"{config.get('name', 'sequential')}_input"
        keras_layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer",
                                "config": _input_to_keras({"name": name, "shape": shape[1:], "batch_size": shape[0]}),
                                "registered_name": None})
    keras_config = {"name": config.get("name"), "trainable": config.get("trainable", True),
                    "dtype": dict(FLOAT32_POLICY), "layers": keras_layers,
                    "build_input_shape": _shape_list(shape)}
    out = {"module": "keras", "class_name": "Sequential", "config": keras_config, "registered_name": None}
    if shape is not None:
        out["build_config"] = {"input_shape": _shape_list(shape)}
    return out


def _functional_to_keras(config, build_shapes):
    if "layers" not in config:
        raise ValueError(f"Model {config.get('name')!r} is a subclassed model, which has no Keras config: "
                         f"{_CUSTOM_HINT}")
    keras_config = dict(config, layers=[to_keras(layer, build_shapes) for layer in config["layers"]])
    return {"module": FUNCTIONAL_MODULE, "class_name": "Functional", "config": keras_config,
            "registered_name": "Functional", "build_config": {"input_shape": None}}


# Keras -> fastnn -----------------------------------------------------------------------------------------
def from_keras(entry, custom_objects=None, safe_mode=True):
    """fastnn's serialized form ({'class_name', 'config'}) of Keras 3's serialized layer or model."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"A Keras layer entry must be an object with a 'class_name', found {entry!r:.80}")
    class_name = entry["class_name"]
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"Keras {_label({}, class_name)} has no 'config' object")
    custom_objects = custom_objects or {}
    if class_name == "Sequential":
        out = _sequential_from_keras(config, custom_objects, safe_mode)
    elif class_name in ("Functional", "Model"):
        out = _functional_from_keras(config, custom_objects, safe_mode)
    elif class_name == "Lambda" and "Lambda" not in custom_objects:
        if safe_mode:
            raise ValueError(f"Keras {_label(config, class_name)} holds Python code (marshalled bytecode), which "
                             "loading would run: it is refused while safe_mode=True. Pass safe_mode=False to "
                             "load_model only for a file from a source you trust")
        out = {"class_name": "Lambda", "config": _lambda_from_keras(config, custom_objects)}
    elif class_name in custom_objects or entry.get("registered_name") in custom_objects:
        key = class_name if class_name in custom_objects else entry["registered_name"]
        out = {"class_name": key, "config": _custom_config_from_keras(config, class_name, custom_objects, safe_mode)}
    else:
        _check_registered(entry, class_name, config)
        cls = BUILT_IN.get(class_name)
        if cls is None:
            raise ValueError(f"Keras {_label(config, class_name)} has no fastnn equivalent: fastnn does not "
                             f"have the class {class_name}; pass one through custom_objects={{'{class_name}': cls}}")
        if class_name == "InputLayer":
            out = {"class_name": "InputLayer", "config": _input_from_keras(config)}
        else:
            out = {"class_name": class_name,
                   "config": _config_from_keras(config, class_name, cls, custom_objects, safe_mode)}
    if "name" in entry:
        out["name"] = entry["name"]
    if "inbound_nodes" in entry:
        out["inbound_nodes"] = [_node_from_keras(node) for node in entry["inbound_nodes"]]
    return out


def _node_from_keras(node):
    """A layer call as Keras records it, without the keyword arguments Keras passes as None (mask=None)."""
    if not isinstance(node, dict):
        raise ValueError(f"A Keras inbound node must be an object with 'args' and 'kwargs', found {node!r:.80}")
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if v is not None}
    return {"args": node.get("args", []), "kwargs": kwargs}


def _lambda_from_keras(config, custom_objects):
    from ..layers import Lambda
    from .keras_lambda import function_from_keras

    where = f"Keras {_label(config, 'Lambda')}"
    _dtype_from_keras(config.get("dtype"), where)
    out = {k: v for k, v in config.items() if k not in ("dtype", "function", "output_shape")}
    out["function"] = function_from_keras(config.get("function"), where, custom_objects)
    shape = config.get("output_shape")
    if isinstance(shape, dict):
        shape = function_from_keras(shape, where, custom_objects)
    out["output_shape"] = shape
    return fit_arguments(out, Lambda, where)


def _check_registered(entry, class_name, config):
    registered = entry.get("registered_name")
    module = entry.get("module")
    if (registered not in (None, class_name)) or (isinstance(module, str) and not module.startswith("keras")):
        raise ValueError(f"Keras {_label(config, class_name)} is a custom class (registered as {registered!r}, "
                         f"module {module!r}), not Keras's built-in {class_name}: pass the class through "
                         f"custom_objects={{'{class_name}': cls}}")


def _signature_names(klass):
    return {name for name, p in inspect.signature(klass.__init__).parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"}


def own_arguments(cls):
    """The keyword arguments cls's constructor and those of its classes before Layer take."""
    from ..layers import Layer

    names = set()
    for klass in cls.__mro__:
        if klass is Layer or klass is object:
            break
        if "__init__" in vars(klass):
            names |= _signature_names(klass)
    return names


def accepted_arguments(cls):
    """The keyword arguments cls's constructor takes (a Layer's also take the base Layer's)."""
    from ..layers import Layer

    if not issubclass(cls, Layer):
        return _signature_names(cls)
    return own_arguments(cls) | _signature_names(Layer) | {"batch_input_shape", "input_dim"}


def fit_arguments(config, cls, where):
    """config without the options cls does not take, when they hold Keras's "not used" value;
    ValueError naming `where` and the option for any other value."""
    accepted = accepted_arguments(cls)
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif value is None or (key in KERAS_DEFAULTS and KERAS_DEFAULTS[key] == value):
            continue
        else:
            raise ValueError(f"{where}: the Keras option {key}={value!r} has no fastnn equivalent")
    return out


def _dtype_from_keras(value, where):
    name = value.get("config", {}).get("name") if isinstance(value, dict) else value
    if name not in (None, "float32"):
        raise ValueError(f"{where} computes in {name!r}; fastnn layers compute in float32")


def _config_from_keras(config, class_name, cls, custom_objects, safe_mode):
    where = f"Keras {_label(config, class_name)}"
    out = {}
    for key, value in config.items():
        if key == "dtype":
            _dtype_from_keras(value, where)
        elif key in _LAYER_KEYS and isinstance(value, dict):
            out[key] = from_keras(value, custom_objects, safe_mode)
        else:
            out[key] = from_keras_object(key, value, where, safe_mode)
    return fit_arguments(out, cls, where)


def _custom_config_from_keras(config, class_name, custom_objects, safe_mode):
    """A custom class's config with Keras's wrapping taken off (dtype policy, module names); the
    class's own from_config gets every other option as it is."""
    where = f"Keras {_label(config, class_name)}"
    out = {}
    for key, value in config.items():
        if key == "dtype":
            _dtype_from_keras(value, where)
        elif key in _LAYER_KEYS and isinstance(value, dict):
            out[key] = from_keras(value, custom_objects, safe_mode)
        elif isinstance(value, dict) and "class_name" in value and "module" in value:
            out[key] = from_keras_object(key, value, where, safe_mode)
        else:
            out[key] = value
    return out


def _input_from_keras(config):
    where = f"Keras {_label(config, 'InputLayer')}"
    _dtype_from_keras(config.get("dtype"), where)
    shape = config.get("batch_shape")
    if shape is None:
        shape = [config.get("batch_size")] + list(config.get("shape") or [])
    for key, default in (("sparse", False), ("ragged", False)):
        if config.get(key) not in (None, default):
            raise ValueError(f"{where} has {key}={config[key]!r}; fastnn inputs are dense")
    return {"name": config.get("name"), "shape": list(shape[1:]), "batch_size": shape[0]}


def _sequential_from_keras(config, custom_objects, safe_mode):
    layers = [from_keras(layer, custom_objects, safe_mode) for layer in config.get("layers", [])]
    shape = config.get("build_input_shape")
    if layers and layers[0]["class_name"] == "InputLayer":
        first = layers.pop(0)["config"]
        shape = shape or [first["batch_size"]] + first["shape"]
    _dtype_from_keras(config.get("dtype"), f"Keras Sequential {config.get('name')!r}")
    return {"class_name": "Sequential", "config": {"name": config.get("name"), "layers": layers,
                                                   "build_input_shape": shape}}


def _functional_from_keras(config, custom_objects, safe_mode):
    if not isinstance(config.get("layers"), list):
        raise ValueError(f"Keras model {config.get('name')!r} has no 'layers' list: fastnn reads Sequential and "
                         "functional models, not subclassed ones")
    out = {key: config[key] for key in ("name", "trainable", "input_layers", "output_layers") if key in config}
    out["layers"] = [from_keras(layer, custom_objects, safe_mode) for layer in config["layers"]]
    return {"class_name": "Model", "config": out}
