"""Where a fastnn step of compare_residual.py's networks spends its time: kernels or Python.

For each model, trains on synthetic images until fit's and predict's steps replay as plans, then
measures (1) the share of fit's wall time spent replaying the plan's tape (the kernels; the rest is
Python: batch gathering, the trainer, the optimizer's host call) and (2) each kernel kind's share of
the tape, by replaying its calls one at a time (which adds each call's start-up, so the shares are
indicative; the whole tape is timed too). Also the plan's memory against its live peak.

    python benchmarks/profile_graph_step.py [--models residual,inception,vae] [--batch-size 64]
        [--threads 2] [--steps 20] [--repeats 3] [--top 12]
"""
import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench import data, graphnets  # noqa: E402
from trainbench.graph_runners import fastnn_graph  # noqa: E402


def _only_plan(function, what):
    plans = list(function.plans.plans.values())
    if len(plans) != 1 or plans[0].state != "replay":
        raise RuntimeError(f"{what}: expected one replayed plan, found {[(p.state, p.reason) for p in plans]}")
    return plans[0]


def kernel_shares(tape, repeats):
    """({kind: (calls, seconds)} from replaying the calls one by one, seconds of the whole tape)."""
    kinds = tape.kinds()
    seconds, calls = collections.defaultdict(float), collections.Counter(kinds)
    for _ in range(repeats):
        for i, kind in enumerate(kinds):
            start = time.perf_counter()
            tape.run(i, i + 1)
            seconds[kind] += (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    for _ in range(repeats):
        tape.run()
    return {k: (calls[k], seconds[k]) for k in seconds}, (time.perf_counter() - start) / repeats


def profile(model, args):
    nodes = graphnets.get(model)
    spec = {"threads": args.threads, "seed": 1, "batch_size": args.batch_size}
    trainer = fastnn_graph.Trainer(spec, nodes, graphnets.initial_weights(nodes, 1))
    rows = args.batch_size * args.steps
    x, labels, _, _ = graphnets.synthetic(rows, 0, 1)
    x = x.reshape((-1,) + tuple(nodes[0]["shape"]))
    y = x if graphnets.is_autoencoder(nodes) else data.one_hot(labels)
    trainer.train_epoch(x, y)  # records and checks the plan
    for _ in range(3):
        trainer.predict(x[:args.batch_size], args.batch_size)
    train = _only_plan(trainer.model.train_function, f"{model} fit")
    replaying = [0.0]
    tape_run = train.tape.run

    def timed_step():
        start = time.perf_counter()
        tape_run()
        replaying[0] += time.perf_counter() - start
        return train.outputs

    original = type(train).__call__  # special methods are looked up on the class
    type(train).__call__ = lambda plan: timed_step() if plan is train else original(plan)
    try:
        start = time.perf_counter()
        trainer.train_epoch(x, y)
        wall = time.perf_counter() - start
    finally:
        type(train).__call__ = original
    print(f"\n{model}: fit epoch of {args.steps} steps: {wall * 1e3:.1f} ms, {replaying[0] / wall:.0%} replaying "
          f"the tape (kernels), {1 - replaying[0] / wall:.0%} Python; plan memory {train.memory}")
    predict = _only_plan(trainer.model.predict_function, f"{model} predict")
    for what, plan in (("fit", train), ("predict", predict)):
        shares, whole = kernel_shares(plan.tape, args.repeats)
        total = sum(s for _, s in shares.values())
        print(f"  {what} tape: {len(plan.tape)} calls, {whole * 1e3:.2f} ms whole, {total * 1e3:.2f} ms one by one")
        for kind, (calls, seconds) in sorted(shares.items(), key=lambda kv: -kv[1][1])[:args.top]:
            print(f"    {kind:26s} {calls:4d} calls {seconds * 1e3:9.2f} ms {seconds / total:6.1%}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(graphnets.NETWORKS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in graphnets.NETWORKS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(graphnets.NETWORKS)}")
    for name in ("batch_size", "threads", "steps", "repeats", "top"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, received: {getattr(args, name)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    for model in args.models:
        profile(model, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
