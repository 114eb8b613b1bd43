"""Learning-rate schedules: callables from the optimizer's step count (from 0) to a learning rate.

Pass one as an optimizer's learning_rate; the optimizer evaluates it at its iteration count
before each step.
"""
import math
import numbers

from .._registry import Configurable, from_class_config, not_understood


def _number(owner, name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number. Received: {name}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return value


class LearningRateSchedule(Configurable):
    """Base class: __call__(step) -> learning rate; get_config() -> constructor arguments."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")


class _StepDecay(LearningRateSchedule):
    """A decay driven by step / decay_steps (floored with staircase); `name` defaults to the class's."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number(owner, "decay_steps", decay_steps, positive=True)
        self.decay_rate = _number(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = owner if name is None else name

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps), the exponent floored with staircase."""

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
    values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length {len(values)}.")
        for b in boundaries:
            _number("PiecewiseConstantDecay", "boundaries", b)
        for v in values:
            _number("PiecewiseConstantDecay", "values", v)
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must be strictly increasing. Received: {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class InverseTimeDecay(_StepDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps), step / decay_steps floored with staircase."""

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from initial_learning_rate to warmup_target over warmup_steps, then a
    cosine decay over decay_steps from the peak (warmup_target, else initial_learning_rate) down to
    alpha times it, which then stays."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = _number("CosineDecay", "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number("CosineDecay", "decay_steps", decay_steps, positive=True)
        self.alpha = _number("CosineDecay", "alpha", alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else _number("CosineDecay", "warmup_target",
                                                                        warmup_target)
        self.warmup_steps = _number("CosineDecay", "warmup_steps", warmup_steps)
        if self.warmup_steps < 0:
            raise ValueError(f"CosineDecay: warmup_steps must be >= 0. Received: warmup_steps={warmup_steps}")

    def _decay(self, step, peak):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay, CosineDecay)}


def serialize(schedule):
    """{'class_name': ..., 'config': ...} for a schedule."""
    if not isinstance(schedule, LearningRateSchedule):
        raise not_understood("learning rate schedule", schedule)
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """A schedule from serialize()'s form."""
    if not isinstance(config, dict):
        raise not_understood("learning rate schedule", config)
    return from_class_config("learning rate schedule", config, CLASSES)
