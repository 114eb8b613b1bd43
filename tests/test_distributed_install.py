"""fastnn.distribution without MPI: importing fastnn never loads mpi4py, and asking for
DataParallel without it says how to install it."""
import subprocess
import sys

import pytest

from fastnn import distribution
from fastnn.distribution import communicator


def test_importing_fastnn_does_not_load_mpi():
    code = "import sys, fastnn, fastnn.distribution; print('mpi4py' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_data_parallel_without_mpi4py_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `from mpi4py import MPI` fail
    with pytest.raises(ImportError, match=r'pip install "fastnn\[mpi\]"'):
        distribution.DataParallel()
    assert communicator.INSTALL_HINT.startswith("pip install")


def test_without_a_distribution_this_process_is_the_only_one():
    assert distribution.distribution() is None
    assert (distribution.process_id(), distribution.num_processes(), distribution.is_chief()) == (0, 1, True)
    with pytest.raises(ValueError, match="DataParallel or None"):
        distribution.set_distribution("data_parallel")
