import os
import subprocess
import sys

import pytest

import fastnn
from fastnn import selftest
from fastnn.kernel_table import RECORDS_BY_NAME


def test_selftest_passes_in_a_subprocess():
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(fastnn.__file__))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-m", "fastnn.selftest"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "threads: " in result.stdout and "GEMM micro-kernel: " in result.stdout
    for name in selftest.compiled_kernels():
        assert f"{name}" in result.stdout
    assert "FAIL" not in result.stdout


def test_selftest_covers_every_compiled_kernel():
    names = selftest.compiled_kernels()
    assert {"add", "softmax", "adam_step", "gather_rows"} <= set(names)
    assert set(names) == set(RECORDS_BY_NAME)


def test_selftest_reports_a_wrong_kernel(monkeypatch):
    monkeypatch.setattr(fastnn.kernels, "relu", lambda x, out=None: fastnn.reference.relu(x) + 1e-3)
    assert selftest.check_kernel("relu", fastnn.get_num_threads()) is not None
    assert selftest.main() == 1


def test_the_built_extension_carries_no_debug_information():
    import fastnn._C

    with open(fastnn._C.__file__, "rb") as f:
        image = f.read()
    if b"__asan" in image:
        pytest.skip("a sanitizer build keeps its debug information")
    assert b".debug_info" not in image


def test_selftest_names_the_instruction_set_a_kernel_fails_on(monkeypatch):
    def wrong_on_portable(x, out=None):
        result = fastnn.reference.relu(x, out)
        return result + 1e-3 if fastnn.kernels.isa_name() == "portable" else result

    monkeypatch.setattr(fastnn.kernels, "relu", wrong_on_portable)
    problem = selftest.check_kernel("relu", fastnn.get_num_threads())
    assert problem is not None and problem.startswith("portable: ")
