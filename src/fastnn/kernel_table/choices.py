"""The source of choices a fuzz strategy draws from.

A strategy is a plain function of one argument, `choices`, offering:

    integers(lo, hi)   an int in [lo, hi], both ends included
    choice(seq)        one element of seq
    boolean()          True or False
    floats(lo, hi)     a float in [lo, hi]
    seed()             an int in [0, 2**32 - 1], to seed a NumPy generator for bulk values
    permutation(n)     the integers 0 .. n-1 in some order

The fuzz suite passes a source whose every choice is a Hypothesis draw (so failures shrink);
RandomChoices draws from a NumPy generator, so the strategies run without Hypothesis.
"""
import numpy as np


class RandomChoices:
    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def integers(self, lo, hi):
        dtype = np.uint64 if hi >= 2**63 else np.int64
        return int(self.rng.integers(lo, hi, endpoint=True, dtype=dtype))

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def boolean(self):
        return bool(self.rng.integers(2))

    def floats(self, lo, hi):
        return float(self.rng.uniform(lo, hi))

    def seed(self):
        return self.integers(0, 2**32 - 1)

    def permutation(self, n):
        return [int(i) for i in self.rng.permutation(n)]
