"""Side-by-side training benchmark: chapter 5's MNIST convnet in fastnn, PyTorch and Keras 3 on JAX.

The network is Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2) ->
Conv2D(64, 3x3, relu) -> Flatten -> Dense(64, relu) -> Dense(10, softmax), categorical cross-entropy,
RMSprop (lr 0.001, rho 0.9, eps 1e-7), batch 64, float32. Every framework starts from the same
glorot-uniform weights drawn once with NumPy, reads MNIST with the same loader, and runs in its own
subprocess with the same thread count (pinned to that many CPUs); the order of the subprocesses
alternates between rounds. An epoch is one pass over the first --train-images training images
(12,800 by default; --full for all 60,000); epoch times are the median of the epochs after the first.
Predict is the 10,000 test images in batches of --predict-batch-size (PyTorch under no_grad).
Ratios are taken within each round (the machine's load changes between rounds), then their median.

    python benchmarks/compare_convnet.py [--rounds 3] [--epochs 4] [--threads 2] [--full]
        [--frameworks fastnn,torch,keras-jax] [--data-dir DIR] [--json FILE]
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

from trainbench import data  # noqa: E402

FRAMEWORKS = ("fastnn", "torch", "keras-jax")
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "FASTNN_NUM_THREADS")
SKIPPED = 3
# (kind, kernel or pool size, channels out): the network after its 28 x 28 x 1 input
LAYERS = [("conv", 3, 32), ("pool", 2, None), ("conv", 3, 64), ("pool", 2, None), ("conv", 3, 64),
          ("flatten", None, None), ("dense", None, 64), ("dense", None, 10)]


def layer_shapes():
    """[(kind, input shape, output shape)] of the network's layers."""
    shape, out = (28, 28, 1), []
    for kind, size, units in LAYERS:
        if kind == "conv":
            new = (shape[0] - size + 1, shape[1] - size + 1, units)
        elif kind == "pool":
            new = (shape[0] // size, shape[1] // size, shape[2])
        elif kind == "flatten":
            new = (int(np.prod(shape)),)
        else:
            new = (units,)
        out.append((kind, shape, new))
        shape = new
    return out


def dense_flops_per_image():
    """(forward, training) multiply-add flops of one image, 2 per multiply-add: forward through every
    conv and dense layer, backward both the weight gradients (as many) and the input gradients of all
    layers but the first (as many again). Pooling, activations, loss and optimizer are not counted."""
    forward = first = 0
    for kind, shape, new in layer_shapes():
        if kind == "conv":
            flops = 2 * new[0] * new[1] * new[2] * 9 * shape[2]
        elif kind == "dense":
            flops = 2 * shape[0] * new[0]
        else:
            continue
        first = first or flops
        forward += flops
    return forward, 3 * forward - first


def initial_weights(seed):
    """Keras-layout weights: glorot-uniform kernels (conv (3, 3, in, out), dense (in, out)), zero biases."""
    rng = np.random.default_rng(seed)
    weights = []
    for kind, shape, new in layer_shapes():
        if kind == "conv":
            fan_in, fan_out, kshape = 9 * shape[2], 9 * new[2], (3, 3, shape[2], new[2])
        elif kind == "dense":
            fan_in, fan_out, kshape = shape[0], new[0], (shape[0], new[0])
        else:
            continue
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, size=kshape).astype(np.float32))
        weights.append(np.zeros(kshape[-1], np.float32))
    return weights


