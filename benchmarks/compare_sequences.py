"""Side-by-side sequence benchmark: chapter 6's recurrent and 1-D convolutional models and 8.1's
sampling loop in fastnn, PyTorch (nn.LSTM / nn.GRU / nn.Conv1d, CPU) and Keras 3 on JAX.

Models, on synthetic data of the book's shapes (the same arrays in every framework, drawn from one seed):
  6.27  Embedding(10000, 32) -> LSTM(32) -> Dense(1, sigmoid); binary cross-entropy, RMSprop, batch 128,
        sequences of 500 tokens
  6.45  Embedding(10000, 128) -> Conv1D(32, 7, relu) -> MaxPooling1D(5) -> Conv1D(32, 7, relu) ->
        GlobalMaxPooling1D -> Dense(1, sigmoid); binary cross-entropy, RMSprop, batch 128, 500 tokens
  6.37  GRU(32) -> Dense(1) on (240 steps, 14 features); mean absolute error, RMSprop, batch 128
  8.1   the character LSTM, LSTM(128) -> Dense(57, softmax) over 60 steps of 57 one-hot characters:
        the time of one predict call on a single sample (PyTorch: an eval-mode forward under no_grad);
        for fastnn also the time of its replayed step plan alone, the rest being predict's own overhead
Each framework runs in its own subprocess with the same thread count; an epoch is --batches batches,
and its time is the median of the epochs after the first (which records fastnn's step plan and
compiles JAX's step). The final loss is the mean over the last epoch. --quick runs a tiny version of
everything (a few short batches) to check that the script works; its times mean nothing.

    python benchmarks/compare_sequences.py [--models 6.27,6.45,6.37,8.1] [--epochs 3] [--batches 8]
        [--threads 2] [--frameworks fastnn,torch,keras-jax] [--quick] [--json FILE]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import cli  # noqa: E402
from trainbench.childproc import add_worker_argument, child_env, run_worker as run_child, worker_main  # noqa: E402

FRAMEWORKS = ("fastnn", "torch", "keras-jax")
MODELS = ("6.27", "6.45", "6.37", "8.1")
FULL = {"vocabulary": 10000, "length": 500, "batch": 128, "steps": 240, "features": 14, "chars": 57, "maxlen": 60,
        "char_units": 128, "calls": 300}
QUICK = {"vocabulary": 200, "length": 60, "batch": 16, "steps": 20, "features": 14, "chars": 11, "maxlen": 12,
         "char_units": 16, "calls": 20}


def make_data(model, sizes, batches):
    """(x, y) for `batches` batches of `model`, the same in every process."""
    rng = np.random.default_rng(0)
    n = sizes["batch"] * batches
    if model in ("6.27", "6.45"):
        x = rng.integers(1, sizes["vocabulary"], (n, sizes["length"]))
        marker = x[:, :20] < sizes["vocabulary"] // 10  # a learnable rule: small tokens early on
        return x.astype(np.int32), (marker.mean(axis=1) > 0.1).astype(np.float32).reshape(-1, 1)
    series = np.cumsum(rng.standard_normal((n, sizes["steps"], sizes["features"])), axis=1).astype(np.float32)
    series /= np.sqrt(sizes["steps"])
    return series, series[:, -1, 1:2].copy()


# ---- fastnn and Keras (the same model code) ---------------------------------------------------------
def keras_style_model(lib, model, sizes):
    layers = lib.layers
    if model == "6.27":
        stack = [layers.Embedding(sizes["vocabulary"], 32), layers.LSTM(32), layers.Dense(1, activation="sigmoid")]
        return stack, "binary_crossentropy"
    if model == "6.45":
        stack = [layers.Embedding(sizes["vocabulary"], 128), layers.Conv1D(32, 7, activation="relu"),
                 layers.MaxPooling1D(5), layers.Conv1D(32, 7, activation="relu"), layers.GlobalMaxPooling1D(),
                 layers.Dense(1, activation="sigmoid")]
        return stack, "binary_crossentropy"
    if model == "6.37":
        return [layers.GRU(32), layers.Dense(1)], "mae"
    return [layers.LSTM(sizes["char_units"]), layers.Dense(sizes["chars"], activation="softmax")], \
        "categorical_crossentropy"


def keras_style_run(lib, sequential, model, sizes, epochs, batches, input_shape):
    stack, loss = keras_style_model(lib, model, sizes)
    net = sequential(stack, input_shape)
    net.compile(optimizer=lib.optimizers.RMSprop(learning_rate=0.001), loss=loss)
    if model == "8.1":
        x = np.eye(sizes["chars"], dtype=np.float32)[np.random.default_rng(1).integers(0, sizes["chars"],
                                                                                        (1, sizes["maxlen"]))]
        net.predict(x, verbose=0)
        net.predict(x, verbose=0)
        times = []
        for _ in range(sizes["calls"]):
            start = time.perf_counter()
            net.predict(x, verbose=0)
            times.append(time.perf_counter() - start)
        return {"call_us": statistics.median(times) * 1e6, "model": net}
    x, y = make_data(model, sizes, batches)
    times, losses = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        history = net.fit(x, y, batch_size=sizes["batch"], epochs=1, shuffle=False, verbose=0)
        times.append(time.perf_counter() - start)
        losses.append(float(history.history["loss"][-1]))
    return {"epoch_s": times, "loss": losses[-1]}


def fastnn_run(model, sizes, epochs, batches):
    import fastnn
    from fastnn import models

    fastnn.set_num_threads(int(os.environ["FASTNN_NUM_THREADS"]))
    fastnn.utils.set_random_seed(0)
    shape = {"6.27": (sizes["length"],), "6.45": (sizes["length"],), "6.37": (sizes["steps"], sizes["features"]),
             "8.1": (sizes["maxlen"], sizes["chars"])}[model]

    def sequential(stack, input_shape):
        net = models.Sequential(stack)
        net.build((None,) + input_shape)
        return net

    result = keras_style_run(fastnn, sequential, model, sizes, epochs, batches, shape)
    net = result.pop("model", None)
    if net is not None:  # the replayed kernels alone: the rest of a call is predict's overhead
        (plan,) = net.predict_function.plans.plans.values()
        times = []
        for _ in range(sizes["calls"]):
            start = time.perf_counter()
            plan()
            times.append(time.perf_counter() - start)
        result["replay_us"] = statistics.median(times) * 1e6
    result["version"] = fastnn.__version__
    return result


def keras_run(model, sizes, epochs, batches):
    import keras

    keras.utils.set_random_seed(0)
    shape = {"6.27": (sizes["length"],), "6.45": (sizes["length"],), "6.37": (sizes["steps"], sizes["features"]),
             "8.1": (sizes["maxlen"], sizes["chars"])}[model]

    def sequential(stack, input_shape):
        return keras.Sequential([keras.Input(input_shape)] + stack)

    result = keras_style_run(keras, sequential, model, sizes, epochs, batches, shape)
    result.pop("model", None)
    result["version"] = keras.__version__
    return result


# ---- PyTorch --------------------------------------------------------------------------------------------
def torch_run(model, sizes, epochs, batches):
    import torch
    from torch import nn

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    torch.manual_seed(0)

    class Recurrent(nn.Module):
        def __init__(self, rnn, head, embedding=None):
            super().__init__()
            self.embedding, self.rnn, self.head = embedding, rnn, head

        def forward(self, x):
            h = x if self.embedding is None else self.embedding(x)
            out, _ = self.rnn(h)
            return self.head(out[:, -1])

    class Convnet(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(sizes["vocabulary"], 128)
            self.conv1, self.conv2 = nn.Conv1d(128, 32, 7), nn.Conv1d(32, 32, 7)
            self.head = nn.Linear(32, 1)

        def forward(self, x):
            h = self.embedding(x).transpose(1, 2)
            h = nn.functional.max_pool1d(torch.relu(self.conv1(h)), 5)
            return self.head(torch.relu(self.conv2(h)).amax(dim=2))

    if model == "6.27":
        net, loss_fn = Recurrent(nn.LSTM(32, 32, batch_first=True), nn.Linear(32, 1),
                                 nn.Embedding(sizes["vocabulary"], 32)), nn.BCEWithLogitsLoss()
    elif model == "6.45":
        net, loss_fn = Convnet(), nn.BCEWithLogitsLoss()
    elif model == "6.37":
        net, loss_fn = Recurrent(nn.GRU(sizes["features"], 32, batch_first=True), nn.Linear(32, 1)), nn.L1Loss()
    else:
        net = Recurrent(nn.LSTM(sizes["chars"], sizes["char_units"], batch_first=True),
                        nn.Sequential(nn.Linear(sizes["char_units"], sizes["chars"]), nn.Softmax(dim=-1))).eval()
        x = torch.from_numpy(np.eye(sizes["chars"], dtype=np.float32)[
            np.random.default_rng(1).integers(0, sizes["chars"], (1, sizes["maxlen"]))])
        times = []
        with torch.no_grad():
            net(x)
            for _ in range(sizes["calls"]):
                start = time.perf_counter()
                net(x).numpy()
                times.append(time.perf_counter() - start)
        return {"call_us": statistics.median(times) * 1e6, "version": torch.__version__}
    optimizer = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    x, y = (torch.from_numpy(a) for a in make_data(model, sizes, batches))
    x = x.long() if model != "6.37" else x
    times, losses, b = [], [], sizes["batch"]
    for _ in range(epochs):
        start = time.perf_counter()
        total = 0.0
        for i in range(0, len(x), b):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[i:i + b]), y[i:i + b])
            loss.backward()
            optimizer.step()
            total += loss.item()
        times.append(time.perf_counter() - start)
        losses.append(total / ((len(x) + b - 1) // b))
    return {"epoch_s": times, "loss": losses[-1], "version": torch.__version__}


RUNNERS = {"fastnn": fastnn_run, "torch": torch_run, "keras-jax": keras_run}


def measure(framework, job):
    """The worker's side: one framework on one model, in this (child) process."""
    return {"framework": framework, **RUNNERS[framework](job["model"], QUICK if job["quick"] else FULL,
                                                         job["epochs"], job["batches"])}


