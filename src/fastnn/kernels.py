"""The compiled kernels, operating on NumPy arrays with the GIL released.

The names here are those of fastnn.kernel_table's records: every kernel has one record there
and a twin of the same name and signature in fastnn.reference, the plain-NumPy oracle it is
tested against. csrc/README.md lists what a new kernel touches.
"""
import os
import warnings

from . import _C
from ._C import (
    GEMM_KERNELS,
    _force_gemm_kernel,
    _skip_zeros_gemm,
    gemm_kernel_name,
    gemm_kernels_available,
)
from .kernel_table import RECORDS

# Every kernel of the table, by its name: the table is the one list of compiled kernels.
KERNELS = {record.name: getattr(_C, record.name) for record in RECORDS}
globals().update(KERNELS)

_requested_gemm = os.environ.get("FASTNN_GEMM_KERNEL", "").strip().lower()
if _requested_gemm:
    if _requested_gemm == "avx2":
        _requested_gemm = "avx2-fma"
    if _requested_gemm in gemm_kernels_available():
        _force_gemm_kernel(_requested_gemm)
    else:
        warnings.warn(
            f"fastnn: ignoring FASTNN_GEMM_KERNEL={os.environ['FASTNN_GEMM_KERNEL']!r}: expected one of "
            f"avx512, avx2, portable; this CPU can run {', '.join(gemm_kernels_available())}; "
            f"using {gemm_kernel_name()}"
        )
if os.environ.get("FASTNN_GEMM_SKIP_ZEROS", "").strip() == "0":
    _skip_zeros_gemm(False)
