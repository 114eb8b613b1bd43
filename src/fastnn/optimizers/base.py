"""The optimizer base: owns the step count, the learning rate and the slot arrays."""
import math
import numbers

import numpy as np

from .._arrays import cast_to_fit
from .._registry import Configurable


def check_number(owner, name, value, low=None, high=None, high_open=False):
    """value as a float, or ValueError naming it when it is not a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number. Received: {name}={value!r}")
    value = float(value)
    too_high = high is not None and (value >= high if high_open else value > high)
    if (low is not None and value < low) or too_high:
        if high is None:
            rule = f">= {low:g}"
        else:
            rule = f"in [{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: {name} must be {rule}. Received: {name}={value:g}")
    return value


class Optimizer(Configurable):
    """Updates parameter arrays in place from their gradients.

    A subclass writes build(params), creating its slot arrays with add_slot, and
    update_step(grad, param, slots, learning_rate), which calls one compiled kernel.
    Slots are built on the first apply() and kept per parameter position.
    """

    def __init__(self, learning_rate, name=None):
        self.learning_rate = learning_rate
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.built = False
        self._slots = []
        self._slot_names = []
        self._signature = ()

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = check_number(type(self).__name__, "learning_rate", value, low=0.0)

    def build(self, params):
        """Creates the per-parameter slot storage; subclasses extend it with add_slot."""
        self._slots = [{} for _ in params]
        self._slot_names = []
        self._signature = tuple((p.shape, p.dtype) for p in params)
        self.built = True

    def add_slot(self, params, name, initial_value=0.0):
        """Adds a slot array called `name` per parameter, shaped and typed like it."""
        for slots, param in zip(self._slots, params):
            slots[name] = np.full(param.shape, initial_value, dtype=param.dtype)
        self._slot_names.append(name)

    def update_step(self, grad, param, slots, learning_rate):
        """Updates one parameter in place; slots maps slot name -> array."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def apply(self, grads, params):
        """One optimization step: updates every param in place from its grad (None grads are skipped)."""
        grads, params = list(grads), list(params)
        if len(grads) != len(params):
            raise ValueError(f"{self.name}: got {len(grads)} gradients for {len(params)} parameters")
        for i, param in enumerate(params):
            _check_param(self.name, i, param)
        if not self.built:
            self.build(params)
        self._check_signature(params)
        lr = self.learning_rate
        for i, (grad, param) in enumerate(zip(grads, params)):
            if grad is None:
                continue
            grad = _as_grad(self.name, i, grad, param)
            if param.flags.c_contiguous:
                self.update_step(grad, param, self._slots[i], lr)
            else:
                work = np.ascontiguousarray(param)
                self.update_step(grad, work, self._slots[i], lr)
                param[...] = work
        self.iterations += 1
        return self.iterations

    def apply_gradients(self, grads_and_vars):
        """apply() on (grad, param) pairs."""
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [p for _, p in pairs])

    def _check_signature(self, params):
        signature = tuple((p.shape, p.dtype) for p in params)
        if signature != self._signature:
            built = [f"{s}:{d}" for s, d in self._signature]
            got = [f"{s}:{d}" for s, d in signature]
            raise ValueError(
                f"{self.name} was built for parameters {built} but received {got}; "
                "an optimizer must always be applied to the same parameters"
            )

    def variables(self):
        """The optimizer state: [iterations] followed by every slot array, parameter by parameter."""
        state = [np.array(self.iterations, dtype=np.int64)]
        for slots in self._slots:
            state.extend(slots[name] for name in self._slot_names)
        return state

    def set_variables(self, values):
        """Restores a state returned by variables() (the optimizer must be built)."""
        if not self.built:
            raise ValueError(f"{self.name}: call apply() (or build(params)) before set_variables")
        values = list(values)
        current = self.variables()
        if len(values) != len(current):
            raise ValueError(f"{self.name}: expected {len(current)} variables, received {len(values)}")
        values = [np.asarray(v) for v in values]
        for i, (value, target) in enumerate(zip(values, current)):
            if value.shape != target.shape:
                raise ValueError(f"{self.name}: variable {i} has shape {target.shape}, received {value.shape}")
        iterations = _as_iterations(self.name, values[0])
        slots = [cast_to_fit(value, target.dtype, f"{self.name}: variable {i}")
                 for i, (value, target) in enumerate(zip(values, current)) if i > 0]
        for value, target in zip(slots, current[1:]):
            target[...] = value
        self.iterations = iterations

    def get_config(self):
        """The constructor arguments, enough for from_config to rebuild an equal optimizer."""
        return {"name": self.name, "learning_rate": self.learning_rate}


def _as_iterations(owner, value):
    if value.dtype.kind not in "iu" or value < 0:
        raise ValueError(f"{owner}: variable 0, the iteration count, must be an integer >= 0. "
                         f"Received: {value.item()!r} of dtype {value.dtype}")
    return int(value)


def _check_param(owner, index, param):
    if not isinstance(param, np.ndarray) or param.dtype not in (np.float32, np.float64):
        kind = param.dtype if isinstance(param, np.ndarray) else type(param).__name__
        raise TypeError(f"{owner}: parameter {index} must be a float32 or float64 numpy.ndarray, received {kind}")
    if not param.flags.writeable:
        raise ValueError(f"{owner}: parameter {index} is read-only; parameters are updated in place")


def _as_grad(owner, index, grad, param):
    grad = np.asarray(grad)
    if grad.shape != param.shape:
        raise ValueError(f"{owner}: gradient {index} has shape {grad.shape} but its parameter has shape {param.shape}")
    if grad.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: gradient {index} has unsupported dtype {grad.dtype}")
    return np.ascontiguousarray(grad, dtype=param.dtype)
