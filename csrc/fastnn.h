/* fastnn's C kernels: every entry point with a one-line contract.
 *
 * Conventions: sizes and strides are counted in elements (not bytes) and may be
 * negative; outputs are written, never read, unless a contract says otherwise.
 * No function here takes the GIL or calls into Python.
 */
#ifndef FASTNN_H
#define FASTNN_H

#include <stddef.h>

typedef ptrdiff_t fnn_int;

/* ---- threads.c ---------------------------------------------------------- */

/* 1 when built with OpenMP, else 0. */
int fastnn_openmp_enabled(void);
/* Threads the kernels may use from now on (n >= 1). */
void fastnn_set_num_threads(int n);
int fastnn_get_num_threads(void);
/* Threads worth starting for `work` units (~flops or elements): 1 when too
 * small to pay, and always 1 in a process forked after threads ran. */
int fastnn_threads_for(double work);
/* Installs the fork handler; safe to call more than once. */
void fastnn_threads_init(void);

/* ---- gemm.c ------------------------------------------------------------- */

enum fastnn_activation { FASTNN_ACT_NONE = 0, FASTNN_ACT_RELU = 1 };

/* C[i,j] := act(sum_p A[i,p] * B[p,j] + bias[j]) * (mask[i,j] > 0 ? 1 : 0)
 * A is m x k with strides (a_rs, a_cs), B is k x n with strides (b_rs, b_cs),
 * C is m x n with row stride c_rs and unit column stride. bias (length n) and
 * mask (m x n, row stride mask_rs, unit column stride) may be NULL; act is relu
 * (v < 0 ? 0 : v) or identity, and a masked-out element is 0 even if NaN. C must
 * not overlap A, B, bias or mask. Transposed operands are passed as swapped
 * strides. The summation order of each C element depends only on k, never on
 * the thread count or the element's position. Returns 0, or -1 when out of
 * memory (C is then unspecified). */
int fastnn_sgemm(fnn_int m, fnn_int n, fnn_int k,
                 const float *a, fnn_int a_rs, fnn_int a_cs,
                 const float *b, fnn_int b_rs, fnn_int b_cs,
                 float *c, fnn_int c_rs,
                 const float *bias, int activation,
                 const float *mask, fnn_int mask_rs);
int fastnn_dgemm(fnn_int m, fnn_int n, fnn_int k,
                 const double *a, fnn_int a_rs, fnn_int a_cs,
                 const double *b, fnn_int b_rs, fnn_int b_cs,
                 double *c, fnn_int c_rs,
                 const double *bias, int activation,
                 const double *mask, fnn_int mask_rs);
/* Name of the micro-kernel in use: "avx2-fma" or "portable". */
const char *fastnn_gemm_kernel_name(void);
/* force_portable != 0 selects the portable micro-kernel even where AVX2/FMA exist. */
void fastnn_gemm_force_portable(int force_portable);

/* ---- elementwise.c, softmax.c, optim.c, gather.c ------------------------- */

#endif
