"""Side-by-side training benchmark of a family of MNIST-sized convnets: fastnn, PyTorch (channels-last)
and Keras 3 on JAX.

The configurations (--configs, default all; trainbench/convnets.py describes each as data: its layers,
optimizer and batch size):

- book_5_1: chapter 5.1's convnet (3x3 valid convs 32-64-64, 2x2 pooling, Dense(64)), RMSprop, batch 64;
- fashion_same_stride2_gap: 'same' 3x3 convs, two of stride 2, global average pooling, Adam, batch 128,
  on Fashion-MNIST when its files are found (else MNIST);
- pointwise_1x1: 1x1 convolutions between 3x3 ones, global average pooling, RMSprop, batch 64;
- large_kernels_5x5_7x7: a 5x5 and a 7x7 'same' convolution, RMSprop, batch 32;
- dilated_2: 3x3 convolutions of dilation 2, Adam, batch 64;
- wide_256: channels 64-128-256, RMSprop, batch 256.

Every framework builds each network from that one description with the same glorot-uniform initial
weights drawn once with NumPy, reads the same IDX files with the same loader, and runs in its own
subprocess with the same thread count (pinned to that many CPUs); the frameworks' order alternates
between rounds. An epoch is one pass over --samples training images; a run's epoch time is the median
of its epochs after the first, and the table gives the median over the rounds. The floor of an epoch is
its convolution and dense FLOPs (forward, weight gradients, and input gradients of all but the first
layer) at NumPy's float32 GEMM rate, measured in each round in a subprocess of its own at the same
thread count. fastnn/PyTorch is the median of the per-round ratios. The goal per configuration: fastnn's
epoch <= 0.5x PyTorch's, or within 1.25x of the floor where 0.5x PyTorch's is below the floor.

    python benchmarks/compare_convnet.py [--configs book_5_1,wide_256,...] [--samples 12800]
        [--epochs 3] [--rounds 3] [--threads 2] [--frameworks fastnn,torch,keras-jax]
        [--data-dir DIR] [--fashion-dir DIR] [--synthetic] [--quick] [--json FILE]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import cli, convnets, data, graph_rounds, graph_worker, graphnets  # noqa: E402
from trainbench.childproc import add_worker_argument, worker_main  # noqa: E402
from trainbench.graph_rounds import predict_time  # noqa: E402
from trainbench.graph_runners import MODULES  # noqa: E402
from trainbench.report import format_table  # noqa: E402
from trainbench.timing import epoch_time  # noqa: E402

FRAMEWORKS = tuple(MODULES)
PEER_RATIO_GOAL, FLOOR_RATIO_GOAL = 0.5, 1.25  # against PyTorch's epoch; against the floor


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default=",".join(convnets.CONFIGS),
                        help=f"comma-separated subset of {','.join(convnets.CONFIGS)}")
    parser.add_argument("--samples", type=int, default=12_800, help="training images per epoch")
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is not counted)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four MNIST IDX files (default: $FASTNN_DATASETS/mnist, "
                             "then where fastnn.datasets looks)")
    parser.add_argument("--fashion-dir", default=None,
                        help="folder with Fashion-MNIST's four IDX files (default: fashion-mnist beside the MNIST "
                             "folder, $FASTNN_DATASETS/fashion-mnist, where fastnn.datasets looks; else MNIST)")
    parser.add_argument("--synthetic", action="store_true", help="learnable random images instead of the IDX files")
    parser.add_argument("--predict-batch-size", type=int, default=128)
    parser.add_argument("--predict-repeats", type=int, default=1, help="timed predict calls after a warm-up")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run that checks the benchmark works: 1 round of 2 epochs over 256 images, "
                             "256 test images, synthetic images unless --data-dir is given")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per subprocess")
    parser.add_argument("--json", default=None, help="write every raw measurement and the summary here")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return args
    args.frameworks = cli.names(parser, "--frameworks", args.frameworks, FRAMEWORKS)
    args.configs = cli.names(parser, "--configs", args.configs, convnets.CONFIGS)
    if args.quick:
        args.rounds, args.epochs, args.samples, args.test_images, args.predict_repeats = 1, 2, 256, 256, 1
        args.synthetic = args.synthetic or args.data_dir is None
    cli.at_least_one(parser, args, ("rounds", "epochs", "threads", "samples", "test_images", "predict_batch_size"))
    if args.predict_repeats < 0:
        parser.error(f"--predict-repeats must be >= 0, received: {args.predict_repeats}")
    if args.samples > 60_000 or args.test_images > 10_000:
        parser.error(f"--samples must be <= 60000 and --test-images <= 10000, received: {args.samples}, "
                     f"{args.test_images}")
    return args


def data_dirs(args):
    """{dataset: (folder or None for synthetic images, what the images are)} for the configurations' datasets."""
    if args.synthetic:
        return {name: (None, "synthetic") for name in convnets.DATASETS}
    mnist = data.locate(args.data_dir)
    fashion = data.locate_fashion(args.fashion_dir, mnist)
    return {"mnist": (mnist, "MNIST"),
            "fashion-mnist": (fashion, "Fashion-MNIST") if fashion else (mnist, "MNIST (Fashion-MNIST not found)")}


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker_main(graph_worker.measure, *args.worker)
    folders = data_dirs(args)
    print(f"load average at start {os.getloadavg()}; {args.threads} thread(s), {args.rounds} round(s) of "
          f"{args.epochs} epochs over {args.samples} images; configurations {', '.join(args.configs)}")
    configs = {name: convnets.get(name) for name in args.configs}
    with tempfile.TemporaryDirectory(prefix="fastnn-convnet-") as workdir:
        jobs = {}
        for name, config in configs.items():
            nodes = convnets.as_nodes(config)
            weights = str(Path(workdir) / f"{name}.weights.npz")
            np.savez(weights, **graphnets.initial_weights(nodes, args.seed))
            folder, images = folders[config["dataset"]]
            print(f"{name}: {config['about']}; {config['optimizer']['name']}, batch {config['batch_size']}, "
                  f"{images} images")
            jobs[name] = {"model": name, "nodes": nodes, "weights": weights, "threads": args.threads,
                          "seed": args.seed, "batch_size": config["batch_size"], "optimizer": config["optimizer"],
                          "epochs": args.epochs, "train_images": args.samples, "test_images": args.test_images,
                          "predict_batch_size": args.predict_batch_size, "predict_repeats": args.predict_repeats,
                          "data_dir": None if folder is None else str(folder), "synthetic": folder is None,
                          "images": images}
        runs, gemm, notes = graph_rounds.run(__file__, jobs, args.frameworks, args.rounds, workdir, args.timeout)
    rate = statistics.median(gemm) if gemm else None
    summary = {name: summarise(configs[name], runs[name], args.samples, rate) for name in args.configs}
    print()
    print(table(summary))
    print(f"\nepoch s: the median over rounds of each run's median epoch after the first; floor: the epoch's conv "
          f"and dense FLOPs at NumPy's float32 GEMM rate ({'-' if rate is None else format(rate, '.1f')} GFLOP/s, "
          f"{args.threads} thread(s), median of the rounds); floor/fastnn: the share of that rate fastnn's "
          "epoch reaches; loss: the last epoch's mean training loss; acc: test accuracy after training.\n")
    for name in args.configs:
        print(verdict_line(name, summary[name]))
    for key, why in notes.items():
        print(f"note: {key} not measured: {why}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "gemm_gflops": gemm, "runs": runs,
                                               "summary": summary, "notes": notes}, indent=2))
        print(f"\nwrote {args.json}")
    return 1 if graph_rounds.failed(notes) else 0


