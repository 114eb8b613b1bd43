"""A configuration in PyTorch: nn.Sequential, the matching torch.optim optimizer, a hand-written loop.

The output activation that a Keras loss pairs with (softmax before cross-entropy, sigmoid before binary
cross-entropy) is folded into PyTorch's loss on logits, as PyTorch users write it, and applied in predict.

Optimizers, Keras's formulas next to PyTorch's (g the gradient, lr the learning rate):
- RMSprop: Keras p -= lr*g/sqrt(ms + eps); PyTorch p -= lr*g/(sqrt(ms) + eps). alpha=rho (PyTorch's default
  alpha is 0.99, Keras's rho 0.9). With eps=1e-7 they differ only where ms is ~1e-14 or less.
- Adam: Keras p -= lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v) + eps); PyTorch p -= lr/(1-b1^t) *
  m/(sqrt(v)/sqrt(1-b2^t) + eps): Keras's eps is PyTorch's eps times sqrt(1-b2^t), so the same eps=1e-7
  is slightly smaller in Keras during the first steps (PyTorch's default eps is 1e-8; 1e-7 is passed).
- SGD with Nesterov momentum: Keras v = mu*v - lr*g; p += mu*v - lr*g. PyTorch b = mu*b + g;
  p -= lr*(g + mu*b). With a constant learning rate b = -v/lr, so the two are the same update.
- Adagrad: Keras p -= lr*g/sqrt(acc + eps); PyTorch p -= lr*g/(sqrt(acc) + eps); both start the
  accumulator at initial_accumulator_value=0.1 (PyTorch's default is 0, so it is passed).
"""
import numpy as np
import torch
from torch import nn

from .. import modelspec
from ..workload import batch_slices, epoch_permutation

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softmax": lambda: nn.Softmax(dim=1)}


def version():
    return torch.__version__


def unsupported(name, spec):
    if spec["loss"] != "mse" and _folded_activation(spec) is None:
        return "cross-entropy is taken on logits here: the last layer must be dense softmax (or sigmoid for binary)"
    return None


def _folded_activation(spec):
    """The output activation the loss takes over, or None."""
    last = spec["layers"][-1]
    if last["type"] != "dense":
        return None
    if last["activation"] == "softmax" and spec["loss"] in ("categorical_crossentropy",
                                                            "sparse_categorical_crossentropy"):
        return "softmax"
    if last["activation"] == "sigmoid" and spec["loss"] == "binary_crossentropy":
        return "sigmoid"
    return None


def build_model(spec, weights):
    """(nn.Sequential on logits when an activation is folded, the folded activation or None)."""
    folded = _folded_activation(spec)
    modules, kernels = [], iter(zip(weights[0::2], weights[1::2]))
    width = modelspec.input_size(spec)
    for i, layer in enumerate(spec["layers"]):
        if layer["type"] == "dense":
            linear = nn.Linear(width, layer["units"])
            kernel, bias = next(kernels)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))  # PyTorch: (out, in)
                linear.bias.copy_(torch.from_numpy(bias))
            modules.append(linear)
            last = i == len(spec["layers"]) - 1
            if layer["activation"] in ACTIVATIONS and not (last and folded):
                modules.append(ACTIVATIONS[layer["activation"]]())
            width = layer["units"]
        elif layer["type"] == "dropout":
            modules.append(nn.Dropout(layer["rate"]))
        else:
            modules.append(nn.Flatten())
    return nn.Sequential(*modules), folded


def build_optimizer(spec, parameters):
    name, c = modelspec.optimizer_config(spec)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=c["learning_rate"], alpha=c["rho"], eps=c["epsilon"])
    if name == "adam":
        return torch.optim.Adam(parameters, lr=c["learning_rate"], betas=(c["beta_1"], c["beta_2"]),
                                eps=c["epsilon"])
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=c["learning_rate"], momentum=c["momentum"], nesterov=c["nesterov"])
    return torch.optim.Adagrad(parameters, lr=c["learning_rate"],
                               initial_accumulator_value=c["initial_accumulator_value"], eps=c["epsilon"])


def loss_function(spec, folded):
    if spec["loss"] == "mse":
        return nn.functional.mse_loss
    if spec["loss"] == "binary_crossentropy":
        return nn.functional.binary_cross_entropy_with_logits
    return nn.functional.cross_entropy  # one-hot float targets and int64 classes alike


class Trainer:
    def __init__(self, spec, weights, seed, threads):
        self.spec = spec
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.seed = seed
        self.model, self.folded = build_model(spec, weights)
        self.optimizer = build_optimizer(spec, self.model.parameters())
        self.loss = loss_function(spec, self.folded)
        self.model.train()

    def train_epoch(self, x, y, epoch):
        x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.from_numpy(epoch_permutation(self.seed, epoch, len(x)))
        for batch in batch_slices(len(x), self.spec["batch_size"]):
            idx = order[batch]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.model(x_t[idx]), y_t[idx])
            loss.backward()
            self.optimizer.step()

    def predict(self, x, batch_size):
        self.model.eval()
        x_t = torch.from_numpy(x)
        finish = {"softmax": lambda z: torch.softmax(z, dim=1), "sigmoid": torch.sigmoid, None: lambda z: z}[self.folded]
        with torch.no_grad():
            out = torch.cat([finish(self.model(x_t[b])) for b in batch_slices(len(x), batch_size)])
        self.model.train()
        return out.numpy()

    def get_weights(self):
        weights = []
        for module in self.model:
            if isinstance(module, nn.Linear):
                weights += [module.weight.detach().numpy().T.copy(), module.bias.detach().numpy().copy()]
        return weights

    def notes(self):
        return {"loss_on_logits": self.folded is not None}
