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


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, None])
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


def _wait_setting_in_fresh_process(preload_libgomp=False, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in fastnn.threads.WAIT_ENV_VARS}
    full_env.update(env)
    code = ("import ctypes, os\n"
            + ("ctypes.CDLL('libgomp.so.1')\n" if preload_libgomp else "")
            + "import fastnn\n"
            "print(fastnn.threads.wait_setting, os.environ.get('GOMP_SPINCOUNT'))\n")
    result = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.mark.skipif(not fastnn.openmp_enabled() or not sys.platform.startswith("linux"), reason="libgomp on Linux")
def test_a_short_openmp_spin_is_the_default_and_leaves_the_environment_alone():
    spin = str(fastnn.threads.SPIN_COUNT)
    assert _wait_setting_in_fresh_process() == f"{{'GOMP_SPINCOUNT': '{spin}'}} None"
    assert _wait_setting_in_fresh_process(OMP_WAIT_POLICY="active") == "None None"
    assert _wait_setting_in_fresh_process(GOMP_SPINCOUNT="5") == "None 5"
    assert _wait_setting_in_fresh_process(preload_libgomp=True) == "None None"
