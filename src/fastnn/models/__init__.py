"""Keras-style models: Sequential, the functional Model, load_model and model_from_json."""
from .functional import Model
from .model_json import model_from_json
from .saving import load_model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "model_from_json"]
