"""The compiled kernels, operating on NumPy arrays with the GIL released.

Every function has a twin of the same name and signature in fastnn.reference,
the plain-NumPy oracle it is tested against.
"""
import os

from ._C import _force_portable_gemm, gemm_kernel_name, matmul

if os.environ.get("FASTNN_GEMM_KERNEL", "").strip().lower() == "portable":
    _force_portable_gemm(True)
