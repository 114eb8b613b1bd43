"""A model's architecture as a JSON string (no weights): ``model.to_json()`` and ``model_from_json``."""
import json


def model_to_json(model, **kwargs):
    """{'class_name', 'config'} of model as JSON; kwargs go to json.dumps."""
    from ..layers import serialize

    return json.dumps(serialize(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new, unweighted model from ``to_json()``'s string; custom classes come from custom_objects."""
    from ..layers import deserialize

    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json needs a JSON string from model.to_json(): {error}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_json needs a JSON object with 'class_name' and 'config', "
                         f"as model.to_json() writes; got {type(config).__name__}")
    return deserialize(config, custom_objects=custom_objects)
