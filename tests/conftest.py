import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir():
    """Folder holding the four MNIST IDX files: $FASTNN_TEST_MNIST_DIR, else ../shared/datasets/mnist."""
    folder = os.environ.get("FASTNN_TEST_MNIST_DIR") or REPO_ROOT.parent / "shared" / "datasets" / "mnist"
    folder = Path(folder)
    if not folder.is_dir():
        pytest.skip(f"MNIST files not found in {folder} (set FASTNN_TEST_MNIST_DIR)")
    return folder
