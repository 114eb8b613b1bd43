/* The one CPU probe: which instruction sets this process may use. Every run-time
 * dispatch (GEMM micro-kernels, element-wise, convolution, pooling and optimizer
 * kernels) reads it, so limiting it moves every kernel to the same instruction set. */
#ifndef FASTNN_CPU_H
#define FASTNN_CPU_H

typedef struct {
    int avx2_fma; /* AVX2 and FMA */
    int avx512;   /* AVX-512 F, BW, DQ and VL (and AVX2/FMA) */
} fnn_cpu_features;

/* What the kernels may use: this CPU's features (probed once) within the limit set by
 * fastnn_limit_isa; all zero off x86 or without GCC/Clang. */
const fnn_cpu_features *fnn_cpu(void);

#endif
