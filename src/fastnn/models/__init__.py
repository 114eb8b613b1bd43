"""Keras-style models: Sequential, the functional Model and load_model."""
from .functional import Model
from .saving import load_model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
