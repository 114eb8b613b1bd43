"""fastnn.function: a hand-written step (forward, backward, update) replayed as a step plan.

    @fastnn.function
    def train_step(images, labels):
        loss = fastnn.mean(...)
        loss.backward()
        ...
        return loss

The first call per input signature (shapes and dtypes of the array arguments, values of the
others) runs the function eagerly while its kernel calls are recorded; the second runs it
eagerly again and checks that replaying the recording gives the same bits; later calls copy
the arguments into the recorded inputs and replay the kernels without running the Python.
Returned tensors are views of the plan's buffers, overwritten by the next call. A function
whose work is not all kernel calls (NumPy on tensor data, value-dependent Python control
flow, in-place edits of `.data`) raises RuntimeError saying what could not be replayed.
"""
import functools

import numpy as np

from ..tensor import Tensor
from .plan import EAGER, StepPlan


def _signature(args):
    parts = []
    for a in args:
        if isinstance(a, (Tensor, np.ndarray)):
            data = a.data if isinstance(a, Tensor) else a
            parts.append(("array", data.shape, data.dtype.str, isinstance(a, Tensor) and a.requires_grad))
        else:
            parts.append(("value", a))
    return tuple(parts)


class _Recorded:
    """One input signature's plan, with the arrays its recording read the arguments from."""

    def __init__(self, fn, args):
        self.inputs = [np.array(a.data if isinstance(a, Tensor) else a, copy=True)
                       if isinstance(a, (Tensor, np.ndarray)) else None for a in args]
        bound = [Tensor(buf, requires_grad=a.requires_grad) if isinstance(a, Tensor) else
                 (buf if buf is not None else a) for a, buf in zip(args, self.inputs)]
        self.single = None

        def step():
            result = fn(*bound)
            self.single = not isinstance(result, (tuple, list))
            results = [result] if self.single else list(result)
            return [r.data if isinstance(r, Tensor) else np.asarray(r) for r in results]

        self.plan = StepPlan(step)

    def __call__(self, args):
        for buf, a in zip(self.inputs, args):
            if buf is not None:
                buf[...] = a.data if isinstance(a, Tensor) else a
        outputs = self.plan()
        if self.plan.state == EAGER:
            raise RuntimeError(f"fastnn.function: this step cannot be replayed: {self.plan.reason}")
        tensors = [Tensor(o) for o in outputs]
        return tensors[0] if self.single else tuple(tensors)


def function(fn):
    """Decorator: replays fn's kernel calls after recording and checking them (see module doc)."""
    plans = {}

    @functools.wraps(fn)
    def wrapper(*args):
        key = _signature(args)
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _Recorded(fn, args)
        return plan(args)

    wrapper.plans = plans
    return wrapper
