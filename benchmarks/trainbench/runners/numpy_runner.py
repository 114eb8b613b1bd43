"""The network trained by a hand-written NumPy loop, float32 throughout."""
import numpy as np

from ..workload import batch_slices, epoch_permutation


def version():
    return np.__version__


def _softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


class Trainer:
    def __init__(self, spec, weights):
        self.spec = spec
        self.params = [np.array(w, dtype="float32") for w in weights]
        self.mean_squares = [np.zeros_like(p) for p in self.params]
        # Preallocated scratch, so the update allocates nothing (fresh multi-MB temporaries cost page faults).
        self.scratch = [(np.empty_like(p), np.empty_like(p)) for p in self.params]

    def _forward(self, x):
        w1, b1, w2, b2 = self.params
        hidden = x @ w1
        hidden += b1
        np.maximum(hidden, 0, out=hidden)
        logits = hidden @ w2
        logits += b2
        return hidden, _softmax(logits)

    def _gradients(self, x, y):
        """Gradients of the mean categorical cross-entropy with respect to [W1, b1, W2, b2]."""
        _, _, w2, _ = self.params
        hidden, probs = self._forward(x)
        dlogits = probs
        dlogits -= y
        dlogits /= np.float32(len(x))
        dhidden = dlogits @ w2.T
        dhidden *= hidden > 0
        return [x.T @ dhidden, dhidden.sum(axis=0), hidden.T @ dlogits, dlogits.sum(axis=0)]

    def _rmsprop(self, grads):
        """Keras 3's RMSprop: ms = rho*ms + (1-rho)*g^2; p -= lr*g/sqrt(ms+eps)."""
        lr = np.float32(self.spec.learning_rate)
        rho = np.float32(self.spec.rho)
        eps = np.float32(self.spec.epsilon)
        for param, grad, ms, (step, denom) in zip(self.params, grads, self.mean_squares, self.scratch):
            np.multiply(grad, 1 - rho, out=step)
            step *= grad
            ms *= rho
            ms += step
            np.add(ms, eps, out=denom)
            np.sqrt(denom, out=denom)
            np.multiply(grad, lr, out=step)
            step /= denom
            param -= step

    def train_epoch(self, x, y, epoch):
        order = epoch_permutation(self.spec.seed, epoch, len(x))
        for batch in batch_slices(len(x), self.spec.batch_size):
            idx = order[batch]
            self._rmsprop(self._gradients(x[idx], y[idx]))

    def predict(self, x, batch_size):
        return np.concatenate([self._forward(x[b])[1] for b in batch_slices(len(x), batch_size)])

    def get_weights(self):
        return [p.copy() for p in self.params]
