"""Side-by-side training benchmark of functional-API graph networks: fastnn, PyTorch and Keras 3 on JAX.

Models (--models, any of them; trainbench/graphnets.py describes each once, every framework builds it
from that description with the same initial weights):

- residual: conv-BN-relu stem, a residual block (conv-BN-relu-conv-BN, layers.add, relu), 2x2 max
  pooling, a second residual block, global average pooling, Dense(10, softmax);
- inception: a conv stem and pooling, four Inception-style branches concatenated, pooling, global
  average pooling, Dense(10, softmax);
- vae: a dense variational autoencoder (784-256-2, sampling, 2-256-784) trained on reconstruction
  cross-entropy plus the KL divergence; its "test metric" is the loss on the test images.

Adam (Keras's defaults), batch 64, float32, MNIST (or --synthetic images of MNIST's shapes). PyTorch
runs an nn.Module of the same structure in channels-last memory format (predict in eval mode under
no_grad); Keras uses the JAX backend. Every framework runs in its own subprocess with the same thread
count (pinned to that many CPUs); the order alternates between rounds. An epoch is one pass over
--train-images images; epoch times are the median of the epochs after the first. The epoch's floor is
its convolution and dense FLOPs at NumPy's float32 GEMM rate, measured in each round in a subprocess
of its own at the same thread count. Ratios are taken within each round, then their median.

    python benchmarks/compare_residual.py [--models residual,inception,vae] [--rounds 3] [--epochs 4]
        [--threads 2] [--frameworks fastnn,torch,keras-jax] [--data-dir DIR | --synthetic] [--quick]
        [--json FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import data, graphnets  # noqa: E402

FRAMEWORKS = ("fastnn", "torch", "keras-jax")
GEMM = "numpy-gemm"
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "FASTNN_NUM_THREADS")
SKIPPED = 3
EPSILON = 1e-7  # inside the logarithms of the VAE's reconstruction loss


# ---- the frameworks (each imported only in its own worker process) -----------------------------
class FastnnTrainer:
    def __init__(self, spec, nodes, weights):
        import fastnn
        from fastnn import Input, backend as K, layers, models, optimizers

        fastnn.set_num_threads(spec["threads"])
        fastnn.utils.set_random_seed(spec["seed"])

        def sampling(name):
            def draw(args):
                mean, log_var = args
                return mean + K.exp(0.5 * log_var) * K.random_normal(shape=(K.shape(mean)[0], graphnets.LATENT))
            return layers.Lambda(draw, name=name)

        self.model = graphnets.build_keras_style(nodes, weights, layers, Input, models.Model, sampling)
        if graphnets.is_autoencoder(nodes):
            def vae_loss(y_true, y_pred):
                pixels = y_true.shape[-1]
                recon, mean, log_var = y_pred[:, :pixels], y_pred[:, pixels:pixels + graphnets.LATENT], \
                    y_pred[:, pixels + graphnets.LATENT:]
                xent = -K.sum(y_true * K.log(recon + EPSILON) + (1 - y_true) * K.log(1 - recon + EPSILON), axis=-1)
                return xent - 0.5 * K.sum(1 + log_var - K.square(mean) - K.exp(log_var), axis=-1)
            self.model.compile(optimizer=optimizers.Adam(), loss=vae_loss)
        else:
            self.model.compile(optimizer=optimizers.Adam(), loss="categorical_crossentropy", metrics=["accuracy"])
        self.batch_size = spec["batch_size"]

    @staticmethod
    def version():
        import fastnn
        return fastnn.__version__

    def train_epoch(self, x, y):
        self.model.fit(x, y, epochs=1, batch_size=self.batch_size, shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def extra(self):
        """How fit's and predict's steps ran (step plans replayed, or eager and why)."""
        def states(function):
            plans = getattr(function, "plans", None)
            return sorted({p.state if p.reason is None else f"{p.state}: {p.reason}" for p in plans.plans.values()}) \
                if plans is not None else []
        memory = [p.memory for p in self.model.train_function.plans.plans.values() if p.memory]
        return {"train_plans": states(self.model.train_function), "predict_plans": states(self.model.predict_function),
                "plan_memory_over_live_peak": max((m["slab_bytes"] / m["peak_live_bytes"] for m in memory
                                                   if m["peak_live_bytes"]), default=None)}


class TorchTrainer:
    def __init__(self, spec, nodes, weights):
        import torch
        from torch import nn

        self.torch, self.spec, self.nodes = torch, spec, nodes
        torch.set_num_threads(spec["threads"])
        torch.manual_seed(spec["seed"])
        shapes = graphnets.shapes(nodes)
        self.images = len(nodes[0]["shape"]) == 3

        class GraphNet(nn.Module):
            """The nodes in order; conv and pooling on NCHW tensors (stored channels-last)."""

            def __init__(self):
                super().__init__()
                self.parts = nn.ModuleDict()
                for node in nodes:
                    name, op = node["name"], node["op"]
                    arrays = [torch.from_numpy(np.ascontiguousarray(a)) for a in graphnets.layer_weights(weights, name)]
                    if op == "conv":
                        layer = nn.Conv2d(shapes[node["inputs"][0]][-1], node["filters"], node["kernel"],
                                          padding="same" if node["padding"] == "same" else 0)
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

            def forward(self, x):
                functional = torch.nn.functional
                values = {}
                for node in nodes:
                    name, op, ins = node["name"], node["op"], [values.get(i) for i in node["inputs"]]
                    if op == "input":
                        out = x
                    elif op in ("conv", "bn", "dense"):
                        out = self.parts[name](ins[0])
                        # softmax stays out: the loss takes logits, predict applies it
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
                    elif op == "sampling":
                        out = ins[0] + torch.exp(0.5 * ins[1]) * torch.randn_like(ins[0])
                    values[name] = out
                return values[nodes[-1]["name"]]

        self.model = GraphNet()
        if self.images:
            self.model = self.model.to(memory_format=torch.channels_last)
        # PyTorch adds epsilon outside the square root of v-hat, Keras to sqrt(v); both 1e-7.
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
        self.epoch = 0

    @staticmethod
    def version():
        import torch
        return torch.__version__

    def _inputs(self, x):
        torch = self.torch
        if not self.images:
            return torch.from_numpy(np.ascontiguousarray(x))
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).contiguous(
            memory_format=torch.channels_last)

    def loss(self, outputs, targets):
        torch = self.torch
        if not graphnets.is_autoencoder(self.nodes):
            return torch.nn.functional.cross_entropy(outputs, targets)
        pixels = targets.shape[1]
        recon, mean, log_var = outputs[:, :pixels], outputs[:, pixels:pixels + graphnets.LATENT], \
            outputs[:, pixels + graphnets.LATENT:]
        xent = -(targets * torch.log(recon + EPSILON) + (1 - targets) * torch.log(1 - recon + EPSILON)).sum(dim=1)
        kl = -0.5 * (1 + log_var - mean ** 2 - torch.exp(log_var)).sum(dim=1)
        return (xent + kl).mean()

    def train_epoch(self, x, y):
        torch = self.torch
        self.model.train()
        x_t = self._inputs(x)
        y_t = torch.from_numpy(y.argmax(axis=1) if y.ndim == 2 and not graphnets.is_autoencoder(self.nodes) else y)
        order = torch.from_numpy(np.random.default_rng([self.spec["seed"], self.epoch]).permutation(len(x)))
        self.epoch += 1
        batch = self.spec["batch_size"]
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss(self.model(x_t[idx]), y_t[idx]).backward()
            self.optimizer.step()

    def predict(self, x, batch_size):
        torch = self.torch
        self.model.eval()
        x_t = self._inputs(x)
        with torch.no_grad():
            outputs = [self.model(x_t[s:s + batch_size]) for s in range(0, len(x), batch_size)]
            out = torch.cat(outputs)
            if not graphnets.is_autoencoder(self.nodes):
                out = torch.softmax(out, dim=1)
        return out.numpy()

    def extra(self):
        return {}


class KerasTrainer:
    def __init__(self, spec, nodes, weights):
        import keras
        from keras import layers, ops

        if keras.backend.backend() != "jax":
            raise ImportError(f"Keras uses the {keras.backend.backend()!r} backend, not 'jax'")
        keras.utils.set_random_seed(spec["seed"])

        class Sampling(layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seeds = keras.random.SeedGenerator(spec["seed"])

            def call(self, inputs):
                mean, log_var = inputs
                return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.seeds)

        self.model = graphnets.build_keras_style(nodes, weights, layers, keras.Input, keras.Model,
                                                 lambda name: Sampling(name=name))
        if graphnets.is_autoencoder(nodes):
            def vae_loss(y_true, y_pred):
                pixels = y_true.shape[-1]
                recon, mean, log_var = y_pred[:, :pixels], y_pred[:, pixels:pixels + graphnets.LATENT], \
                    y_pred[:, pixels + graphnets.LATENT:]
                xent = -ops.sum(y_true * ops.log(recon + EPSILON) + (1 - y_true) * ops.log(1 - recon + EPSILON),
                                axis=-1)
                return xent - 0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
            self.model.compile(optimizer=keras.optimizers.Adam(), loss=vae_loss)
        else:
            self.model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy",
                               metrics=["accuracy"])
        self.batch_size = spec["batch_size"]

    @staticmethod
    def version():
        import jax
        import keras
        return f"keras {keras.__version__}, jax {jax.__version__}"

    def train_epoch(self, x, y):
        self.model.fit(x, y, epochs=1, batch_size=self.batch_size, shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def extra(self):
        return {}


TRAINERS = {"fastnn": FastnnTrainer, "torch": TorchTrainer, "keras-jax": KerasTrainer}


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gemm_gflops(size=1024, repeats=7):
    """NumPy's float32 matrix product rate (best of `repeats`), in GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    return 2 * size ** 3 / min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats)) / 1e9


