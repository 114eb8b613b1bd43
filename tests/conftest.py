import os
from pathlib import Path

import pytest

import fastnn
from fastnn import kernels

REPO_ROOT = Path(__file__).resolve().parents[1]
HAS_AVX2 = kernels.gemm_kernel_name() == "avx2-fma"
GEMM_KERNELS = ["portable", pytest.param("avx2-fma", marks=pytest.mark.skipif(not HAS_AVX2, reason="no AVX2/FMA"))]


@pytest.fixture(scope="session")
def mnist_dir():
    """Folder holding the four MNIST IDX files: $FASTNN_TEST_MNIST_DIR, else ../shared/datasets/mnist."""
    folder = os.environ.get("FASTNN_TEST_MNIST_DIR") or REPO_ROOT.parent / "shared" / "datasets" / "mnist"
    folder = Path(folder)
    if not folder.is_dir():
        pytest.skip(f"MNIST files not found in {folder} (set FASTNN_TEST_MNIST_DIR)")
    return folder


@pytest.fixture(params=GEMM_KERNELS)
def kernel(request):
    """Runs the test with each GEMM micro-kernel this CPU has, the portable one included."""
    kernels._force_portable_gemm(request.param == "portable")
    assert kernels.gemm_kernel_name() == request.param
    yield request.param
    kernels._force_portable_gemm(False)


@pytest.fixture
def threads():
    """fastnn.set_num_threads, with the thread count restored after the test."""
    before = fastnn.get_num_threads()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(before)
