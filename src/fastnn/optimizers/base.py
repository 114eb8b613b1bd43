"""The optimizer base: owns the step count, the learning rate and the slot arrays."""
import math
import numbers
import warnings

import numpy as np

from .._arrays import cast_to_fit
from .._registry import Configurable
from ..engine import host_calls
from . import schedules


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


def check_flag(owner, name, value):
    """value, or ValueError naming it when it is not True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be True or False. Received: {name}={value!r}")
    return value


class DefaultRate(float):
    """A constructor's default learning rate: tells it apart from one the caller passed."""


def resolve_learning_rate(owner, learning_rate, kwargs):
    """learning_rate, or the deprecated lr= from kwargs (with a DeprecationWarning)."""
    if "lr" not in kwargs:
        return learning_rate
    lr = kwargs.pop("lr")
    if not isinstance(learning_rate, DefaultRate):
        raise ValueError(f"{owner}: pass the learning rate once, as learning_rate (lr is its deprecated name). "
                         f"Received: learning_rate={learning_rate!r}, lr={lr!r}")
    warnings.warn(f"{owner}: the `lr` argument is deprecated; use `learning_rate` instead.", DeprecationWarning,
                  stacklevel=4)
    return lr


class Optimizer(Configurable):
    """Updates parameter arrays in place from their gradients.

    A subclass writes build(params), creating its slot arrays with add_slot, and
    update_step(grad, param, slots, learning_rate, **options), which calls one compiled
    kernel, passing it options (gradient clipping, weight decay, segments) unchanged.
    Slots are built on the first apply() and kept per parameter position.

    learning_rate is a number or a schedules.LearningRateSchedule, evaluated at the step
    count before each step. clipnorm clips each variable's gradient by its own norm,
    global_clipnorm all of them by their joint norm, clipvalue each element (at most one of
    the three); weight_decay decays each parameter by lr * weight_decay before its update.
    decay (Keras 2's argument, which the book's listings pass) scales the learning rate of
    step t (from 0) by 1 / (1 + decay * t).
    """

    def __init__(self, learning_rate, name=None, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, **kwargs):
        owner = type(self).__name__
        learning_rate = resolve_learning_rate(owner, learning_rate, kwargs)
        decay = kwargs.pop("decay", None)
        self.decay = None if decay is None else check_number(owner, "decay", decay, low=0.0)
        if kwargs:
            raise ValueError(f"{owner}: argument(s) not recognized: {', '.join(sorted(kwargs))}")
        self._schedule = None
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self._schedule = learning_rate
        else:
            self.learning_rate = learning_rate
        self.name = name or owner.lower()
        self.weight_decay = None if weight_decay is None else check_number(owner, "weight_decay", weight_decay,
                                                                            low=0.0)
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            if value is not None and not check_number(owner, arg, value, low=0.0) > 0:
                raise ValueError(f"{owner}: {arg} must be > 0 or None. Received: {arg}={value!r}")
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        self.iterations = 0
        self.built = False
        self._slots = []
        self._slot_names = []
        self._signature = ()

    @property
    def learning_rate(self):
        """The learning rate of the next step (a schedule's value at the current step count)."""
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if getattr(self, "_schedule", None) is not None:
            raise TypeError(f"{type(self).__name__} was created with a learning rate schedule "
                            f"({type(self._schedule).__name__}); its learning rate cannot be set")
        self._learning_rate = check_number(type(self).__name__, "learning_rate", value, low=0.0)

    @property
    def learning_rate_schedule(self):
        """The schedule given as learning_rate, or None."""
        return self._schedule

    def kernel_options(self, segments=None):
        """The clipping and decay keywords for the step kernels; segments (the sizes of the
        variables a flat parameter holds) matter only to clipnorm."""
        options = {}
        if self.weight_decay:
            options["weight_decay"] = self.weight_decay
        if self.clipvalue is not None:
            options["clipvalue"] = self.clipvalue
        elif self.clipnorm is not None:
            options["clipnorm"] = self.clipnorm
            if segments is not None:
                options["segments"] = segments
        elif self.global_clipnorm is not None:
            options["global_clipnorm"] = self.global_clipnorm
        return options

    @property
    def needs_segments(self):
        """True when an update of a flat buffer of several variables must know their sizes (clipnorm)."""
        return self.clipnorm is not None

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

    def update_step(self, grad, param, slots, learning_rate, **options):
        """Updates one parameter in place; slots maps slot name -> array; options go to the kernel."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def finish_step(self):
        """Called once per step after every parameter's update, before the step count advances."""

    def apply(self, grads, params, segments=None):
        """One optimization step: updates every param in place from its grad (None grads are skipped).

        segments: for a single param that holds several variables end to end (a flat buffer),
        their sizes, so that clipnorm clips each variable's gradient by its own norm.
        """
        grads, params = list(grads), list(params)
        if len(grads) != len(params):
            raise ValueError(f"{self.name}: got {len(grads)} gradients for {len(params)} parameters")
        host_calls.record_optimizer_update(self, grads, params, segments)
        if segments is not None and len(params) != 1:
            raise ValueError(f"{self.name}: segments describe one flat parameter; received {len(params)} parameters")
        for i, param in enumerate(params):
            _check_param(self.name, i, param)
        if not self.built:
            self.build(params)
        self._check_signature(params)
        lr = self.learning_rate
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations)
        grads = [None if grad is None else _as_grad(self.name, i, grad, param)
                 for i, (grad, param) in enumerate(zip(grads, params))]
        options = self.kernel_options(segments)
        if self.global_clipnorm is not None and len(params) > 1:
            grads = _clip_by_global_norm(grads, self.global_clipnorm)
            options.pop("global_clipnorm")
        for i, (grad, param) in enumerate(zip(grads, params)):
            if grad is None:
                continue
            if param.flags.c_contiguous:
                self.update_step(grad, param, self._slots[i], lr, **options)
            else:
                work = np.ascontiguousarray(param)
                self.update_step(grad, work, self._slots[i], lr, **options)
                param[...] = work
        self.finish_step()
        self.iterations += 1
        return self.iterations

    def apply_gradients(self, grads_and_vars):
        """apply() on (grad, param) pairs; Tensors (a model's weights, GradientTape's gradients)
        are updated through their arrays."""
        from ..tensor import Tensor

        pairs = list(grads_and_vars)
        return self.apply([g.data if isinstance(g, Tensor) else g for g, _ in pairs],
                          [p.data if isinstance(p, Tensor) else p for _, p in pairs])

    def _check_signature(self, params):
        signature = tuple([(p.shape, p.dtype) for p in params])
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
        rate = self.learning_rate if self._schedule is None else schedules.serialize(self._schedule)
        config = {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
        if self.decay is not None:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


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
    if type(grad) is np.ndarray and grad.dtype == param.dtype and grad.shape == param.shape and grad.ndim \
            and grad.flags.c_contiguous:
        return grad  # already what the kernels take
    grad = np.asarray(grad)
    if grad.shape != param.shape:
        raise ValueError(f"{owner}: gradient {index} has shape {grad.shape} but its parameter has shape {param.shape}")
    if grad.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: gradient {index} has unsupported dtype {grad.dtype}")
    return np.ascontiguousarray(grad, dtype=param.dtype)


def _clip_by_global_norm(grads, clip):
    """Copies of grads scaled so their joint L2 norm is at most clip (NaN for a non-finite norm);
    each squared norm summed in float64, then added in parameter order."""
    total = 0.0
    for grad in grads:
        if grad is not None:
            flat = grad.reshape(-1).astype(np.float64)
            total += float(np.sum(flat * flat))
    norm = math.sqrt(total)
    scale = clip / max(norm, clip) if math.isfinite(norm) else math.nan
    return [None if g is None else g * g.dtype.type(scale) for g in grads]