def _arrays(spec):
    """(x_train, y_train, x_test, labels_test) as the network takes them."""
    if spec["synthetic"]:
        x, labels, x_test, labels_test = graphnets.synthetic(spec["train_images"], spec["test_images"], spec["seed"])
    else:
        arrays = data.load(spec["data_dir"])
        x, labels = arrays["x_train"][:spec["train_images"]], arrays["labels_train"][:spec["train_images"]]
        x_test, labels_test = arrays["x_test"][:spec["test_images"]], arrays["labels_test"][:spec["test_images"]]
    nodes = graphnets.get(spec["model"])
    shape = (-1,) + tuple(nodes[0]["shape"])
    x, x_test = np.ascontiguousarray(x.reshape(shape)), np.ascontiguousarray(x_test.reshape(shape))
    y = x if graphnets.is_autoencoder(nodes) else data.one_hot(labels)
    return x, np.ascontiguousarray(y), x_test, labels_test


def test_metric(nodes, outputs, x_test, labels_test):
    """("accuracy", share right) for a classifier; ("loss", mean loss) for the autoencoder."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if not graphnets.is_autoencoder(nodes):
        return "accuracy", float(np.mean(outputs.argmax(axis=1) == labels_test))
    pixels = x_test.shape[1]
    recon = outputs[:, :pixels]
    mean, log_var = outputs[:, pixels:pixels + graphnets.LATENT], outputs[:, pixels + graphnets.LATENT:]
    xent = -np.sum(x_test * np.log(recon + EPSILON) + (1 - x_test) * np.log(1 - recon + EPSILON), axis=1)
    kl = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=1)
    return "loss", float(np.mean(xent + kl))


def measure(framework, spec):
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if cpus and spec["threads"] < len(cpus):
        os.sched_setaffinity(0, cpus[:spec["threads"]])
    if framework == GEMM:
        return {"framework": GEMM, "version": f"numpy {np.__version__}", "gemm_gflops": gemm_gflops()}
    nodes = graphnets.get(spec["model"])
    saved = np.load(spec["weights"])
    trainer = TRAINERS[framework](spec, nodes, {key: saved[key] for key in saved.files})
    x, y, x_test, labels_test = _arrays(spec)
    epochs = [_timed(lambda: trainer.train_epoch(x, y)) for _ in range(spec["epochs"])]
    predict = [_timed(lambda: trainer.predict(x_test, spec["predict_batch_size"]))
               for _ in range(spec["predict_repeats"] + 1)][1:]
    metric, value = test_metric(nodes, trainer.predict(x_test, spec["predict_batch_size"]), x_test, labels_test)
    return {"framework": framework, "model": spec["model"], "version": trainer.version(), "epoch_seconds": epochs,
            "predict_seconds": predict, "predict_images": len(x_test), "loadavg": os.getloadavg()[0],
            "test_metric": metric, "test_value": value, **trainer.extra()}


def worker(framework, spec_file, out_file):
    spec = json.loads(Path(spec_file).read_text())
    try:
        result, code = measure(framework, spec), 0
    except ImportError as exc:
        result, code = {"framework": framework, "skipped": f"{type(exc).__name__}: {exc}"}, SKIPPED
    Path(out_file).write_text(json.dumps(result))
    return code


def run_worker(framework, spec, workdir, timeout):
    tag = f"{framework}-{spec.get('model', 'gemm')}-{os.urandom(4).hex()}"
    spec_file, out_file = Path(workdir) / f"{tag}.spec.json", Path(workdir) / f"{tag}.out.json"
    spec_file.write_text(json.dumps(spec))
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    env.update({var: str(spec["threads"]) for var in THREAD_ENV_VARS})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", framework, str(spec_file), str(out_file)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"framework": framework, "failed": f"timed out after {timeout:.0f} s"}
    if out_file.exists() and proc.returncode in (0, SKIPPED):
        return json.loads(out_file.read_text())
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
    return {"framework": framework, "failed": f"exit code {proc.returncode}:\n{tail}"}


def epoch_time(result):
    """The median epoch after the first (the first includes warm-up and compilation)."""
    times = result["epoch_seconds"]
    return statistics.median(times[1:] if len(times) > 1 else times)


def predict_time(result):
    return statistics.median(result["predict_seconds"])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="residual", help=f"comma-separated, of {', '.join(graphnets.NETWORKS)}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (the first is not counted)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-images", type=int, default=12_800)
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="train on all 60,000 images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--predict-batch-size", type=int, default=128)
    parser.add_argument("--predict-repeats", type=int, default=3)
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--synthetic", action="store_true", help="learnable random images instead of MNIST")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run that checks the benchmark works: 1 round of 2 epochs over 256 images, "
                             "256 test images, synthetic images unless --data-dir is given")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return args
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [f for f in args.frameworks if f not in FRAMEWORKS]
    if unknown:
        parser.error(f"unknown framework(s) {unknown}; choose from {list(FRAMEWORKS)}")
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in graphnets.NETWORKS]
    if unknown or not args.models:
        parser.error(f"unknown model(s) {unknown}; choose from {list(graphnets.NETWORKS)}")
    if args.full:
        args.train_images = 60_000
    if args.quick:
        args.rounds, args.epochs, args.train_images, args.test_images, args.predict_repeats = 1, 2, 256, 256, 1
        args.synthetic = args.synthetic or args.data_dir is None
    for name in ("rounds", "epochs", "threads", "train_images", "test_images", "batch_size", "predict_batch_size",
                 "predict_repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, received: {getattr(args, name)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    data_dir = None if args.synthetic else data.locate(args.data_dir)
    print(f"load average at start {os.getloadavg()}; {args.threads} thread(s), {args.rounds} round(s) of "
          f"{args.epochs} epochs over {args.train_images} {'synthetic' if args.synthetic else 'MNIST'} images, "
          f"batch {args.batch_size}; models {', '.join(args.models)}")
    runs = {m: {f: [] for f in args.frameworks} for m in args.models}
    gemm, notes = [], {}
    with tempfile.TemporaryDirectory(prefix="fastnn-residual-") as workdir:
        base = {"threads": args.threads, "epochs": args.epochs, "train_images": args.train_images,
                "test_images": args.test_images, "batch_size": args.batch_size,
                "predict_batch_size": args.predict_batch_size, "predict_repeats": args.predict_repeats,
                "seed": args.seed, "data_dir": None if data_dir is None else str(data_dir),
                "synthetic": args.synthetic}
        specs = {}
        for model in args.models:
            weights = str(Path(workdir) / f"{model}.weights.npz")
            np.savez(weights, **graphnets.initial_weights(graphnets.get(model), args.seed))
            specs[model] = dict(base, model=model, weights=weights)
        for r in range(args.rounds):
            result = run_worker(GEMM, base, workdir, args.timeout)
            if "gemm_gflops" in result:
                gemm.append(result["gemm_gflops"])
                print(f"round {r + 1}: NumPy float32 GEMM {result['gemm_gflops']:.1f} GFLOP/s", flush=True)
            for model in args.models:
                order = args.frameworks if r % 2 == 0 else args.frameworks[::-1]
                for framework in order:
                    key = f"{model}/{framework}"
                    if key in notes:
                        continue
                    result = run_worker(framework, specs[model], workdir, args.timeout)
                    if "skipped" in result or "failed" in result:
                        notes[key] = result.get("skipped") or result.get("failed")
                        print(f"round {r + 1}: {key} not measured: {notes[key]}")
                        continue
                    runs[model][framework].append(result)
                    print(f"round {r + 1}: {key:20s} epochs " + " ".join(f"{t:.3f}" for t in result["epoch_seconds"])
                          + f" s, predict {predict_time(result):.3f} s, test {result['test_metric']} "
                          f"{result['test_value']:.4f}, load {result['loadavg']:.1f}", flush=True)
    summary = {model: summarise(model, runs[model], args, statistics.median(gemm) if gemm else None)
               for model in args.models}
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "gemm_gflops": gemm, "runs": runs,
                                               "summary": summary, "notes": notes}, indent=2))
    return 1 if any(n.startswith(("exit code", "timed out")) for n in notes.values()) else 0


def summarise(model, runs, args, gemm):
    """Per framework: epoch and predict times, the floor, the test metric; for fastnn its ratios to
    the peers and the issue's goals."""
    nodes = graphnets.get(model)
    forward, training = graphnets.flops_per_sample(nodes)
    epoch_flops, predict_flops = training * args.train_images, forward * args.test_images
    floor = epoch_flops / (gemm * 1e9) if gemm else None
    measured = {f: rs for f, rs in runs.items() if rs}
    print(f"\n{model}: {training / 1e6:.2f} MFLOP per training image (conv and dense); epoch floor "
          + (f"{floor:.3f} s at {gemm:.1f} GFLOP/s" if floor else "not measured"))
    print(f"{'framework':10s} {'epoch s':>9s} {'x floor':>8s} {'predict img/s':>14s} {'test':>14s}  version")
    summary = {"floor_s": floor, "gemm_gflops": gemm, "epoch_flops": epoch_flops}
    for f, rs in measured.items():
        epoch = statistics.median(epoch_time(r) for r in rs)
        predict = statistics.median(predict_time(r) for r in rs)
        value = statistics.median(r["test_value"] for r in rs)
        summary[f] = {"epoch_s": epoch, "epoch_over_floor": epoch / floor if floor else None,
                      "predict_images_per_s": rs[0]["predict_images"] / predict,
                      "predict_share_of_gemm": predict_flops / predict / (gemm * 1e9) if gemm else None,
                      rs[0]["test_metric"]: value}
        for key in ("train_plans", "predict_plans"):
            if key in rs[0]:
                summary[f][key] = rs[0][key]
        over = f"{epoch / floor:8.2f}" if floor else f"{'-':>8s}"
        print(f"{f:10s} {epoch:9.3f} {over} {rs[0]['predict_images'] / predict:14.0f} "
              f"{rs[0]['test_metric'] + ' ' + format(value, '.4f'):>14s}  {rs[0]['version']}")
    if "fastnn" in measured:
        goals(summary, measured, floor, gemm, predict_flops)
    return summary


