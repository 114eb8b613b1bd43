"""Host calls: Python actions a recorded step makes that its replay runs again as they are
(with the GIL), such as an optimizer's update, which reads its learning rate when it runs."""
import numpy as np

from .. import _C


class OptimizerUpdate:
    """optimizer.apply(grads, params, segments) on the arrays the recorded step used."""

    def __init__(self, optimizer, grads, params, segments):
        self.optimizer, self.grads, self.params, self.segments = optimizer, grads, params, segments

    def __call__(self):
        self.optimizer.apply(self.grads, self.params, segments=self.segments)

    def arrays(self):
        """Every array the update reads or writes."""
        return [g for g in self.grads if g is not None] + list(self.params)

    def state(self):
        """The arrays the update changes: the parameters, then the optimizer's variables."""
        return list(self.params) + [np.asarray(v) for v in self.optimizer.variables()]

    def restore(self, values):
        for param, value in zip(self.params, values):
            param[...] = value
        self.optimizer.set_variables(values[len(self.params):])


def record_optimizer_update(optimizer, grads, params, segments):
    """While a step is recorded, its optimizer update becomes a host call of the tape."""
    tape = _C.recording_tape()
    if tape is not None:
        tape.add_host(OptimizerUpdate(optimizer, list(grads), list(params), segments))
