"""fastnn's random number generator and global seeding.

Layers draw initial weights, dropout masks and shuffles from generator(). The
generator object never changes; set_random_seed resets its state, so references
held elsewhere stay valid.
"""
import numbers
import random as _py_random

import numpy as np

_GENERATOR = np.random.Generator(np.random.PCG64())  # OS entropy until seeded
_seedings = [0]  # how many times set_random_seed has run


def generator():
    """fastnn's np.random.Generator."""
    return _GENERATOR


def seedings():
    """How many times set_random_seed has run: state drawn from generator() before the last
    seeding (a dropout layer's key) is drawn again after it."""
    return _seedings[0]


def set_random_seed(seed):
    """Seeds Python's random, NumPy's global RNG and fastnn's generator for reproducible runs."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"set_random_seed: seed must be an integer. Received: seed={seed!r} (of type {type(seed).__name__})")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"set_random_seed: seed must be in [0, 2**32). Received: seed={seed}")
    _py_random.seed(seed)
    np.random.seed(seed)
    _GENERATOR.bit_generator.state = np.random.PCG64(seed).state
    _seedings[0] += 1
