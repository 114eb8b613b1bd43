"""Many model configurations trained side by side in fastnn, PyTorch and Keras 3 on JAX, next to the
dense matmul floor (NumPy's BLAS doing only each step's matrix products).

Every configuration (trainbench/modelspec.py, MODELS) is trained by every framework in its own
subprocess, with the same thread count, the same glorot-uniform initial weights drawn once with NumPy,
and the same MNIST arrays; the frameworks' order alternates between rounds. Epochs are timed one at a
time; the first is warm-up.

    python benchmarks/compare_models.py [--models chapter2,tanh_adam,...] [--epochs 3] [--repeats 1]
        [--threads 2] [--samples N] [--frameworks fastnn,fastnn-loop,fastnn-loop-grads,torch,keras-jax,matmul-floor]
        [--data-dir DIR] [--json FILE]

fastnn-loop and fastnn-loop-grads (chapter 2's network as a hand-written loop on fastnn Tensors) train
only the chapter2 configuration.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import cli, data, model_report, model_worker, modelspec  # noqa: E402
from trainbench.childproc import add_worker_argument, child_env, run_worker as run_child  # noqa: E402
from trainbench.machine import describe, headline  # noqa: E402
from trainbench.model_runners import MODULES  # noqa: E402

# Set in this environment they make a current OpenBLAS run an older, slower kernel; the floor runs without.
FLOOR_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(modelspec.MODELS),
                        help=f"comma-separated subset of {','.join(modelspec.MODELS)}")
    parser.add_argument("--frameworks", default=",".join(MODULES),
                        help=f"comma-separated subset of {','.join(MODULES)}")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="rounds: subprocess runs per framework and model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=None,
                        help="train on the first N of MNIST's 60,000 training images (default: all)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four MNIST IDX files (default: $FASTNN_DATASETS/mnist, "
                             "then where fastnn.datasets looks)")
    parser.add_argument("--json", default=None, help="write every raw measurement and the summary here")
    parser.add_argument("--predict-batch-size", type=int, default=128)
    parser.add_argument("--predict-repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per subprocess")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker is None:
        args.models = cli.names(parser, "--models", args.models, modelspec.MODELS)
        args.frameworks = cli.names(parser, "--frameworks", args.frameworks, MODULES)
        cli.at_least_one(parser, args, ("epochs", "threads", "repeats", "predict_batch_size"))
        if args.samples is not None and not 1 <= args.samples <= 60000:
            parser.error(f"--samples must be in [1, 60000], received: {args.samples}")
    return args


def worker_env(framework, threads):
    env = child_env(threads)
    if framework == model_report.FLOOR:
        for var in FLOOR_UNSET:
            env.pop(var, None)
    return env


def run_worker(framework, job, workdir, timeout):
    """Runs one framework on one model in a fresh interpreter; returns its result dict."""
    return run_child(__file__, framework, job, workdir, timeout, worker_env(framework, job["threads"]),
                     label={"framework": framework, "model": job["model"]})


def main(argv=None):
    args = parse_args(argv)
    if args.worker is not None:
        return model_worker.main(*args.worker)

    data_dir = data.locate(args.data_dir)
    machine = describe()
    print(headline(machine))
    print(f"MNIST from {data_dir}, {args.samples or 60000} training images; {args.epochs} epoch(s), "
          f"{args.threads} thread(s), {args.repeats} round(s); models: {', '.join(args.models)}\n")

    specs = {name: modelspec.get(name) for name in args.models}
    runs = {model: {f: [] for f in args.frameworks} for model in args.models}
    missing, failed, unsupported = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="fastnn-models-") as workdir:
        weight_files = {}
        for model, spec in specs.items():
            weight_files[model] = str(Path(workdir) / f"{model}.weights.npz")
            np.savez(weight_files[model], *modelspec.initial_weights(spec, args.seed))
        for repeat in range(args.repeats):
            order = args.frameworks if repeat % 2 == 0 else args.frameworks[::-1]
            for model, spec in specs.items():
                job = {"model": model, "spec": spec, "epochs": args.epochs, "threads": args.threads,
                       "samples": args.samples, "seed": args.seed, "data_dir": str(data_dir),
                       "weights_file": weight_files[model], "predict_batch_size": args.predict_batch_size,
                       "predict_repeats": args.predict_repeats}
                for framework in order:
                    if framework in missing or (model, framework) in unsupported or (model, framework) in failed:
                        continue
                    print(f"round {repeat + 1}/{args.repeats} {model}: {framework} ...", end=" ", flush=True)
                    result = run_worker(framework, job, workdir, args.timeout)
                    if "skipped" in result and "unsupported" in result:
                        unsupported[(model, framework)] = result["skipped"]
                        print(f"not run ({result['skipped']})")
                    elif "skipped" in result:
                        missing[framework] = result["skipped"]
                        print(f"skipped ({result['skipped']})")
                    elif "failed" in result:
                        failed[(model, framework)] = result["failed"]
                        print(f"FAILED ({result['failed']})")
                    else:
                        runs[model][framework].append(result)
                        print(" ".join(f"{t:.3f}" for t in result["epoch_seconds"]) + " s/epoch")

    summaries = {model: {f: model_report.summarise(r) for f, r in by_framework.items() if r}
                 for model, by_framework in runs.items()}
    summaries = {model: s for model, s in summaries.items() if s}
    print()
    if summaries:
        print(model_report.training_table(summaries))
        print()
        print(model_report.speed_table(summaries))
        print()
        for line in model_report.blas_lines(summaries):
            print(line)
        print(f"\ns/epoch: median of epochs 2..{args.epochs} over all rounds (epoch 1 if only one), epoch 1 apart "
              "(warm-up, compilation). matmul-floor: NumPy's BLAS doing only the step's matrix products "
              "(x@W, x^T@dz, dz@W^T but the first layer's) for every batch of one epoch.\n")
        for line in model_report.goal_lines(summaries):
            print(line)
    for framework, why in missing.items():
        print(f"note: {framework} not measured: {why}")
    for (model, framework), why in failed.items():
        print(f"note: {model} / {framework} failed: {why}")

    if args.json:
        payload = {"machine": machine, "args": {k: v for k, v in vars(args).items() if not k.startswith("worker")},
                   "data_dir": str(data_dir), "specs": specs, "runs": runs, "summary": summaries,
                   "unsupported": [{"model": m, "framework": f, "why": w} for (m, f), w in unsupported.items()],
                   "failed": [{"model": m, "framework": f, "why": w} for (m, f), w in failed.items()],
                   "skipped": missing}
        Path(args.json).write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
