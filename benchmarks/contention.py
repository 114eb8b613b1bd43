"""Training beside busy processes: each framework's epoch on a quiet machine and with 1 and 2 busy
neighbours, side by side.

A neighbour is a Python busy loop (`while True: pass`, ending by itself when the benchmark ends or
after --neighbour-limit seconds), pinned to nothing: the OS puts it wherever it likes, as it would a
browser, a build or a CI neighbour. The contenders are
  fastnn          fastnn's automatic thread count (the default: it follows the machine's load)
  fastnn-1thread  fastnn.set_num_threads(1)
  fastnn-fixed    fastnn.set_num_threads(CPUs): a fixed count, used whatever the load
  torch           PyTorch, torch.set_num_threads(CPUs)
  keras-jax       Keras 3 on JAX, XLA on the CPUs
each trained in a fresh subprocess from the same weights and data (trainbench), per configuration of
trainbench/modelspec.py. In every round each contender runs under each condition in turn, the orders
reversed in odd rounds, so that a contender's quiet and loaded epochs are measured close together.
Epochs are timed one at a time; the first is warm-up. The table gives the median s/epoch over the
rounds and the slowdown, loaded / quiet (the median of the rounds' ratios).

    python benchmarks/contention.py [--model chapter2] [--epochs 4] [--rounds 3] [--samples N]
        [--neighbours 0,1,2] [--contenders fastnn,fastnn-1thread,fastnn-fixed,torch,keras-jax]
        [--data-dir DIR] [--json FILE] [--quick]

--quick: 2,000 training images, 3 epochs, 1 round; it checks that the benchmark runs, its figures
are too short to quote.
"""
import argparse
import contextlib
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

from trainbench import cli, data, model_runners, modelspec  # noqa: E402
from trainbench.childproc import add_worker_argument, child_env, run_worker as run_child, worker_main  # noqa: E402
from trainbench.machine import describe, headline  # noqa: E402
from trainbench.report import format_table  # noqa: E402
from trainbench.timing import epoch_time  # noqa: E402

# contender: (framework module of trainbench.model_runners, thread count: "auto", 1 or "cpus")
CONTENDERS = {
    "fastnn": ("fastnn", "auto"),
    "fastnn-1thread": ("fastnn", 1),
    "fastnn-fixed": ("fastnn", "cpus"),
    "torch": ("torch", "cpus"),
    "keras-jax": ("keras-jax", "cpus"),
}
PEERS = ("torch", "keras-jax")
# Issue 23's goals: fastnn's loaded epoch at most this share of the fastest peer's loaded epoch, and
# its own slowdown with one neighbour at most this.
PEER_RATIO_GOAL, SLOWDOWN_GOAL = 0.5, 2.0
# The neighbour: a busy loop that also ends when its parent is gone or its time is up.
NEIGHBOUR_CODE = ("import os, sys, time\n"
                  "parent, end = os.getppid(), time.monotonic() + float(sys.argv[1])\n"
                  "while os.getppid() == parent and time.monotonic() < end:\n"
                  "    for _ in range(200000): pass\n")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="chapter2", help=f"one of {','.join(modelspec.MODELS)}")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated subset of {','.join(CONTENDERS)}")
    parser.add_argument("--neighbours", default="0,1,2", help="busy neighbour counts to measure, 0 = quiet")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=None,
                        help="train on the first N of MNIST's 60,000 training images (default: all)")
    parser.add_argument("--quick", action="store_true", help="2,000 images, 3 epochs, 1 round")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four MNIST IDX files (default: $FASTNN_DATASETS/mnist, "
                             "then where fastnn.datasets looks)")
    parser.add_argument("--json", default=None, help="write every raw measurement and the summary here")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per subprocess")
    parser.add_argument("--neighbour-limit", type=float, default=3600.0,
                        help="a neighbour ends by itself after this many seconds")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return args
    if args.quick:
        args.samples, args.epochs, args.rounds = args.samples or 2000, 3, 1
    if args.model not in modelspec.MODELS:
        parser.error(f"unknown model {args.model!r}; choose from {list(modelspec.MODELS)}")
    args.contenders = cli.names(parser, "--contenders", args.contenders, CONTENDERS)
    try:
        args.neighbours = sorted({int(n) for n in args.neighbours.split(",") if n.strip()})
    except ValueError:
        parser.error(f"--neighbours expects counts like 0,1,2, received: {args.neighbours!r}")
    if not args.neighbours or args.neighbours[0] < 0:
        parser.error(f"--neighbours expects counts >= 0, received: {args.neighbours}")
    cli.at_least_one(parser, args, ("epochs", "rounds"))
    if args.samples is not None and not 1 <= args.samples <= 60000:
        parser.error(f"--samples must be in [1, 60000], received: {args.samples}")
    return args


