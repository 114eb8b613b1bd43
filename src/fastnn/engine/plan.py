"""StepPlan: a step recorded on its first call, checked against the eager step on its second,
and replayed from its tape ever after.

The step is any function of no arguments that reads its inputs from fixed arrays and returns
the arrays it produces (loss, predictions, gradient buffers...). Replaying its tape repeats
the same kernel calls on the same arrays, so it gives the eager step's bits; the check on the
second call confirms it on fresh data, and a step that computed anything outside the kernels
(NumPy on tensor data, a temporary copy) stays eager.
"""
import numpy as np

from . import rewrites
from .recording import recording

NEW, CHECK, REPLAY, EAGER = "new", "check", "replay", "eager"


def _extent(array):
    start = array.__array_interface__["data"][0]
    return (start, start + array.nbytes)


def _same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8))


class StepPlan:
    def __init__(self, step):
        self.step = step
        self.state = NEW
        self.reason = None  # why the plan stays eager
        self.tape = None
        self.outputs = None
        self.memory = None  # share_buffers' report: slab bytes and the peak of the live intermediates

    def __call__(self):
        """The step's outputs: recorded, checked or replayed, as the plan's state says."""
        if self.state == REPLAY:
            self.tape.run()
            return self.outputs
        if self.state == NEW:
            return self._record()
        if self.state == CHECK:
            return self._check()
        return self.step()

    def _record(self):
        with recording() as tape:
            outputs = self.step()
        if tape.problem is not None:
            self._stay_eager(tape.problem)
            return outputs
        kept = [_extent(a) for a in outputs] + [_extent(a) for host in tape.hosts for a in host.arrays()]
        self.memory = {}
        self.tape = rewrites.share_buffers(rewrites.fold_relu_grads(tape, kept), kept, self.memory)
        self.outputs = outputs
        self.state = CHECK
        return outputs

    def _check(self):
        """Runs the step eagerly and then its tape from the same state (random keys, and what host
        calls such as an optimizer's update change); both must give the same bits."""
        before = self._state()
        eager = [np.array(a, copy=True) for a in self.step()] + self._state()
        self._restore(before)
        self.tape.run()
        replayed = list(self.outputs) + self._state()
        if len(eager) == len(replayed) and all(_same_bits(a, b) for a, b in zip(replayed, eager)):
            self.state = REPLAY
            return self.outputs
        self._restore(before)
        self._stay_eager("its replay differed from the eager step")
        return self.step()

    def _state(self):
        """Copies of everything a step changes besides its outputs: dropout keys, host calls' state."""
        state = [s.copy() for s in self.tape.states]
        for host in self.tape.hosts:
            state.extend(np.array(a, copy=True) for a in host.state())
        return state

    def _restore(self, saved):
        saved = iter(saved)
        for s in self.tape.states:
            s[...] = next(saved)
        for host in self.tape.hosts:
            host.restore([next(saved) for _ in host.state()])

    def _stay_eager(self, reason):
        self.state, self.reason, self.tape, self.outputs = EAGER, reason, None, None


class PlanCache:
    """StepPlans by key (e.g. the batch shape), all dropped when `signature()` changes; at most
    `capacity` of them, the least recently made dropped first."""

    def __init__(self, signature, capacity=8):
        self.signature = signature
        self.capacity = capacity
        self.plans = {}
        self._seen = None

    def get(self, key, make_step):
        current = self.signature()
        if current != self._seen:
            self.plans.clear()
            self._seen = current
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) >= self.capacity:
                del self.plans[next(iter(self.plans))]
            plan = self.plans[key] = StepPlan(make_step())
        return plan
