"""The instruction set the kernels use: the automatic choice, FASTNN_GEMM_KERNEL and _limit_isa.

Every kernel test that takes the `isa` fixture (tests/conftest.py) runs on each instruction
set this CPU can run."""
import os
import subprocess
import sys

import pytest

from fastnn import kernels


def _isa_in_fresh_process(value):
    env = dict(os.environ, FASTNN_GEMM_KERNEL=value)
    code = "import fastnn.kernels as k; print(k.isa_name())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip(), result.stderr


@pytest.mark.parametrize("value", ["avx512", "avx2", "portable", " Portable "])
def test_environment_variable_selects_an_isa(value):
    wanted = {"avx2": "avx2-fma"}.get(value.strip().lower(), value.strip().lower())
    name, stderr = _isa_in_fresh_process(value)
    if wanted in kernels.isas_available():
        assert name == wanted and stderr == ""
    else:
        assert name == kernels.isas_available()[0] and "FASTNN_GEMM_KERNEL" in stderr


def test_unknown_kernel_in_environment_warns_and_keeps_the_automatic_choice():
    name, stderr = _isa_in_fresh_process("sse9")
    assert name == kernels.isas_available()[0]
    assert "FASTNN_GEMM_KERNEL='sse9'" in stderr and "avx512, avx2, portable" in stderr
    assert "this CPU can run " + ", ".join(kernels.isas_available()) in stderr


def test_limit_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown instruction set 'sse9'"):
        kernels._limit_isa("sse9")
    assert kernels.isa_name() == kernels.isas_available()[0]


def test_every_isa_gives_its_own_name_and_the_portable_one_is_always_there():
    available = kernels.isas_available()
    assert available[-1] == "portable" and set(available) <= set(kernels.ISAS)
    try:
        for name in available:
            kernels._limit_isa(name)
            assert kernels.isa_name() == name
    finally:
        kernels._limit_isa(None)