def goals(summary, measured, floor, gemm, predict_flops):
    fast = measured["fastnn"]
    print(f"fastnn's steps: fit {fast[0].get('train_plans')}, predict {fast[0].get('predict_plans')}")
    memory = fast[0].get("plan_memory_over_live_peak")
    if memory is not None:
        summary["fastnn"]["plan_memory_over_live_peak"] = memory
        print(f"goal fit's plan memory <= 1.25x its live activations at the peak ({memory:.2f}x): "
              f"{'PASS' if memory <= 1.25 else 'FAIL'}")
    peers = [p for p in measured if p != "fastnn"]
    ratios = {}
    for peer in peers:
        pairs = list(zip(fast, measured[peer]))  # runs of one round were made back to back
        ratios[peer] = statistics.median(epoch_time(a) / epoch_time(b) for a, b in pairs)
        speedup = statistics.median(predict_time(b) / predict_time(a) for a, b in pairs)
        summary["fastnn"][f"epoch_ratio_vs_{peer}"] = ratios[peer]
        summary["fastnn"][f"predict_speedup_vs_{peer}"] = speedup
        print(f"fastnn vs {peer}: epoch time ratio {ratios[peer]:.2f}, predict {speedup:.2f}x as fast "
              "(medians of per-round ratios)")
    if peers:
        fastest = min(peers, key=lambda p: summary[p]["epoch_s"])
        target = 0.5 * summary[fastest]["epoch_s"]
        if floor and target < floor:
            target = 1.25 * floor
        ok = summary["fastnn"]["epoch_s"] <= target
        print(f"goal epoch <= {target:.3f} s (0.5x {fastest}, or 1.25x the floor where that is below it): "
              f"{'PASS' if ok else 'FAIL'}")
        metric = fast[0]["test_metric"]
        if metric == "accuracy":
            worst = max(abs(summary["fastnn"]["accuracy"] - summary[p]["accuracy"]) for p in peers)
            print(f"goal test accuracy within 0.01 of the peers: {'PASS' if worst <= 0.01 else 'FAIL'} "
                  f"(largest difference {worst:.4f})")
    if "torch" in measured and gemm:
        share = summary["fastnn"]["predict_share_of_gemm"]
        ok = summary["fastnn"]["predict_speedup_vs_torch"] >= 2 or share >= 0.8
        print(f"goal predict >= 2x PyTorch eval or >= 80% of the GEMM rate ({share:.0%}): {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
