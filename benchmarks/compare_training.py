"""Side-by-side training benchmark: chapter 2's MNIST network in fastnn and its peers.

The network is 784 -> Dense(512, relu) -> Dense(10, softmax), categorical cross-entropy, RMSprop (lr 0.001,
rho 0.9, eps 1e-7), batch 128, float32. Every framework starts from the same glorot-uniform weights drawn
once with NumPy, reads MNIST with the same loader, and runs in its own subprocess with the same thread
count; the order of the subprocesses alternates between repeats. Epochs are timed one fit(epochs=1) call
(or one pass of the hand-written loop) at a time.

    python benchmarks/compare_training.py --data-dir DIR [--epochs 3] [--threads 2] [--repeats N]
        [--frameworks fastnn,fastnn-dense,numpy,torch,keras-jax] [--json FILE]

fastnn-dense is fastnn with matmul's zero skipping off; it is not counted among the peers.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import cli, data, report, worker  # noqa: E402
from trainbench.childproc import add_worker_argument, child_env, run_worker as run_child  # noqa: E402
from trainbench.machine import describe, headline  # noqa: E402
from trainbench.runners import MODULES  # noqa: E402
from trainbench.workload import Spec, glorot_uniform_weights, training_flops  # noqa: E402

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four MNIST IDX files (default: $FASTNN_DATASETS/mnist, "
                             "then where fastnn.datasets looks)")
    parser.add_argument("--frameworks", default=",".join(MODULES),
                        help=f"comma-separated subset of {','.join(MODULES)}")
    parser.add_argument("--repeats", type=int, default=1, help="subprocess runs per framework")
    parser.add_argument("--json", default=None, help="write every raw measurement and the summary here")
    parser.add_argument("--peak-gflops", type=float, default=190.0,
                        help="the machine's float32 peak, GFLOP/s (default: 2 cores x ~95)")
    parser.add_argument("--predict-batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--no-determinism", action="store_true",
                        help="skip the fastnn 1-vs-2-thread bitwise check")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per subprocess")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker is None:
        args.frameworks = cli.names(parser, "--frameworks", args.frameworks, MODULES)
        cli.at_least_one(parser, args, ("epochs", "threads", "repeats", "predict_batch_size"))
    return args


def run_worker(framework, spec, workdir, timeout):
    """Runs one framework in a fresh interpreter; returns its result dict (with 'skipped' or 'failed')."""
    return run_child(__file__, framework, spec.to_dict(), workdir, timeout, child_env(spec.threads))


def check_determinism(base_spec, workdir, timeout):
    """fastnn trained one seeded epoch at 1 and at 2 threads: are the weights bitwise identical?"""
    weights = {}
    for threads in (1, 2):
        spec = Spec(**{**base_spec.to_dict(), "epochs": 1, "threads": threads, "predict_repeats": 0,
                       "save_weights_file": str(Path(workdir) / f"determinism-{threads}.npz")})
        result = run_worker("fastnn", spec, workdir, timeout)
        if "skipped" in result or "failed" in result:
            return {"error": result.get("skipped") or result.get("failed")}
        with np.load(spec.save_weights_file) as f:
            weights[threads] = [f[k] for k in f.files]
    pairs = list(zip(weights[1], weights[2]))
    identical = all(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() for a, b in pairs)
    max_diff = max(float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) for a, b in pairs)
    return {"identical": identical, "max_abs_diff": max_diff}


def main(argv=None):
    args = parse_args(argv)
    if args.worker is not None:
        return worker.main(*args.worker)

    data_dir = data.locate(args.data_dir)
    machine = describe()
    print(headline(machine))
    print(f"MNIST from {data_dir}; {args.epochs} epoch(s), {args.threads} thread(s), {args.repeats} repeat(s); "
          f"one epoch = {training_flops(60000) / 1e9:.1f} GFLOP of matmul (see below)\n")

    results = {name: [] for name in args.frameworks}
    skipped, failed = {}, {}
    with tempfile.TemporaryDirectory(prefix="fastnn-bench-") as workdir:
        weights_file = str(Path(workdir) / "initial_weights.npz")
        np.savez(weights_file, *glorot_uniform_weights(args.seed))
        spec = Spec(epochs=args.epochs, threads=args.threads, predict_batch_size=args.predict_batch_size,
                    seed=args.seed, data_dir=str(data_dir), weights_file=weights_file)
        for repeat in range(args.repeats):
            order = args.frameworks if repeat % 2 == 0 else args.frameworks[::-1]
            for framework in order:
                if framework in skipped or framework in failed:
                    continue
                print(f"repeat {repeat + 1}/{args.repeats}: {framework} ...", end=" ", flush=True)
                result = run_worker(framework, spec, workdir, args.timeout)
                if "skipped" in result:
                    skipped[framework] = result["skipped"]
                    print(f"skipped ({result['skipped']})")
                elif "failed" in result:
                    failed[framework] = result["failed"]
                    print(f"FAILED ({result['failed']})")
                else:
                    results[framework].append(result)
                    print(" ".join(f"{t:.3f}" for t in result["epoch_seconds"]) + " s/epoch")
        determinism = None
        if "fastnn" in args.frameworks and results["fastnn"] and not args.no_determinism:
            print("determinism: fastnn, one seeded epoch at 1 and at 2 threads ...", flush=True)
            determinism = check_determinism(spec, workdir, args.timeout)

    summaries = {name: report.summarise(runs, args.peak_gflops) for name, runs in results.items() if runs}
    print()
    if summaries:
        print(report.training_table(summaries))
        print(f"\nepoch s: median of epochs 2..{args.epochs} over all repeats (epoch 1 if only one) "
              f"[min-max]; epoch 1 s: median first epoch, includes warm-up/compilation.")
        print("GFLOP/s counts only matmul flops, 2 per multiply-add: forward 2n(784*512 + 512*10), backward "
              "both weight gradients plus the hidden layer's input gradient 2n(512*10) "
              f"= {training_flops(60000) / 1e9:.1f} GFLOP per 60,000-image epoch; "
              f"% peak is of --peak-gflops {args.peak_gflops:g}. fastnn's matmul skips the k steps where "
              "a block of rows of its left operand is all zero (most of MNIST's pixels are), so its GFLOP/s are "
              "dense-equivalent; fastnn-dense multiplies every step, and trains the same weights.")
        print("peak RSS: whole process while building the model and training (after data loading).\n")
        print(report.predict_memory_table(summaries))
        print(f"\npredict: {args.predict_batch_size}-image batches over the 10,000 test images, median of "
              "5 calls after a warm-up; PyTorch under torch.no_grad() with softmax.\n")
        for line in report.goal_lines(summaries, determinism):
            print(line)
    for name, why in {**skipped, **failed}.items():
        print(f"note: {name} not measured: {why}")

    if args.json:
        payload = {"machine": machine, "args": {k: v for k, v in vars(args).items() if not k.startswith("worker")},
                   "data_dir": str(data_dir), "runs": results, "summary": summaries,
                   "determinism": determinism, "skipped": skipped, "failed": failed}
        Path(args.json).write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
