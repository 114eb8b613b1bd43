"""The compiled kernels, operating on NumPy arrays with the GIL released.

Every function has a twin of the same name and signature in fastnn.reference,
the plain-NumPy oracle it is tested against.
"""
import os

from ._C import (
    _force_portable_gemm,
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
    exp,
    gather_rows,
    gemm_kernel_name,
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
    sgd_step,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_grad,
    subtract,
    sum_to_shape,
    tanh,
    tanh_grad,
)

if os.environ.get("FASTNN_GEMM_KERNEL", "").strip().lower() == "portable":
    _force_portable_gemm(True)
if os.environ.get("FASTNN_GEMM_SKIP_ZEROS", "").strip() == "0":
    _skip_zeros_gemm(False)
