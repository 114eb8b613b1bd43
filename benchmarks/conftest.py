"""Shared benchmark fixtures: thread counts for fastnn and for NumPy's BLAS."""
import contextlib
import ctypes
import glob
import os

import numpy as np
import pytest

import fastnn


def _numpy_openblas():
    """NumPy's bundled OpenBLAS and its set/get-threads functions, or None."""
    libs = os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")
    for path in glob.glob(libs):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", "_64_", ""):
                set_fn = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                get_fn = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if set_fn is not None and get_fn is not None:
                    return set_fn, get_fn
    return None


_OPENBLAS = _numpy_openblas()


@contextlib.contextmanager
def threads(n):
    """Runs fastnn and (when its BLAS is found) numpy.matmul with n threads."""
    before = fastnn.get_num_threads()
    blas_before = _OPENBLAS[1]() if _OPENBLAS else None
    fastnn.set_num_threads(n)
    if _OPENBLAS:
        _OPENBLAS[0](n)
    try:
        yield
    finally:
        fastnn.set_num_threads(before)
        if _OPENBLAS:
            _OPENBLAS[0](blas_before)


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thr")
def num_threads(request):
    if _OPENBLAS is None:
        pytest.skip("cannot set the thread count of NumPy's BLAS")
    with threads(request.param):
        yield request.param
