"""Optimizers, looked up by name with get()."""
from .._registry import not_understood
from .adagrad import Adagrad
from . import schedules
from .adam import Adam, AdamW
from .base import Optimizer
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam, "adamw": AdamW, "nadam": Nadam}

__all__ = ["Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop", "SGD", "deserialize", "get", "schedules",
           "serialize"]


def serialize(optimizer):
    """{'class_name': ..., 'config': ...}, the form get() and deserialize() accept."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """An optimizer from {'class_name': ..., 'config': {...}}."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config must be a dict with 'class_name' and 'config'. Received: {config!r}")
    cls = _lookup(config["class_name"])
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """An Optimizer from a name ('adam'), a serialized config or an Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise not_understood("optimizer", identifier)


def _lookup(name):
    cls = _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}; known optimizers: {', '.join(sorted(_BY_NAME))}")
    return cls
