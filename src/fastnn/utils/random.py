"""fastnn's random number generator and global seeding.

Layers draw initial weights, dropout masks and shuffles from generator(). The
generator object never changes; set_random_seed resets its state, so references
held elsewhere stay valid.
"""
import numbers
import os
import random as _py_random
import threading

import numpy as np

_generator = None
_lock = threading.Lock()
_forks = 0  # children forked by this process since it was seeded (or started)
_seedings = [0]  # how many times set_random_seed has run


def generator():
    """fastnn's np.random.Generator (seeded from OS entropy until set_random_seed).

    A child made with os.fork (multiprocessing's fork start method, e.g. the workers of a
    Pool) does not inherit the parent's random state: its generator is reseeded on fork
    from the parent's state and the number of children forked before it, as PyTorch's
    DataLoader seeds its workers. Children therefore draw different numbers from each
    other and from the parent, the parent's own sequence is unchanged, and the same
    set_random_seed followed by the same forks gives the same numbers in every run.
    """
    global _generator
    if _generator is None:
        with _lock:
            if _generator is None:
                made = np.random.Generator(np.random.PCG64())
                if hasattr(os, "register_at_fork"):
                    os.register_at_fork(after_in_parent=_count_fork, after_in_child=_reseed_after_fork)
                _generator = made
    return _generator


def _count_fork():
    global _forks
    _forks += 1


def _reseed_after_fork():
    global _forks
    state = _generator.bit_generator.state["state"]
    seed = np.random.SeedSequence(entropy=[state["state"], state["inc"]], spawn_key=(_forks,))
    _generator.bit_generator.state = np.random.PCG64(seed).state
    _forks = 0


def seedings():
    """How many times set_random_seed has run: state drawn from generator() before the last
    seeding (a dropout layer's key) is drawn again after it."""
    return _seedings[0]


def set_random_seed(seed):
    """Seeds Python's random, NumPy's global RNG and fastnn's generator for reproducible runs."""
    global _forks
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"set_random_seed: seed must be an integer. Received: seed={seed!r} (of type {type(seed).__name__})")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"set_random_seed: seed must be in [0, 2**32). Received: seed={seed}")
    _py_random.seed(seed)
    np.random.seed(seed)
    generator().bit_generator.state = np.random.PCG64(seed).state
    _forks = 0
    _seedings[0] += 1
