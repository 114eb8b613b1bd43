"""PyTorch: an nn.Module that runs the nodes in order on NCHW tensors stored channels-last, a
hand-written training loop (the loss takes logits: a softmax output node is left to predict), and
predict in eval mode under no_grad."""
import numpy as np

from .. import graphnets
from . import optimizer


def version():
    import torch
    return torch.__version__


def build_module(nodes, weights):
    """The network as an nn.Module holding the given Keras-layout weights."""
    import torch
    from torch import nn

    shapes = graphnets.shapes(nodes)
    functional = nn.functional

    class GraphNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = nn.ModuleDict()
            self.pads = {}
            for node in nodes:
                name, op = node["name"], node["op"]
                arrays = [torch.from_numpy(np.ascontiguousarray(a)) for a in graphnets.layer_weights(weights, name)]
                if op == "conv":
                    layer, self.pads[name] = self._conv(node, shapes[node["inputs"][0]])
                    layer.weight.data.copy_(arrays[0].permute(3, 2, 0, 1))
                    layer.bias.data.copy_(arrays[1])
                elif op == "bn":  # Keras: moving = 0.99 moving + 0.01 batch, epsilon 1e-3
                    layer = nn.BatchNorm2d(shapes[name][-1], eps=1e-3, momentum=0.01)
                    for target, source in zip((layer.weight, layer.bias, layer.running_mean, layer.running_var),
                                              arrays):
                        target.data.copy_(source)
                elif op == "dense":
                    layer = nn.Linear(shapes[node["inputs"][0]][-1], node["units"])
                    layer.weight.data.copy_(arrays[0].T)
                    layer.bias.data.copy_(arrays[1])
                else:
                    continue
                self.parts[name] = layer

        @staticmethod
        def _conv(node, in_shape):
            """(nn.Conv2d, None or the (left, right, top, bottom) zeros to add first): Keras's 'same'
            puts an odd padding's extra zero after, which Conv2d's own padding cannot."""
            h, w, channels = in_shape
            (top, bottom), (left, right) = graphnets.same_padding(h, node), graphnets.same_padding(w, node)
            symmetric = node["padding"] == "same" and top == bottom and left == right
            layer = nn.Conv2d(channels, node["filters"], node["kernel"], stride=node.get("strides", 1),
                              dilation=node.get("dilation", 1), padding=(top, left) if symmetric else 0)
            pads = (left, right, top, bottom) if node["padding"] == "same" and not symmetric else None
            return layer, pads

        def forward(self, x):
            values = {}
            for node in nodes:
                name, op, ins = node["name"], node["op"], [values.get(i) for i in node["inputs"]]
                if op == "input":
                    out = x
                elif op in ("conv", "bn", "dense"):
                    source = ins[0]
                    if self.pads.get(name):
                        source = functional.pad(source, self.pads[name])
                    out = self.parts[name](source)
                    if node.get("activation") in ("relu", "sigmoid"):
                        out = getattr(torch, node["activation"])(out)
                elif op == "relu":
                    out = torch.relu(ins[0])
                elif op == "add":
                    out = ins[0] + ins[1]
                elif op == "concat":
                    out = torch.cat(ins, dim=1)
                elif op == "maxpool":
                    pad = node["size"] // 2 if node["padding"] == "same" else 0
                    out = functional.max_pool2d(ins[0], node["size"], node["strides"], pad)
                elif op == "gap":
                    out = ins[0].mean(dim=(2, 3))
                elif op == "flatten":  # Keras flattens (h, w, c): the same order keeps the dense rows aligned
                    out = ins[0].permute(0, 2, 3, 1).reshape(ins[0].shape[0], -1)
                elif op == "sampling":
                    out = ins[0] + torch.exp(0.5 * ins[1]) * torch.randn_like(ins[0])
                else:
                    raise ValueError(f"node {name!r}: unknown op {op!r}")
                values[name] = out
            return values[nodes[-1]["name"]]

    return GraphNet()


class Trainer:
    def __init__(self, job, nodes, weights):
        import torch

        self.torch, self.job, self.nodes = torch, job, nodes
        torch.set_num_threads(job["threads"])
        torch.manual_seed(job["seed"])
        self.images = len(nodes[0]["shape"]) == 3
        self.model = build_module(nodes, weights)
        if self.images:
            self.model = self.model.to(memory_format=torch.channels_last)
        name, config = optimizer(job)
        # PyTorch adds epsilon outside the square root (of v-hat for Adam), Keras inside; with 1e-7 they
        # barely differ.
        if name == "adam":
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config["learning_rate"],
                                              betas=(config["beta_1"], config["beta_2"]), eps=config["epsilon"])
        else:
            self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=config["learning_rate"],
                                                 alpha=config["rho"], eps=config["epsilon"])
        self.epoch = 0

    def inputs(self, x):
        torch = self.torch
        if not self.images:
            return torch.from_numpy(np.ascontiguousarray(x))
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).contiguous(
            memory_format=torch.channels_last)

    def loss(self, outputs, targets):
        torch = self.torch
        if not graphnets.is_autoencoder(self.nodes):
            return torch.nn.functional.cross_entropy(outputs, targets)
        pixels, eps = targets.shape[1], graphnets.EPSILON
        recon, mean, log_var = outputs[:, :pixels], outputs[:, pixels:pixels + graphnets.LATENT], \
            outputs[:, pixels + graphnets.LATENT:]
        xent = -(targets * torch.log(recon + eps) + (1 - targets) * torch.log(1 - recon + eps)).sum(dim=1)
        kl = -0.5 * (1 + log_var - mean ** 2 - torch.exp(log_var)).sum(dim=1)
        return (xent + kl).mean()

    def train_epoch(self, x, y):
        torch = self.torch
        self.model.train()
        x_t = self.inputs(x)
        y_t = torch.from_numpy(y.argmax(axis=1) if y.ndim == 2 and not graphnets.is_autoencoder(self.nodes) else y)
        order = torch.from_numpy(np.random.default_rng([self.job["seed"], self.epoch]).permutation(len(x)))
        self.epoch += 1
        batch, total = self.job["batch_size"], 0.0
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.model(x_t[idx]), y_t[idx])
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach()) * len(idx)
        return total / len(x)

    def predict(self, x, batch_size):
        torch = self.torch
        self.model.eval()
        x_t = self.inputs(x)
        with torch.no_grad():
            out = torch.cat([self.model(x_t[s:s + batch_size]) for s in range(0, len(x), batch_size)])
            if not graphnets.is_autoencoder(self.nodes):
                out = torch.softmax(out, dim=1)
        return out.numpy()

    def extra(self):
        return {}
