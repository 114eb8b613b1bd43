"""The default build runs on any x86-64 and changes no floating-point behaviour of the process:
no -march or fast-math flag, vector instructions only in the functions compiled for AVX2 or
AVX-512 (chosen at run time), and the process's floating-point mode left as it was."""
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import fastnn._C
from fastnn import kernels
from fastnn.kernel_table.isa import on_isa

SETUP_PY = Path(__file__).resolve().parents[1] / "setup.py"
# Flags that tie the build to one CPU or let the compiler change floating-point results.
FORBIDDEN_FLAGS = ["-march", "-mtune=native", "-mavx", "-mfma", "-ffast-math", "-Ofast", "-funsafe-math-optimizations",
                   "-ffinite-math-only", "-fassociative-math", "-freciprocal-math", "-mdaz-ftz"]
# A VEX or EVEX encoded instruction: an AVX mnemonic (v...) on xmm, ymm or zmm registers.
VECTOR_EXTENSION = re.compile(r"\tv[a-z0-9]+\s.*%[xyz]mm\d")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.+)>:$")


def test_setup_py_adds_no_cpu_specific_or_fast_math_flag():
    text = SETUP_PY.read_text()
    assert [flag for flag in FORBIDDEN_FLAGS if flag in text] == []


def test_vector_extensions_only_in_functions_compiled_for_them():
    """Functions compiled with an AVX2 or AVX-512 target attribute carry avx2/avx512 in their
    names; any other function must run on a baseline x86-64."""
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump (binutils) is not installed")
    image = Path(fastnn._C.__file__)
    if b"__asan" in image.read_bytes():
        pytest.skip("a sanitizer build is not the default build")
    listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(image)], capture_output=True, text=True,
                             check=True).stdout
    offenders, function = set(), None
    for line in listing.splitlines():
        start = FUNCTION.match(line)
        if start:
            function = start.group(1)
        elif VECTOR_EXTENSION.search(line) and not re.search(r"avx2|avx512", function or ""):
            offenders.add(function)
    assert sorted(offenders) == []


def test_kernels_leave_denormals_and_rounding_as_they_were():
    """No kernel sets flush-to-zero, denormals-are-zero or a rounding mode for the process."""
    tiny = np.float32(1e-39)  # a float32 denormal
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64)).astype(np.float32)
    for isa in kernels.isas_available():
        with on_isa(isa):
            kernels.matmul(x, x)
            kernels.tanh(x)
            kernels.softmax(x)
        assert tiny * np.float32(1.0) == tiny and tiny / np.float32(2.0) > 0
        assert np.float32(1.0) + np.float32(2.0 ** -24) == np.float32(1.0)  # round to nearest even
        assert np.float32(1.0) + np.float32(3 * 2.0 ** -25) > np.float32(1.0)
