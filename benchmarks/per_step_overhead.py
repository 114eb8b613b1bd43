"""Per-step cost of a model too small for its kernels to matter, side by side.

The book's Boston housing K-fold loop trains a 13-64-64-1 network (relu, mse, RMSprop, metric mae)
with batch size 1 for 500 epochs on 404 samples: a step's time is nearly all framework overhead.
Each framework runs in its own subprocess with the same thread count and the same random data, and
trains with its usual loop (fastnn and Keras: fit(batch_size=1); PyTorch: a hand-written loop with
an optimizer step); the median of the timed epochs after a warm-up epoch is divided by the steps.
Each epoch is timed on the wall clock and in the worker process's CPU time (all its threads), which
other jobs on a shared machine inflate far less than the wall clock.

    python benchmarks/per_step_overhead.py [--epochs 5] [--threads 2] [--frameworks fastnn,torch,keras-jax]
"""
import argparse
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

SAMPLES, FEATURES, HIDDEN = 404, 13, 64


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, FEATURES)).astype(np.float32)
    return x, (x @ rng.standard_normal(FEATURES)).astype(np.float32).reshape(-1, 1)


def clocks():
    return time.perf_counter(), time.process_time()


def elapsed(start):
    """(wall seconds, process CPU seconds) since start, a clocks() reading."""
    return tuple(now - then for now, then in zip(clocks(), start))


def fit_epochs(model, x, y, epochs):
    """(wall, CPU) seconds of each of `epochs` one-epoch fit calls, batch size 1, of a Keras-style model."""
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    times = []
    for _ in range(epochs):
        start = clocks()
        model.fit(x, y, epochs=1, batch_size=1, verbose=0)
        times.append(elapsed(start))
    return times


def fastnn_epochs(epochs):
    import fastnn
    from fastnn import layers, models

    x, y = data()
    model = models.Sequential([layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(HIDDEN, activation="relu"), layers.Dense(1)])
    return fit_epochs(model, x, y, epochs), fastnn.__version__


def torch_epochs(epochs):
    import torch
    from torch import nn

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    x, y = (torch.from_numpy(a) for a in data())
    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                          nn.Linear(HIDDEN, 1))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    times = []
    for _ in range(epochs):
        start = clocks()
        for i in torch.randperm(SAMPLES).tolist():
            optimizer.zero_grad(set_to_none=True)
            prediction = model(x[i:i + 1])
            loss = nn.functional.mse_loss(prediction, y[i:i + 1])
            loss.backward()
            optimizer.step()
            torch.mean(torch.abs(prediction - y[i:i + 1])).item()  # the mae metric fit reports
            loss.item()
        times.append(elapsed(start))
    return times, torch.__version__


def keras_epochs(epochs):
    import keras

    x, y = data()
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(1)])
    return fit_epochs(model, x, y, epochs), keras.__version__


RUNNERS = {"fastnn": fastnn_epochs, "torch": torch_epochs, "keras-jax": keras_epochs}


def measure(framework, job):
    """The worker's side: one framework's epochs, in this (child) process."""
    times, version = RUNNERS[framework](job["epochs"])
    return {"framework": framework, "times": times, "version": version}


def run_worker(framework, epochs, threads):
    with tempfile.TemporaryDirectory(prefix="fastnn-per-step-") as workdir:
        return run_child(__file__, framework, {"epochs": epochs}, workdir, 1800, child_env(threads))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--frameworks", default="fastnn,torch,keras-jax")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(measure, *args.worker)
    frameworks = cli.names(parser, "--frameworks", args.frameworks, RUNNERS)
    results = {f: [] for f in frameworks}
    cpu = {f: [] for f in frameworks}
    for round_ in range(args.rounds):
        for framework in frameworks if round_ % 2 == 0 else frameworks[::-1]:
            result = run_worker(framework, args.epochs, args.threads)
            if "failed" in result or "skipped" in result:
                print(f"{framework}: not measured: {result.get('failed') or result.get('skipped')}")
                continue
            results[framework].extend(wall for wall, _ in result["times"][1:])  # the first epoch is warm-up
            cpu[framework].extend(seconds for _, seconds in result["times"][1:])
            results[framework + " version"] = result["version"]
    print(f"13-64-64-1, relu, mse + mae metric, RMSprop, batch 1, {SAMPLES} steps per epoch, "
          f"{args.threads} thread(s); median over {args.rounds} rounds of epochs 2..{args.epochs}")
    per_step = {f: statistics.median(results[f]) / SAMPLES * 1e6 for f in frameworks if results[f]}
    for framework, us in per_step.items():
        cpu_us = statistics.median(cpu[framework]) / SAMPLES * 1e6
        print(f"  {framework:<10} {results.get(framework + ' version', '?'):<12} {us:8.1f} us/step "
              f"(CPU time {cpu_us:.1f} us/step)")
    if "fastnn" in per_step:
        verdict = "PASS" if per_step["fastnn"] <= 25 else "FAIL"
        print(f"{verdict}  fastnn {per_step['fastnn']:.1f} us/step on the wall clock (goal <= 25 us; "
              f"CPU time {statistics.median(cpu['fastnn']) / SAMPLES * 1e6:.1f} us/step)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
