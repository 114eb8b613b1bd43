"""Callbacks: hooks that fit, evaluate and predict call at each stage of their loops."""
from .callback import Callback
from .callback_list import CallbackList
from .early_stopping import EarlyStopping
from .history import History
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "EarlyStopping", "History", "ModelCheckpoint", "ProgbarLogger",
           "TerminateOnNaN"]
