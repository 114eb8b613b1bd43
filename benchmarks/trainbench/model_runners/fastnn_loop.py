"""Chapter 2's network as a hand-written training loop on fastnn Tensors, its step decorated with
fastnn.engine.function (recorded on the first call, checked on the second, replayed after).

The decorated step is the whole step: forward, loss, backward and the optimizer's apply. When fastnn
refuses to replay it (RuntimeError: the step cannot be replayed), the loop runs the same step
undecorated and notes() reports the reason. Whether it replays is found out first on a throwaway copy
of the network, so the weights being timed never take a step twice.
"""
import numpy as np

import fastnn
from fastnn import engine, optimizers

from .. import modelspec
from ..workload import batch_slices, epoch_permutation

CHAPTER2 = modelspec.MODELS["chapter2"]
PROBE_CALLS = 3  # record, check, replay


def version():
    return fastnn.__version__


def unsupported(name, spec):
    if spec != CHAPTER2:
        return "the hand-written loop is chapter 2's network (784-512 relu-10 softmax, RMSprop) only"
    return None


class Network:
    """784 -> relu(x @ W1 + b1) -> softmax(h @ W2 + b2), trained with categorical cross-entropy."""

    def __init__(self, weights, spec):
        self.params = [fastnn.Tensor(np.array(w, dtype="float32"), requires_grad=True) for w in weights]
        _, config = modelspec.optimizer_config(spec)
        self.optimizer = optimizers.RMSprop(**config)

    def logits(self, x):
        w1, b1, w2, b2 = self.params
        hidden = fastnn.relu(fastnn.dot(x, w1) + b1)
        return fastnn.dot(hidden, w2) + b2

    def gradients(self, x, y):
        """(mean loss, dW1, db1, dW2, db2)."""
        for p in self.params:
            p.grad = None
        loss = fastnn.ops.softmax_cross_entropy(self.logits(x), y)
        loss.backward()
        return (loss,) + tuple(p.grad for p in self.params)

    def apply(self, grads):
        self.optimizer.apply([g.data if isinstance(g, fastnn.Tensor) else g for g in grads],
                             [p.data for p in self.params])

    def train_step(self, x, y):
        loss, *grads = self.gradients(x, y)
        self.apply(grads)
        return loss

    def predict(self, x):
        with fastnn.no_grad():
            return fastnn.softmax(self.logits(x)).data


def replay_problem(make_step, weights, spec, batch_size):
    """None when make_step(network) decorated with engine.function replays, else the RuntimeError's text."""
    network = Network(weights, spec)
    step = make_step(network)
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, modelspec.input_size(spec)), dtype=np.float32)
    y = modelspec.targets(spec, rng.integers(0, 10, batch_size))
    try:
        for _ in range(PROBE_CALLS):
            step(x, y)
    except RuntimeError as exc:
        return str(exc)
    states = [p.plan.state for p in step.plans.values()]
    return None if states == ["replay"] else f"plan states after {PROBE_CALLS} calls: {states}"


class Trainer:
    def __init__(self, spec, weights, seed, threads):
        self.spec, self.seed = spec, seed
        fastnn.set_num_threads(threads)
        self.network = Network(weights, spec)
        self.problem = replay_problem(self.decorate, weights, spec, spec["batch_size"])
        self.step = self.decorate(self.network) if self.problem is None else self.undecorated(self.network)

    @staticmethod
    def decorate(network):
        return engine.function(network.train_step)

    @staticmethod
    def undecorated(network):
        return network.train_step

    def train_epoch(self, x, y, epoch):
        order = epoch_permutation(self.seed, epoch, len(x))
        for batch in batch_slices(len(x), self.spec["batch_size"]):
            idx = order[batch]
            self.step(x[idx], y[idx])

    def predict(self, x, batch_size):
        return np.concatenate([self.network.predict(x[b]) for b in batch_slices(len(x), batch_size)])

    def get_weights(self):
        return [p.data.copy() for p in self.network.params]

    def notes(self):
        if self.problem is None:
            return {"step": "replayed by fastnn.engine.function"}
        return {"step": "undecorated (eager)", "replay_error": self.problem}
