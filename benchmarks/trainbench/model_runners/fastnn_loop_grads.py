"""The hand-written chapter 2 loop with only forward and backward decorated by fastnn.engine.function;
the optimizer's apply runs after the replayed gradients, outside the decorated function, as fit does."""
from fastnn import engine

from . import fastnn_loop

version = fastnn_loop.version
unsupported = fastnn_loop.unsupported


class _GradientStep:
    def __init__(self, network, gradients):
        self.network, self.gradients = network, gradients
        self.plans = getattr(gradients, "plans", {})

    def __call__(self, x, y):
        loss, *grads = self.gradients(x, y)
        self.network.apply(grads)
        return loss


class Trainer(fastnn_loop.Trainer):
    @staticmethod
    def decorate(network):
        return _GradientStep(network, engine.function(network.gradients))

    @staticmethod
    def undecorated(network):
        return _GradientStep(network, network.gradients)

    def notes(self):
        if self.problem is None:
            return {"step": "gradients replayed by fastnn.engine.function, update outside"}
        return {"step": "undecorated (eager)", "replay_error": self.problem}