# ---- the frameworks (each imported only in its own worker process) -----------------------------
class FastnnTrainer:
    def __init__(self, spec, weights):
        import fastnn
        from fastnn import layers, models, optimizers

        self.fastnn = fastnn
        fastnn.set_num_threads(spec["threads"])
        fastnn.utils.set_random_seed(spec["seed"])
        self.model = models.Sequential([
            layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.Flatten(),
            layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
        self.model.compile(optimizer=optimizers.RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7),
                           loss="categorical_crossentropy", metrics=["accuracy"])
        self.model.set_weights(weights)
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
        """The plan states of fit's steps and the 2-thread float32 GEMM rate this process measures."""
        from fastnn import kernels

        states = sorted({p.state for p in self.model.train_function.plans.plans.values()})
        a = np.random.default_rng(0).standard_normal((1536, 1536)).astype(np.float32)
        out = np.empty_like(a)
        kernels.matmul(a, a, out)
        best = min(_timed(lambda: kernels.matmul(a, a, out)) for _ in range(7))
        return {"plan_states": states, "gemm_gflops": 2 * 1536 ** 3 / best / 1e9,
                "gemm_kernel": kernels.isa_name()}


class TorchTrainer:
    def __init__(self, spec, weights):
        import torch
        from torch import nn

        self.torch, self.spec = torch, spec
        torch.set_num_threads(spec["threads"])
        torch.manual_seed(spec["seed"])

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(64, 64, 3), nn.ReLU())
                self.classifier = nn.Sequential(nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))

            def forward(self, x):
                # Keras flattens (h, w, c): the same order keeps the dense kernel's rows aligned
                return self.classifier(self.features(x).permute(0, 2, 3, 1).reshape(x.shape[0], -1))

        self.model = Net()
        convs = [m for m in self.model.features if isinstance(m, nn.Conv2d)]
        denses = list(self.model.classifier[::2])
        with torch.no_grad():
            for i, conv in enumerate(convs):
                conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[2 * i].transpose(3, 2, 0, 1))))
                conv.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
            for i, dense in enumerate(denses):
                dense.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[6 + 2 * i].T)))
                dense.bias.copy_(torch.from_numpy(weights[7 + 2 * i]))
        # PyTorch adds epsilon outside the square root, Keras inside; with eps=1e-7 they barely differ.
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        self.epoch = 0

    @staticmethod
    def version():
        import torch
        return torch.__version__

    def train_epoch(self, x, y):
        torch, nn = self.torch, self.torch.nn
        self.model.train()
        x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        y_t = torch.from_numpy(y)
        order = torch.from_numpy(np.random.default_rng([self.spec["seed"], self.epoch]).permutation(len(x)))
        self.epoch += 1
        batch = self.spec["batch_size"]
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            self.optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(self.model(x_t[idx]), y_t[idx])
            loss.backward()
            self.optimizer.step()

    def predict(self, x, batch_size):
        torch = self.torch
        self.model.eval()
        x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        with torch.no_grad():
            out = torch.cat([torch.softmax(self.model(x_t[s:s + batch_size]), dim=1)
                             for s in range(0, len(x), batch_size)])
        return out.numpy()

    def extra(self):
        return {}


class KerasTrainer:
    def __init__(self, spec, weights):
        import keras
        from keras import layers

        if keras.backend.backend() != "jax":
            raise ImportError(f"Keras uses the {keras.backend.backend()!r} backend, not 'jax'")
        keras.utils.set_random_seed(spec["seed"])
        self.model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.Flatten(),
            layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
        self.model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7),
                           loss="categorical_crossentropy", metrics=["accuracy"])
        self.model.set_weights(weights)
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


def measure(framework, spec):
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if cpus and spec["threads"] < len(cpus):
        os.sched_setaffinity(0, cpus[:spec["threads"]])
    trainer = TRAINERS[framework](spec, [np.load(spec["weights"])[f"w{i}"] for i in range(10)])
    arrays = data.load(spec["data_dir"])
    n = spec["train_images"]
    x = np.ascontiguousarray(arrays["x_train"][:n].reshape(-1, 28, 28, 1))
    y = np.ascontiguousarray(arrays["y_train"][:n])
    x_test = np.ascontiguousarray(arrays["x_test"].reshape(-1, 28, 28, 1))
    epochs = [_timed(lambda: trainer.train_epoch(x, y)) for _ in range(spec["epochs"])]
    predict = [_timed(lambda: trainer.predict(x_test, spec["predict_batch_size"]))
               for _ in range(spec["predict_repeats"] + 1)][1:]
    probs = np.asarray(trainer.predict(x_test, spec["predict_batch_size"]))
    return {"framework": framework, "version": trainer.version(), "epoch_seconds": epochs,
            "predict_seconds": predict, "loadavg": os.getloadavg()[0],
            "test_accuracy": float(np.mean(probs.argmax(axis=1) == arrays["labels_test"])), **trainer.extra()}


def worker(framework, spec_file, out_file):
    spec = json.loads(Path(spec_file).read_text())
    try:
        result, code = measure(framework, spec), 0
    except ImportError as exc:
        result, code = {"framework": framework, "skipped": f"{type(exc).__name__}: {exc}"}, SKIPPED
    Path(out_file).write_text(json.dumps(result))
    return code