def summarise(config, runs, samples, gemm):
    """One configuration's figures: per framework epoch, loss, accuracy, predict; fastnn/PyTorch (median of
    per-round ratios), the floor, fastnn's share of it and the goal's target and verdict."""
    _, training = graphnets.flops_per_sample(convnets.as_nodes(config))
    floor = training * samples / (gemm * 1e9) if gemm else None
    summary = {"training_flops_per_image": training, "floor_s": floor, "frameworks": {}}
    for framework, results in runs.items():
        if not results:
            continue
        predicts = [t for t in map(predict_time, results) if t is not None]
        summary["frameworks"][framework] = {
            "epoch_s": statistics.median(epoch_time(r) for r in results),
            "loss": statistics.median(r["train_losses"][-1] for r in results),
            "accuracy": statistics.median(r["test_value"] for r in results),
            "predict_images_per_s": results[0]["predict_images"] / statistics.median(predicts) if predicts else None,
            "version": results[0]["version"],
        }
    fast, torch = runs.get("fastnn") or [], runs.get("torch") or []
    if fast:
        epoch = summary["frameworks"]["fastnn"]["epoch_s"]
        summary["floor_share"] = floor / epoch if floor else None
        summary["train_plans"] = fast[0].get("train_plans")
    if fast and torch:
        summary["ratio_vs_torch"] = statistics.median(epoch_time(a) / epoch_time(b) for a, b in zip(fast, torch))
        target, rule = PEER_RATIO_GOAL * summary["frameworks"]["torch"]["epoch_s"], f"{PEER_RATIO_GOAL}x PyTorch's"
        if floor and target < floor:
            target = FLOOR_RATIO_GOAL * floor
            rule = f"{FLOOR_RATIO_GOAL}x the floor, {PEER_RATIO_GOAL}x PyTorch's being below it"
        summary["target_s"], summary["target_rule"] = target, rule
        summary["verdict"] = "PASS" if summary["frameworks"]["fastnn"]["epoch_s"] <= target else "FAIL"
    else:
        summary["verdict"] = "n.a."
    return summary


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(summary):
    headers = ["configuration", "framework", "epoch s", "fastnn/torch", "floor s", "floor/fastnn", "loss", "acc",
               "predict img/s", "goal"]
    rows = []
    for name, s in summary.items():
        for i, (framework, f) in enumerate(s["frameworks"].items()):
            first = i == 0
            rows.append([name if first else "", framework, _fmt(f["epoch_s"], ".3f"),
                         _fmt(s.get("ratio_vs_torch"), ".2f") if framework == "fastnn" else "",
                         _fmt(s["floor_s"], ".3f") if first else "",
                         _fmt(s.get("floor_share"), ".0%") if framework == "fastnn" else "",
                         _fmt(f["loss"], ".4f"), _fmt(f["accuracy"], ".4f"), _fmt(f["predict_images_per_s"], ",.0f"),
                         s["verdict"] if first else ""])
    return format_table(headers, rows)


def verdict_line(name, s):
    """The goal's line for one configuration."""
    frameworks = s["frameworks"]
    if s["verdict"] == "n.a.":
        missing = [f for f in ("fastnn", "torch") if f not in frameworks]
        return f"n.a.  {name}: needs fastnn and torch measured (missing {', '.join(missing)})"
    fast, torch = frameworks["fastnn"]["epoch_s"], frameworks["torch"]["epoch_s"]
    floor = "floor not measured" if s["floor_s"] is None else \
        f"floor {s['floor_s']:.3f} s (fastnn's epoch runs at {s['floor_share']:.0%} of the GEMM rate)"
    return (f"{s['verdict']:4}  {name}: fastnn {fast:.3f} s/epoch, goal <= {s['target_s']:.3f} s "
            f"({s['target_rule']}); PyTorch {torch:.3f} s, fastnn/PyTorch {s['ratio_vs_torch']:.2f}; {floor}; "
            f"fit's steps {s.get('train_plans')}")


if __name__ == "__main__":
    sys.exit(main())
