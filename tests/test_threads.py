import os
import subprocess
import sys

import pytest

import fastnn


def test_set_and_get_num_threads():
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert fastnn.get_num_threads() == 1
        fastnn.set_num_threads(3)
        assert fastnn.get_num_threads() == (3 if fastnn.openmp_enabled() else 1)
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, None, 10**20, 2**31, fastnn.threads.MAX_THREADS + 1])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        fastnn.set_num_threads(bad)


def _threads_in_fresh_process(**env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("FASTNN_NUM_THREADS", "OMP_NUM_THREADS")}
    full_env.update(env)
    code = "import fastnn; print(fastnn.get_num_threads())"
    result = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True)
    return int(result.stdout), result.stderr


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_environment_variables_in_order_of_precedence():
    assert _threads_in_fresh_process(FASTNN_NUM_THREADS="3", OMP_NUM_THREADS="5")[0] == 3
    assert _threads_in_fresh_process(OMP_NUM_THREADS="5")[0] == 5
    assert _threads_in_fresh_process()[0] == fastnn.threads.available_cpus()


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_invalid_environment_value_warns_and_falls_back():
    n, stderr = _threads_in_fresh_process(FASTNN_NUM_THREADS="many", OMP_NUM_THREADS="4")
    assert n == 4
    assert "FASTNN_NUM_THREADS" in stderr
    n, stderr = _threads_in_fresh_process(FASTNN_NUM_THREADS=str(10**20), OMP_NUM_THREADS="3")
    assert n == 3 and "FASTNN_NUM_THREADS" in stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_import_leaves_the_environment_alone():
    """No process-wide setting at import: the environment after importing fastnn is the one before."""
    code = ("import os\n"
            "before = dict(os.environ)\n"
            "import fastnn, fastnn.kernels\n"
            "print(dict(os.environ) == before, 'GOMP_SPINCOUNT' in os.environ)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]
