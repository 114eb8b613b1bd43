# The instruction set every kernel uses (cpu.c), and matmul's zero skipping (gemm.c).
cdef extern from "fastnn.h":
    const char *fastnn_isa_name() nogil
    int fastnn_isa_available(const char *name) nogil
    int fastnn_limit_isa(const char *name) nogil
    void fastnn_gemm_skip_zeros(int skip) nogil

ISAS = ("avx512", "avx2-fma", "portable")


def isa_name():
    """The instruction set the kernels use: 'avx512', 'avx2-fma' or 'portable'. GEMM has
    micro-kernels for each; the other kernels have AVX2/FMA variants, a few also AVX-512."""
    return fastnn_isa_name().decode()


def isas_available():
    """The instruction sets this build can run on this CPU, best first ('portable' always)."""
    return tuple(name for name in ISAS if fastnn_isa_available(name.encode()))


def _limit_isa(name):
    """Makes every kernel use at most the named instruction set (one of isas_available()), or
    the best this CPU has when name is None. Call it while no kernel runs."""
    if name is None:
        fastnn_limit_isa(NULL)
        return
    if not isinstance(name, str) or name not in ISAS:
        raise ValueError(f"unknown instruction set {name!r}; expected one of {', '.join(ISAS)} or None")
    if fastnn_limit_isa(name.encode()) != 0:
        raise ValueError(f"instruction set {name!r} cannot run here; this CPU and build can run: "
                         f"{', '.join(isas_available())}")


def _skip_zeros_gemm(skip):
    """Lets matmul drop the k steps where a block of rows of its left operand is all zero
    (True, the default) or makes it multiply every step (False)."""
    fastnn_gemm_skip_zeros(1 if skip else 0)