def run_worker(framework, model, args, workdir):
    job = {"model": model, "epochs": args.epochs, "batches": args.batches, "quick": args.quick}
    return run_child(__file__, framework, job, workdir, 7200, child_env(args.threads))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the script runs")
    parser.add_argument("--json", help="also write the results to this file")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(measure, *args.worker)
    if args.quick:
        args.epochs, args.batches = min(args.epochs, 2), min(args.batches, 2)
    models = cli.names(parser, "--models", args.models, MODELS)
    frameworks = cli.names(parser, "--frameworks", args.frameworks, FRAMEWORKS)
    results = {}
    print(f"{args.threads} thread(s), {args.batches} batches per epoch, {args.epochs} epochs"
          + (" (--quick: tiny sizes, the times mean nothing)" if args.quick else ""))
    for model in models:
        results[model] = {}
        for framework in frameworks:
            with tempfile.TemporaryDirectory(prefix="fastnn-sequences-") as workdir:
                result = run_worker(framework, model, args, workdir)
            results[model][framework] = result
            if "failed" in result or "skipped" in result:
                why = result.get("failed") or result.get("skipped")
                print(f"  {model:<5} {framework:<10} not measured: {why}")
            elif "call_us" in result:
                replay = (f" (the replayed kernels {result['replay_us']:.1f} us, the rest predict's overhead)"
                          if "replay_us" in result else "")
                print(f"  {model:<5} {framework:<10} {result['version']:<12} predict at batch 1: "
                      f"{result['call_us']:9.1f} us per call{replay}")
            else:
                later = result["epoch_s"][1:] or result["epoch_s"]
                print(f"  {model:<5} {framework:<10} {result['version']:<12} epoch {statistics.median(later):8.3f} s"
                      f"   final loss {result['loss']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
