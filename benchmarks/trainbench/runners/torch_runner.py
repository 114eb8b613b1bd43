"""The network in PyTorch: nn.Sequential, cross-entropy on logits, torch.optim.RMSprop."""
import numpy as np
import torch
from torch import nn

from ..workload import CLASSES, HIDDEN, INPUTS, batch_slices, epoch_permutation


def version():
    return torch.__version__


class Trainer:
    def __init__(self, spec, weights):
        self.spec = spec
        torch.set_num_threads(spec.threads)
        torch.manual_seed(spec.seed)
        self.model = nn.Sequential(nn.Linear(INPUTS, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
        w1, b1, w2, b2 = weights
        with torch.no_grad():
            # nn.Linear stores its weight as (out, in): the transpose of Keras's kernel.
            self.model[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(w1.T)))
            self.model[0].bias.copy_(torch.from_numpy(b1))
            self.model[2].weight.copy_(torch.from_numpy(np.ascontiguousarray(w2.T)))
            self.model[2].bias.copy_(torch.from_numpy(b2))
        # PyTorch adds epsilon outside the square root (g / (sqrt(ms) + eps)), Keras inside; with eps=1e-7
        # the two differ only where ms is ~1e-14 or smaller.
        self.optimizer = torch.optim.RMSprop(
            self.model.parameters(), lr=spec.learning_rate, alpha=spec.rho, eps=spec.epsilon)
        self.model.train()

    def train_epoch(self, x, y, epoch):
        x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.from_numpy(epoch_permutation(self.spec.seed, epoch, len(x)))
        for batch in batch_slices(len(x), self.spec.batch_size):
            idx = order[batch]
            self.optimizer.zero_grad(set_to_none=True)
            # Softmax output + categorical cross-entropy == cross_entropy on logits with one-hot targets.
            loss = nn.functional.cross_entropy(self.model(x_t[idx]), y_t[idx])
            loss.backward()
            self.optimizer.step()

    def predict(self, x, batch_size):
        self.model.eval()
        x_t = torch.from_numpy(x)
        with torch.no_grad():
            out = torch.cat([torch.softmax(self.model(x_t[b]), dim=1)
                             for b in batch_slices(len(x), batch_size)])
        self.model.train()
        return out.numpy()

    def get_weights(self):
        first, second = self.model[0], self.model[2]
        return [first.weight.detach().numpy().T.copy(), first.bias.detach().numpy().copy(),
                second.weight.detach().numpy().T.copy(), second.bias.detach().numpy().copy()]
