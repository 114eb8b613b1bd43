"""Saving and loading a large model in each file format against np.savez / np.load of its arrays.

    PYTHONPATH=src python benchmarks/bench_model_files.py [--megabytes 100] [--rounds 5]
        [--formats keras,h5,weights.h5,fastnn] [--dir /tmp]

The model is a Dense stack whose weights total --megabytes of float32 (one 5000x5000 kernel for
100). Every save and every load runs in a fresh interpreter: its time is the call alone, its
memory the peak of the process's resident set during the call (sampled every millisecond) less
what it was before (for a load this includes the new model's own weights, which np.load's arrays
are the counterpart of). Rounds alternate
the formats' order; figures are medians. Goals: time within 1.5x np.savez / np.load, extra
memory at most 1x the arrays' size beyond the model itself.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FORMATS = {"keras": "m.keras", "h5": "m.h5", "weights.h5": "m.weights.h5", "fastnn": "m.fastnn",
           "npz": "arrays.npz"}


def build_model(megabytes):
    from fastnn import layers, models

    width = max(1, int((megabytes * 2 ** 20 / 4) ** 0.5))
    model = models.Sequential([layers.Dense(width, input_shape=(width,)), layers.Dense(10)])
    model.compile("rmsprop", "mse")
    return model


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


class PeakMemory:
    """The process's resident set sampled every millisecond while the block runs; `extra_mb` is its
    peak less what it was when the block began."""

    def __enter__(self):
        self.start = self.peak = rss_mb()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        return self

    def _sample(self):
        while not self.done.wait(0.001):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self.peak = max(self.peak, rss_mb())
        self.done.set()
        self.sampler.join()
        self.extra_mb = self.peak - self.start


def child(fmt, action, path, megabytes):
    import numpy as np

    from fastnn import models

    import h5py  # noqa: F401  (imported before the baseline, as every HDF5 call needs it)

    model = build_model(megabytes) if action == "save" or fmt == "weights.h5" else None
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())} if model is not None and fmt == "npz" else None
    with PeakMemory() as memory:
        start = time.perf_counter()
        if action == "save":
            if fmt == "npz":
                np.savez(path, **arrays)
            elif fmt == "weights.h5":
                model.save_weights(path)
            else:
                model.save(path)
        elif fmt == "npz":
            with np.load(path) as f:
                [f[k] for k in f.files]
        elif fmt == "weights.h5":
            model.load_weights(path)
        else:
            models.load_model(path)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "extra_mb": memory.extra_mb}))


def run_child(fmt, action, path, megabytes):
    out = subprocess.run([sys.executable, __file__, "--child", fmt, action, path, str(megabytes)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{fmt} {action} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--formats", default="keras,h5,weights.h5,fastnn")
    parser.add_argument("--dir", default=None, help="where the files are written (default: a temporary folder)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fmt, action, path, megabytes = args.child
        return child(fmt, action, path, float(megabytes))
    formats = [f for f in args.formats.split(",") if f]
    unknown = [f for f in formats if f not in FORMATS or f == "npz"]
    if unknown:
        parser.error(f"unknown formats {unknown}; choose from {', '.join(f for f in FORMATS if f != 'npz')}")
    order = ["npz"] + formats
    results = {(f, a): [] for f in order for a in ("save", "load")}
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for r in range(args.rounds):
            for fmt in (order if r % 2 == 0 else order[::-1]):
                path = os.path.join(folder, FORMATS[fmt])
                for action in ("save", "load"):
                    results[fmt, action].append(run_child(fmt, action, path, args.megabytes))
        sizes = {f: os.path.getsize(os.path.join(folder, FORMATS[f])) / 2 ** 20 for f in order}
    print(f"{args.megabytes:g} MB of float32 weights, {args.rounds} rounds, medians; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'format':<11} {'file MB':>8} {'save s':>8} {'x savez':>8} {'save +MB':>9} "
          f"{'load s':>8} {'x load':>8} {'load +MB':>9}")
    base = {a: statistics.median(x["seconds"] for x in results["npz", a]) for a in ("save", "load")}
    for fmt in order:
        row = {a: (statistics.median(x["seconds"] for x in results[fmt, a]),
                   statistics.median(x["extra_mb"] for x in results[fmt, a])) for a in ("save", "load")}
        print(f"{fmt:<11} {sizes[fmt]:8.1f} {row['save'][0]:8.3f} {row['save'][0] / base['save']:8.2f} "
              f"{row['save'][1]:9.0f} {row['load'][0]:8.3f} {row['load'][0] / base['load']:8.2f} {row['load'][1]:9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
