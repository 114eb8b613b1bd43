"""Data-parallel scaling on one machine: 784-512-10 relu/softmax, RMSprop, batch 128, MNIST.

    python benchmarks/distributed.py [--epochs 5] [--data-dir DIR] [--processes 2]

Runs the same training three times, each as a fresh job:
  1 process x P threads          (plain fit, no distribution)
  P processes x 1 thread         (mpiexec -n P, DataParallel, shared-memory transport)
  P processes x 1 thread, TCP    (mpiexec --mca btl tcp,self)
and a bare allreduce of the model's gradient buffer. Reports the median epoch time of each,
scaling efficiency (1xP epoch time / Px1 epoch time), per-step time spent waiting for the
gradient allreduce with and without overlapping it with backward, and test accuracy.
"Waiting" includes the time a process waits for a slower one, so on a busy machine it is far
above the bare allreduce.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def worker(args):
    import fastnn
    from fastnn import distribution, layers, models
    from fastnn.datasets import mnist

    if args.distributed:
        distribution.set_distribution(distribution.DataParallel(overlap=bool(args.overlap)))
    (x, y), (x_test, y_test) = mnist.load_data(args.data_dir)
    x = x.reshape(len(x), 784).astype(np.float32) / 255
    x_test = x_test.reshape(len(x_test), 784).astype(np.float32) / 255
    y, y_test = np.eye(10, dtype=np.float32)[y], np.eye(10, dtype=np.float32)[y_test]
    fastnn.utils.set_random_seed(0)
    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    epoch_seconds, waits = [], []
    active = distribution.distribution()
    for _ in range(args.epochs):
        if active is not None:
            active.comm.Barrier()
            active.reduce_seconds, active.reduce_steps = 0.0, 0
        start = time.perf_counter()
        model.fit(x, y, batch_size=128, epochs=1, verbose=0)
        epoch_seconds.append(time.perf_counter() - start)
        if active is not None:
            waits.append(active.reduce_seconds / active.reduce_steps)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    bare = bare_allreduce(active, model.trainable_parameters().grads.size) if active is not None else None
    if distribution.is_chief():
        print("RESULT " + json.dumps({
            "threads": fastnn.get_num_threads(), "processes": distribution.num_processes(),
            "epoch_seconds": epoch_seconds, "wait_per_step": waits, "test_accuracy": accuracy,
            "bare_allreduce": bare, "steps_per_epoch": -(-len(x) // 128),
            "gradient_bytes": 4 * model.trainable_parameters().grads.size}), flush=True)


def bare_allreduce(active, size, repeats=200):
    """Median seconds of one synchronized allreduce of `size` float32s."""
    buffer = np.ones(size, np.float32)
    times = []
    for _ in range(repeats):
        active.comm.Barrier()
        start = time.perf_counter()
        active.comm.Allreduce(active.mpi.IN_PLACE, buffer, op=active.mpi.SUM)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def launch(command, env, timeout):
    env = dict(os.environ, **env, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def median(values):
    return float(np.median(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--data-dir", default=str(ROOT.parent.parent / "shared" / "datasets" / "mnist")
                        if (ROOT.parent.parent / "shared" / "datasets" / "mnist").is_dir() else None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--overlap", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    mpiexec = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    if mpiexec is None:
        sys.exit('mpiexec not found: pip install "fastnn[mpi]"')
    p = args.processes
    base = [sys.executable, __file__, "--worker", "--epochs", str(args.epochs)]
    if args.data_dir:
        base += ["--data-dir", args.data_dir]
    timeout = 120 + 60 * args.epochs
    one = launch(base, {"FASTNN_NUM_THREADS": str(p)}, timeout)
    job = [mpiexec, "-n", str(p)]
    single_thread = dict(MPI_ENV, FASTNN_NUM_THREADS="1")
    many = launch(job + base + ["--distributed"], single_thread, timeout)
    tcp = launch(job + ["--mca", "btl", "tcp,self"] + base + ["--distributed"], single_thread, timeout)
    overlapped = launch(job + base + ["--distributed", "--overlap", "1"], single_thread, timeout)

    t_one, t_many, t_tcp = median(one["epoch_seconds"]), median(many["epoch_seconds"]), median(tcp["epoch_seconds"])
    steps = many["steps_per_epoch"]
    print(f"{args.epochs} epochs, batch 128, {steps} steps/epoch, gradient {many['gradient_bytes'] / 1e6:.2f} MB/step")
    print(f"1 process x {p} threads      : epoch {t_one:.2f} s ({t_one / steps * 1e3:.2f} ms/step), "
          f"test accuracy {one['test_accuracy']:.4f}")
    for label, run in ((f"{p} processes x 1 thread   ", many), (f"{p} processes x 1, TCP only", tcp)):
        t = median(run["epoch_seconds"])
        print(f"{label}: epoch {t:.2f} s, scaling efficiency {t_one / t:.0%}, waiting for gradients "
              f"{median(run['wait_per_step']) * 1e3:.2f} ms/step, bare allreduce {run['bare_allreduce'] * 1e3:.2f} ms, "
              f"test accuracy {run['test_accuracy']:.4f}")
    t_overlap = median(overlapped["epoch_seconds"])
    w_block, w_overlap = median(many["wait_per_step"]), median(overlapped["wait_per_step"])
    print(f"overlap on (bucketed Iallreduce): epoch {t_overlap:.2f} s, waiting {w_overlap * 1e3:.2f} ms/step against "
          f"{w_block * 1e3:.2f} without: {1 - w_overlap / w_block if w_block else 0:.0%} of the wait hidden")


if __name__ == "__main__":
    main()
