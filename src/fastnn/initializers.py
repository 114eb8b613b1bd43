"""Weight initializers with Keras's names and formulas.

An initializer is called with a shape and returns a new float32 array. Unseeded ones draw
from fastnn's generator (fastnn.utils.random.generator()), so set_random_seed makes them
reproducible; a seeded one returns the same values on every call.
"""
import math

import numpy as np

from . import _registry

# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it restores the
# variance the truncation removes.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _generator(seed):
    if seed is None:
        from .utils.random import generator

        return generator()
    return np.random.default_rng(seed)


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be None or an integer. Received: seed={seed!r}")
    return seed


def compute_fans(shape):
    """(fan_in, fan_out) of a weight: dense kernels are (fan_in, fan_out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _truncated_normal(rng, shape, stddev, mean=0.0):
    """Normal samples redrawn until they lie within two standard deviations."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class Initializer(_registry.Configurable):
    """Base class: subclasses implement __call__(shape, dtype) and get_config."""

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype="float32"):
        return np.full(tuple(shape), self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.zeros(tuple(shape), dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.ones(tuple(shape), dtype=dtype)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if stddev < 0:
            raise ValueError(f"stddev must be non-negative. Received: stddev={stddev}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), _check_seed(seed)

    def __call__(self, shape, dtype="float32"):
        rng = _generator(self.seed)
        return (self.mean + self.stddev * rng.standard_normal(tuple(shape))).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype="float32"):
        rng = _generator(self.seed)
        return _truncated_normal(rng, tuple(shape), self.stddev, self.mean).astype(dtype)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if maxval < minval:
            raise ValueError(f"maxval must be >= minval. Received: minval={minval}, maxval={maxval}")
        self.minval, self.maxval, self.seed = float(minval), float(maxval), _check_seed(seed)

    def __call__(self, shape, dtype="float32"):
        rng = _generator(self.seed)
        return rng.uniform(self.minval, self.maxval, tuple(shape)).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(Initializer):
    """Samples with variance scale / n, n the fan_in, fan_out or their average."""

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"scale must be positive. Received: scale={scale}")
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}. Received: mode={mode!r}")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {self.DISTRIBUTIONS}. Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.seed = _check_seed(seed)

    def __call__(self, shape, dtype="float32"):
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = _generator(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape).astype(dtype)
        if self.distribution == "untruncated_normal":
            return (math.sqrt(variance) * rng.standard_normal(shape)).astype(dtype)
        stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
        return _truncated_normal(rng, shape, stddev).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class Orthogonal(Initializer):
    """gain times an orthogonal matrix (orthonormal columns, or rows when it is wider than tall),
    the Q of a QR decomposition of standard normal samples with R's diagonal made positive; a
    shape of more than two axes is the matrix (prod(shape[:-1]), shape[-1]) reshaped."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), _check_seed(seed)

    def __call__(self, shape, dtype="float32"):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} "
                             f"of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        values = _generator(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(values)
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


def _variance_scaling_preset(name, scale, mode, distribution):
    class Preset(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__doc__ = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."
    return Preset


GlorotUniform = _variance_scaling_preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling_preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _variance_scaling_preset("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _variance_scaling_preset("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _variance_scaling_preset("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling_preset("LecunUniform", 1.0, "fan_in", "uniform")

CLASSES = {
    cls.__name__: cls
    for cls in (
        Constant, Zeros, Ones, RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling,
        GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal,
    )
}
ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal, "random_uniform": RandomUniform,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal, "uniform": RandomUniform, "normal": RandomNormal,
}


def get(identifier):
    """An Initializer from a name ('glorot_uniform'), a {'class_name', 'config'} dict or an instance."""
    return _registry.get_instance("initializer", identifier, ALIASES, CLASSES)


def serialize(initializer):
    """The {'class_name', 'config'} dict get() turns back into the initializer."""
    if not isinstance(initializer, Initializer) or type(initializer).__name__ not in CLASSES:
        raise ValueError(f"Cannot serialize the custom initializer {initializer!r}")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
