"""Checks every compiled kernel against its NumPy oracle: python -m fastnn.selftest.

Prints the build (instruction set, threads) and OK or FAIL per kernel; exits with
status 1 if any kernel fails. Each kernel runs a few samples of its record in
fastnn.kernel_table (both dtypes, and the large sample that uses every thread) on every
instruction set this CPU can run, at the current thread count and at one thread, which must
give bitwise the same result.
"""
import sys

import numpy as np

from . import kernels, reference
from .kernel_table import DTYPES, RECORDS_BY_NAME
from .kernel_table.isa import on_isa
from .threads import _restore, _setting, get_num_threads, set_num_threads, threads_enabled

SAMPLES_PER_DTYPE = 4  # of each record's samples, spread over its list, plus its large one


def selftest_samples(record, dtype):
    """A few of the record's samples (every k-th) and its large sample, which uses every thread."""
    samples = record.samples(dtype)
    return samples[::max(1, len(samples) // SAMPLES_PER_DTYPE)] + [record.large(dtype)]


def compiled_kernels():
    """Names of the compiled kernels: public callables of fastnn.kernels that have an oracle."""
    return [name for name in dir(kernels)
            if not name.startswith("_") and callable(getattr(kernels, name)) and hasattr(reference, name)]


def _run(record, fn, sample):
    args, kwargs = sample.make()
    return record.outputs(fn(*args, **kwargs), args)


def _mismatch(record, sample, dtype, got, got_1, want, threads):
    """What is wrong with one sample's outputs, or None."""
    if len(got) != len(want):
        return f"{sample.label}: {len(got)} outputs, expected {len(want)}"
    for g, g_1, w in zip(got, got_1, want):
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"{sample.label}: got {g.dtype}{g.shape}, expected {w.dtype}{w.shape}"
        if g.tobytes() != g_1.tobytes():
            return f"{sample.label}: results differ between {threads} and 1 threads"
        tol = record.tolerance(g.dtype if g.dtype.kind == "f" else dtype, sample.reduction)
        scale = max(1.0, float(np.abs(w).max())) if w.size else 1.0
        if not np.allclose(g, w, rtol=tol, atol=tol * scale, equal_nan=True):
            err = float(np.abs(g.astype(np.float64) - w).max())
            return f"{sample.label}: max error {err:.3g} (tolerance {tol * scale:.3g})"
    return None


def check_kernel(name, threads):
    """None when the kernel matches its oracle on its selftest samples on every instruction set
    this CPU can run, at `threads` threads and bitwise at 1 thread, else what went wrong."""
    record = RECORDS_BY_NAME.get(name)
    if record is None:
        return "no record in fastnn.kernel_table"
    for isa in kernels.isas_available():
        with on_isa(isa):
            problem = _check_record(record, threads)
        if problem is not None:
            return f"{isa}: {problem}"
    return None


def _check_record(record, threads):
    for dtype in DTYPES:
        for sample in selftest_samples(record, dtype):
            set_num_threads(threads)
            got = _run(record, record.compiled, sample)
            set_num_threads(1)
            got_1 = _run(record, record.compiled, sample)
            with np.errstate(all="ignore"):
                want = _run(record, record.oracle, sample)
            problem = _mismatch(record, sample, dtype, got, got_1, want, threads)
            if problem is not None:
                return f"{np.dtype(dtype).name} {problem}"
    return None


def main():
    threads, setting = get_num_threads(), _setting()
    print("fastnn self-test")
    runnable = ", ".join(kernels.isas_available())
    print(f"GEMM micro-kernel: {kernels.isa_name()} (this CPU can run: {runnable}; "
          "FASTNN_GEMM_KERNEL sets the instruction set of every kernel; each is checked below)")
    print(f"threads: {'on' if threads_enabled() else 'off'}, count: {threads}")
    names = compiled_kernels()
    failed = []
    try:
        for name in names:
            try:
                problem = check_kernel(name, threads)
            except Exception as exc:  # a crash in one kernel must not hide the others
                problem = f"raised {type(exc).__name__}: {exc}"
            print(f"  {name:<28} {'OK' if problem is None else 'FAIL: ' + problem}")
            if problem is not None:
                failed.append(name)
    finally:
        _restore(setting)
    print(f"{len(names) - len(failed)} of {len(names)} kernels OK" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