def run_worker(framework, spec, workdir, timeout):
    tag = f"{framework}-{os.urandom(4).hex()}"
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (the first is not counted)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-images", type=int, default=12_800)
    parser.add_argument("--full", action="store_true", help="train on all 60,000 images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--predict-batch-size", type=int, default=128)
    parser.add_argument("--predict-repeats", type=int, default=3)
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [f for f in args.frameworks if f not in FRAMEWORKS]
    if unknown:
        parser.error(f"unknown framework(s) {unknown}; choose from {list(FRAMEWORKS)}")
    if args.full:
        args.train_images = 60_000
    for name in ("rounds", "epochs", "threads", "train_images", "batch_size", "predict_batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, received: {getattr(args, name)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    forward, training = dense_flops_per_image()
    data_dir = data.locate(args.data_dir)
    print(f"load average at start {os.getloadavg()}; {args.threads} thread(s), {args.rounds} round(s) of "
          f"{args.epochs} epochs over {args.train_images} images, batch {args.batch_size}; "
          f"{training / 1e6:.1f} MFLOP per training image (dense)")
    runs = {f: [] for f in args.frameworks}
    notes = {}
    with tempfile.TemporaryDirectory(prefix="fastnn-convnet-") as workdir:
        weights = str(Path(workdir) / "weights.npz")
        np.savez(weights, **{f"w{i}": w for i, w in enumerate(initial_weights(args.seed))})
        spec = {"threads": args.threads, "epochs": args.epochs, "train_images": args.train_images,
                "batch_size": args.batch_size, "predict_batch_size": args.predict_batch_size,
                "predict_repeats": args.predict_repeats, "seed": args.seed, "data_dir": str(data_dir),
                "weights": weights}
        for r in range(args.rounds):
            order = args.frameworks if r % 2 == 0 else args.frameworks[::-1]
            for framework in order:
                if framework in notes:
                    continue
                result = run_worker(framework, spec, workdir, args.timeout)
                if "skipped" in result or "failed" in result:
                    notes[framework] = result.get("skipped") or result.get("failed")
                    print(f"round {r + 1}: {framework} not measured: {notes[framework]}")
                    continue
                runs[framework].append(result)
                print(f"round {r + 1}: {framework:9s} epochs " + " ".join(f"{t:.3f}" for t in result["epoch_seconds"])
                      + f" s, predict {statistics.median(result['predict_seconds']):.3f} s, "
                      f"test accuracy {result['test_accuracy']:.4f}, load {result['loadavg']:.1f}", flush=True)
    summary = summarise(runs, args, training)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": runs, "summary": summary,
                                               "notes": notes}, indent=2))
    return 1 if any("failed" in n for n in notes.values()) else 0


def summarise(runs, args, training):
    measured = {f: rs for f, rs in runs.items() if rs}
    print(f"\n{'framework':10s} {'epoch s':>9s} {'img/s':>8s} {'GFLOP/s':>8s} {'predict s':>10s}  version")
    summary = {}
    for f, rs in measured.items():
        epoch = statistics.median(epoch_time(r) for r in rs)
        predict = statistics.median(statistics.median(r["predict_seconds"]) for r in rs)
        gflops = training * args.train_images / epoch / 1e9
        summary[f] = {"epoch_s": epoch, "predict_s": predict, "gflops": gflops}
        print(f"{f:10s} {epoch:9.3f} {args.train_images / epoch:8.0f} {gflops:8.1f} {predict:10.3f}  {rs[0]['version']}")
    if "fastnn" in measured:
        fast = measured["fastnn"]
        gemm = statistics.median(r["gemm_gflops"] for r in fast)
        share = summary["fastnn"]["gflops"] / gemm
        summary["fastnn"].update(gemm_gflops=gemm, share_of_gemm=share, plan_states=fast[0]["plan_states"])
        print(f"\nfastnn: {share:.0%} of the {gemm:.0f} GFLOP/s its float32 GEMM reaches on {args.threads} "
              f"thread(s) in the same process (goal >= 60%); fit's steps: {fast[0]['plan_states']}")
        for peer in (p for p in measured if p != "fastnn"):
            pairs = list(zip(fast, measured[peer]))  # runs of one round were made back to back
            train = statistics.median(epoch_time(a) / epoch_time(b) for a, b in pairs)
            predict = statistics.median(statistics.median(b["predict_seconds"]) / statistics.median(a["predict_seconds"])
                                        for a, b in pairs)
            summary["fastnn"][f"epoch_ratio_vs_{peer}"] = train
            summary["fastnn"][f"predict_speedup_vs_{peer}"] = predict
            print(f"fastnn vs {peer}: epoch time ratio {train:.2f} (goal <= 0.5 against the fastest peer), "
                  f"predict {predict:.2f}x as fast (goal >= 2x against PyTorch); medians of per-round ratios")
    return summary


if __name__ == "__main__":
    sys.exit(main())
