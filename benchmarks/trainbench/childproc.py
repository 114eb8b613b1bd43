"""One framework per fresh interpreter: the parent writes a job as JSON and runs the benchmark script
again as ``script --worker NAME JOB_FILE OUT_FILE``; the child measures and writes its result as JSON.

A child that cannot import its framework writes {"skipped": why} and exits with SKIPPED_EXIT_CODE;
a child that crashes or runs out of time becomes {"failed": why} in the parent.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SKIPPED_EXIT_CODE = 3
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "FASTNN_NUM_THREADS")
STDERR_LINES = 8  # of a failed child's output kept in its "failed" note


def child_env(threads):
    """The environment of a worker: thread counts for every runtime, set before any of them is imported."""
    env = dict(os.environ)
    for var in THREAD_ENV_VARS:
        env[var] = str(threads)
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = "cpu"
    if threads == 1:
        # XLA's CPU backend has no flag for N > 1 threads; the worker's CPU affinity bounds it instead.
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    env["PYTHONUNBUFFERED"] = "1"
    return env


def pin_to_cpus(threads):
    """Restrict the process to its first `threads` CPUs when it may run on more (Linux only)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    if threads < len(cpus):
        os.sched_setaffinity(0, cpus[:threads])
        return cpus[:threads]
    return cpus


def add_worker_argument(parser):
    """The hidden ``--worker NAME JOB_FILE OUT_FILE`` a script is re-run with in its children."""
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "JOB_FILE", "OUT_FILE"), help=argparse.SUPPRESS)


def run_worker(script, name, job, workdir, timeout, env, label=None):
    """Runs `script` as the worker `name` on `job` (JSON-able) in a fresh interpreter with `env`; returns
    the child's result dict, or `label` (default {"framework": name}) with "failed" and why."""
    label = {"framework": name} if label is None else label
    tag = f"{name}-{os.urandom(4).hex()}"
    job_file, out_file = Path(workdir) / f"{tag}.job.json", Path(workdir) / f"{tag}.out.json"
    job_file.write_text(json.dumps(job))
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", name, str(job_file), str(out_file)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**label, "failed": f"timed out after {timeout:.0f} s"}
    if out_file.exists() and proc.returncode in (0, SKIPPED_EXIT_CODE):
        return json.loads(out_file.read_text())
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-STDERR_LINES:])
    return {**label, "failed": f"exit code {proc.returncode}:\n{tail}"}


def worker_main(measure, name, job_file, out_file, key="framework", copied=()):
    """The child's side: `measure(name, job)` -> result dict, written to `out_file`; the exit code.
    A result holding "skipped" (or an ImportError of the framework) exits with SKIPPED_EXIT_CODE; the
    ImportError's result is {key: name, "skipped": why} and the job's `copied` keys."""
    job = json.loads(Path(job_file).read_text())
    try:
        result = measure(name, job)
        code = SKIPPED_EXIT_CODE if "skipped" in result else 0
    except ImportError as exc:
        result = {key: name, **{k: job[k] for k in copied}, "skipped": f"{type(exc).__name__}: {exc}"}
        code = SKIPPED_EXIT_CODE
    Path(out_file).write_text(json.dumps(result))
    return code
