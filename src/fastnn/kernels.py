"""The compiled kernels, operating on NumPy arrays with the GIL released.

The names here are those of fastnn.kernel_table's records: every kernel has one record there
and a twin of the same name and signature in fastnn.reference, the plain-NumPy oracle it is
tested against. csrc/README.md lists what a new kernel touches.
"""
import os
import warnings

from . import _C
from ._C import ISAS, _limit_isa, _skip_zeros_gemm, isa_name, isas_available
from .kernel_table import RECORDS

# Every kernel of the table, by its name: the table is the one list of compiled kernels.
KERNELS = {record.name: getattr(_C, record.name) for record in RECORDS}
globals().update(KERNELS)

# FASTNN_GEMM_KERNEL names the instruction set of the GEMM micro-kernels and of every
# other kernel's variants.
_requested_isa = os.environ.get("FASTNN_GEMM_KERNEL", "").strip().lower()
if _requested_isa:
    if _requested_isa == "avx2":
        _requested_isa = "avx2-fma"
    if _requested_isa in isas_available():
        _limit_isa(_requested_isa)
    else:
        warnings.warn(
            f"fastnn: ignoring FASTNN_GEMM_KERNEL={os.environ['FASTNN_GEMM_KERNEL']!r}: expected one of "
            f"avx512, avx2, portable; this CPU can run {', '.join(isas_available())}; "
            f"using {isa_name()}"
        )
if os.environ.get("FASTNN_GEMM_SKIP_ZEROS", "").strip() == "0":
    _skip_zeros_gemm(False)
