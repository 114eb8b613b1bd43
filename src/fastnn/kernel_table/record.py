"""What the table knows about one compiled kernel, and the inputs it is tried on."""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass(frozen=True)
class Sample:
    label: str
    make: Callable[[], tuple]  # () -> (args, kwargs), fresh on every call
    reduction: int = 1  # terms summed into one output element, for the tolerance


@dataclass(frozen=True)
class ErrorCase:
    label: str
    args: tuple
    kwargs: dict
    exception: type
    same_message: bool = True  # compiled and oracle messages must be identical


@dataclass(frozen=True)
class FuzzCase:
    """One drawn input: the call's arguments, the reduction length and the magnitude the rounding
    errors scale with (None: the largest input)."""
    args: tuple
    kwargs: dict
    reduction: int = 1
    magnitude: Optional[float] = None


@dataclass(frozen=True)
class KernelRecord:
    """A compiled kernel: fastnn.kernels.<name>, its oracle fastnn.reference.<name>, the inputs
    it is checked on and the arguments it writes."""
    name: str
    samples: Callable[[type], list]  # dtype -> [Sample]
    large: Callable[[type], Sample]  # dtype -> a Sample big enough to use every thread
    errors: Callable[[], list] = lambda: []
    mutates: tuple = ()  # positions of arguments updated in place; they are the outputs
    ulps: float = 8.0  # allowed error in units of eps times the reduction length
    fuzz: Optional[Callable] = None  # choices -> FuzzCase (see choices.py)

    @property
    def compiled(self):
        from .. import kernels

        return getattr(kernels, self.name)

    @property
    def oracle(self):
        from .. import reference

        return getattr(reference, self.name)

    def outputs(self, result, args):
        """The arrays to compare: the mutated arguments (those passed), then the result (a tuple
        is flattened)."""
        mutated = [args[i] for i in self.mutates if i < len(args) and args[i] is not None]
        if result is None:
            return mutated
        return mutated + (list(result) if isinstance(result, tuple) else [result])

    def tolerance(self, dtype, reduction):
        return self.ulps * np.finfo(dtype).eps * max(1, reduction)
