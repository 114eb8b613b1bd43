import os
from pathlib import Path

import pytest

import fastnn
from fastnn import kernels
from fastnn.kernel_table.isa import on_isa

REPO_ROOT = Path(__file__).resolve().parents[1]
ISAS = [
    pytest.param(name, marks=pytest.mark.skipif(name not in kernels.isas_available(),
                                                reason=f"this CPU or build cannot run {name}"))
    for name in kernels.ISAS
]


@pytest.fixture(scope="session")
def mnist_dir():
    """Folder holding the four MNIST IDX files, looked up as the docs tell users to point at them.

    $FASTNN_TEST_MNIST_DIR, then the folders mnist.load_data() searches
    ($FASTNN_DATASETS/mnist, $FASTNN_DATASETS, ~/.fastnn/datasets/mnist,
    /usr/share/datasets/mnist), then ../shared/datasets/mnist beside the checkout.
    """
    from fastnn.datasets import idx_dataset, locations

    candidates = []
    if os.environ.get("FASTNN_TEST_MNIST_DIR"):
        candidates.append(Path(os.environ["FASTNN_TEST_MNIST_DIR"]))
    candidates += locations.search_dirs("mnist")
    candidates.append(REPO_ROOT.parent / "shared" / "datasets" / "mnist")
    for folder in candidates:
        if not idx_dataset.locate_files(folder)[1]:
            return folder
    searched = ", ".join(str(folder) for folder in candidates)
    pytest.skip(f"MNIST files not found in {searched} (set FASTNN_DATASETS to the folder holding mnist/)")


@pytest.fixture(params=ISAS)
def isa(request):
    """Runs the test with every kernel limited to each instruction set this CPU can run
    (AVX-512, AVX2/FMA, portable)."""
    with on_isa(request.param):
        assert kernels.isa_name() == request.param
        yield request.param


@pytest.fixture
def threads():
    """fastnn.set_num_threads, with the thread count restored after the test."""
    before = fastnn.get_num_threads()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(before)


@pytest.fixture
def keras_results(tmp_path):
    """keras_results(cases, inputs) -> [(weights, outputs)] per case from Keras in a child process
    (tests/keras_runner.py); the test is skipped when Keras is not installed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("keras_runner", Path(__file__).parent / "keras_runner.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return lambda cases, inputs: runner.keras_results(cases, inputs, tmp_path)
