"""The compiled kernels, operating on NumPy arrays with the GIL released.

Every function has a twin of the same name and signature in fastnn.reference,
the plain-NumPy oracle it is tested against.
"""
import os
import warnings

from ._C import (
    GEMM_KERNELS,
    _force_gemm_kernel,
    _skip_zeros_gemm,
    adagrad_step,
    adam_step,
    add,
    gather_rows,
    gemm_kernel_name,
    gemm_kernels_available,
    matmul,
    relu,
    relu_grad,
    rmsprop_step,
    sgd_step,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_grad,
    sum_to_shape,
)

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
