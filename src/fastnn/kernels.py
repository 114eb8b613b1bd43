"""The compiled kernels, operating on NumPy arrays with the GIL released.

Every function has a twin of the same name and signature in fastnn.reference,
the plain-NumPy oracle it is tested against, and one record in fastnn.kernel_table
(tests/test_kernels.py checks both). csrc/README.md lists what a new kernel touches.
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
    avg_pool2d,
    avg_pool2d_grad,
    clip,
    clip_grad,
    conv2d,
    conv2d_input_grad,
    conv2d_kernel_grad,
    copy,
    divide,
    dropout,
    elu,
    elu_grad,
    exp,
    gather_rows,
    gelu,
    gelu_approximate,
    gelu_approximate_grad,
    gelu_grad,
    gemm_kernel_name,
    gemm_kernels_available,
    hard_sigmoid,
    hard_sigmoid_grad,
    leaky_relu,
    leaky_relu_grad,
    log,
    matmul,
    max_pool2d,
    max_pool2d_grad,
    multiply,
    nadam_step,
    power,
    power_grad,
    relu,
    relu_grad,
    rmsprop_step,
    selu,
    selu_grad,
    sgd_step,
    sigmoid,
    sigmoid_grad,
    silu,
    silu_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_grad,
    softplus,
    softplus_grad,
    softsign,
    softsign_grad,
    subtract,
    sum_to_shape,
    tanh,
    tanh_grad,
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