def cpus_available():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def contender_threads(contender, cpus):
    """The contender's thread count: None for fastnn's automatic one, else a positive integer."""
    threads = CONTENDERS[contender][1]
    return None if threads == "auto" else cpus if threads == "cpus" else threads


def contender_env(contender, cpus):
    """Every runtime's thread variables at the CPUs' count, but none for fastnn's automatic count
    (FASTNN_NUM_THREADS or OMP_NUM_THREADS would fix it)."""
    env = child_env(cpus)
    if contender_threads(contender, cpus) is None:
        env.pop("FASTNN_NUM_THREADS", None)
        env.pop("OMP_NUM_THREADS", None)
    return env


# ---- the worker: one contender trains in this process ------------------------------------------

def train(contender, job):
    framework = CONTENDERS[contender][0]
    threads = contender_threads(contender, job["cpus"])
    runner = model_runners.load(framework)
    why_not = runner.unsupported(job["model"], job["spec"])
    if why_not:
        return {"contender": contender, "skipped": why_not}
    spec = job["spec"]
    arrays = data.load(job["data_dir"])
    samples = job["samples"] or len(arrays["x_train"])
    x = modelspec.inputs(spec, arrays["x_train"][:samples])
    y = modelspec.targets(spec, arrays["labels_train"][:samples])
    with np.load(job["weights_file"]) as saved:
        weights = [saved[key] for key in saved.files]
    trainer = runner.Trainer(spec, weights, job["seed"], threads)
    seen = []
    epoch_seconds = []
    for epoch in range(job["epochs"]):
        start = time.perf_counter()
        trainer.train_epoch(x, y, epoch)
        epoch_seconds.append(time.perf_counter() - start)
        if framework == "fastnn":
            import fastnn.threads
            seen.append(fastnn.threads.threads_in_use())
    return {"contender": contender, "version": runner.version(), "epoch_seconds": epoch_seconds,
            "fastnn_threads_after_epoch": seen or None}


# ---- the parent: rounds, conditions, neighbours ------------------------------------------------

