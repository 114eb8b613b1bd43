cdef extern from "fastnn.h":
    const char *fastnn_gemm_kernel_name() nogil
    int fastnn_gemm_kernel_available(const char *name) nogil
    int fastnn_gemm_force_kernel(const char *name) nogil
    void fastnn_gemm_skip_zeros(int skip) nogil

GEMM_KERNELS = ("avx512", "avx2-fma", "portable")


def gemm_kernel_name():
    """The GEMM micro-kernels in use: 'avx512', 'avx2-fma' or 'portable'."""
    return fastnn_gemm_kernel_name().decode()


def gemm_kernels_available():
    """The GEMM micro-kernels this build can run on this CPU, best first ('portable' always)."""
    return tuple(name for name in GEMM_KERNELS if fastnn_gemm_kernel_available(name.encode()))


def _force_gemm_kernel(name):
    """Selects the named GEMM micro-kernels (one of gemm_kernels_available()), or the best this
    CPU has when name is None."""
    if name is None:
        fastnn_gemm_force_kernel(NULL)
        return
    if not isinstance(name, str) or name not in GEMM_KERNELS:
        raise ValueError(f"unknown GEMM kernel {name!r}; expected one of {', '.join(GEMM_KERNELS)} or None")
    if fastnn_gemm_force_kernel(name.encode()) != 0:
        raise ValueError(f"GEMM kernel {name!r} cannot run here; this CPU and build can run: "
                         f"{', '.join(gemm_kernels_available())}")


def _skip_zeros_gemm(skip):
    """Lets matmul drop the k steps where a block of rows of its left operand is all zero
    (True, the default) or makes it multiply every step (False)."""
    fastnn_gemm_skip_zeros(1 if skip else 0)
