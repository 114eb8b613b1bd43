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
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import cli, data, graph_rounds, graph_worker, graphnets  # noqa: E402
from trainbench.childproc import add_worker_argument, worker_main  # noqa: E402
from trainbench.graph_rounds import predict_time  # noqa: E402
from trainbench.graph_runners import MODULES  # noqa: E402
from trainbench.timing import epoch_time  # noqa: E402

FRAMEWORKS = tuple(MODULES)


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
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return args
    args.frameworks = cli.names(parser, "--frameworks", args.frameworks, FRAMEWORKS)
    args.models = cli.names(parser, "--models", args.models, graphnets.NETWORKS)
    if args.full:
        args.train_images = 60_000
    if args.quick:
        args.rounds, args.epochs, args.train_images, args.test_images, args.predict_repeats = 1, 2, 256, 256, 1
        args.synthetic = args.synthetic or args.data_dir is None
    cli.at_least_one(parser, args, ("rounds", "epochs", "threads", "train_images", "test_images", "batch_size",
                                    "predict_batch_size", "predict_repeats"))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker_main(graph_worker.measure, *args.worker)
    data_dir = None if args.synthetic else data.locate(args.data_dir)
    print(f"load average at start {os.getloadavg()}; {args.threads} thread(s), {args.rounds} round(s) of "
          f"{args.epochs} epochs over {args.train_images} {'synthetic' if args.synthetic else 'MNIST'} images, "
          f"batch {args.batch_size}; models {', '.join(args.models)}")
    with tempfile.TemporaryDirectory(prefix="fastnn-residual-") as workdir:
        base = {"threads": args.threads, "epochs": args.epochs, "train_images": args.train_images,
                "test_images": args.test_images, "batch_size": args.batch_size, "optimizer": {"name": "adam"},
                "predict_batch_size": args.predict_batch_size, "predict_repeats": args.predict_repeats,
                "seed": args.seed, "data_dir": None if data_dir is None else str(data_dir),
                "synthetic": args.synthetic}
        jobs = {}
        for model in args.models:
            nodes = graphnets.get(model)
            weights = str(Path(workdir) / f"{model}.weights.npz")
            np.savez(weights, **graphnets.initial_weights(nodes, args.seed))
            jobs[model] = dict(base, model=model, nodes=nodes, weights=weights)
        runs, gemm, notes = graph_rounds.run(__file__, jobs, args.frameworks, args.rounds, workdir, args.timeout)
    summary = {model: summarise(model, runs[model], args, statistics.median(gemm) if gemm else None)
               for model in args.models}
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "gemm_gflops": gemm, "runs": runs,
                                               "summary": summary, "notes": notes}, indent=2))
    return 1 if graph_rounds.failed(notes) else 0


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