@contextlib.contextmanager
def busy_neighbours(count, limit):
    """`count` busy neighbour processes for the duration of the block, always ended after it."""
    procs = []
    try:
        for _ in range(count):
            procs.append(subprocess.Popen([sys.executable, "-c", NEIGHBOUR_CODE, str(limit)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if procs:
            time.sleep(0.3)  # let them get going
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(timeout=10)


def run_worker(contender, job, workdir, timeout):
    return run_child(__file__, contender, job, workdir, timeout, contender_env(contender, job["cpus"]),
                     label={"contender": contender})


def summarise(runs, neighbours):
    """runs: {contender: {neighbours: [result per round]}} -> per contender and count: median s/epoch,
    and per loaded count the median over rounds of loaded / quiet."""
    summary = {}
    for contender, by_count in runs.items():
        figures = {}
        for n in neighbours:
            results = by_count.get(n, [])
            if results:
                figures[n] = {"epoch_s": statistics.median(epoch_time(r) for r in results),
                              "fastnn_threads": [r.get("fastnn_threads_after_epoch") for r in results]}
        quiet = by_count.get(0, [])
        for n in neighbours:
            if n == 0 or n not in figures or not quiet:
                continue
            ratios = [epoch_time(loaded) / epoch_time(q) for loaded, q in zip(by_count[n], quiet)]
            figures[n]["slowdown"] = statistics.median(ratios)
        if figures:
            summary[contender] = figures
    return summary


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(summary, neighbours):
    headers = ["contender"] + [f"{n} busy s/epoch" if n else "quiet s/epoch" for n in neighbours]
    headers += [f"{n} busy / quiet" for n in neighbours if n]
    rows = []
    for contender, figures in summary.items():
        row = [contender] + [_fmt(figures.get(n, {}).get("epoch_s"), ".3f") for n in neighbours]
        row += [_fmt(figures.get(n, {}).get("slowdown"), ".2f") for n in neighbours if n]
        rows.append(row)
    return format_table(headers, rows)


def goal_lines(summary, neighbours):
    lines = []
    fastnn = summary.get("fastnn", {})
    for n in neighbours:
        if n == 0 or n not in fastnn:
            continue
        peers = [(summary[p][n]["epoch_s"], p) for p in PEERS if n in summary.get(p, {})]
        if peers:
            best, name = min(peers)
            ratio = fastnn[n]["epoch_s"] / best
            lines.append(f"{n} busy: fastnn's epoch is {ratio:.2f}x the fastest peer's ({name}); "
                         f"goal <= {PEER_RATIO_GOAL}: {'met' if ratio <= PEER_RATIO_GOAL else 'NOT met'}")
        slowdown = fastnn[n].get("slowdown")
        if slowdown is not None and n == 1:
            lines.append(f"{n} busy: fastnn's slowdown is {slowdown:.2f}x; goal <= {SLOWDOWN_GOAL}: "
                         f"{'met' if slowdown <= SLOWDOWN_GOAL else 'NOT met'}")
    for n in neighbours:
        seen = [t for runs in fastnn.get(n, {}).get("fastnn_threads", []) if runs for t in runs]
        if seen:
            lines.append(f"{n} busy: fastnn's automatic count after each epoch: {seen}")
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.worker is not None:
        return worker_main(train, *args.worker, key="contender")

    data_dir = data.locate(args.data_dir)
    machine = describe()
    cpus = cpus_available()
    print(headline(machine, cpus))
    print(f"{args.model} on {args.samples or 60000} MNIST images; {args.epochs} epoch(s) per run, {args.rounds} "
          f"round(s); busy neighbours: {', '.join(map(str, args.neighbours))}\n")
    spec = modelspec.get(args.model)
    runs = {c: {n: [] for n in args.neighbours} for c in args.contenders}
    skipped, failed = {}, {}
    with tempfile.TemporaryDirectory(prefix="fastnn-contention-") as workdir:
        weights_file = str(Path(workdir) / "weights.npz")
        np.savez(weights_file, *modelspec.initial_weights(spec, args.seed))
        job = {"model": args.model, "spec": spec, "epochs": args.epochs, "samples": args.samples, "cpus": cpus,
               "seed": args.seed, "data_dir": str(data_dir), "weights_file": weights_file}
        for r in range(args.rounds):
            contenders = args.contenders if r % 2 == 0 else args.contenders[::-1]
            counts = args.neighbours if r % 2 == 0 else args.neighbours[::-1]
            for contender in contenders:
                if contender in skipped or contender in failed:
                    continue
                for n in counts:
                    print(f"round {r + 1}/{args.rounds} {contender}, {n} busy ...", end=" ", flush=True)
                    with busy_neighbours(n, args.neighbour_limit):
                        result = run_worker(contender, job, workdir, args.timeout)
                    if "skipped" in result:
                        skipped[contender] = result["skipped"]
                        print(f"skipped ({result['skipped']})")
                        break
                    if "failed" in result:
                        failed[contender] = result["failed"]
                        print(f"FAILED ({result['failed']})")
                        break
                    runs[contender][n].append(result)
                    print(" ".join(f"{t:.3f}" for t in result["epoch_seconds"]) + " s/epoch")
    summary = summarise(runs, args.neighbours)
    print()
    if summary:
        print(table(summary, args.neighbours))
        print("\ns/epoch: the median over rounds of each run's median epoch after the first; "
              "busy / quiet: the median over rounds of that round's ratio.")
        for line in goal_lines(summary, args.neighbours):
            print(line)
    for contender, why in skipped.items():
        print(f"note: {contender} not measured: {why}")
    for contender, why in failed.items():
        print(f"note: {contender} failed: {why}")
    if args.json:
        payload = {"machine": machine, "cpus": cpus,
                   "args": {k: v for k, v in vars(args).items() if not k.startswith("worker")},
                   "runs": {c: {str(n): r for n, r in by.items()} for c, by in runs.items()},
                   "summary": {c: {str(n): f for n, f in by.items()} for c, by in summary.items()},
                   "skipped": skipped, "failed": failed}
        Path(args.json).write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
