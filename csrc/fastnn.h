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
/* Name of the micro-kernels in use: "avx512", "avx2-fma" or "portable". */
const char *fastnn_gemm_kernel_name(void);
/* 1 when this build and this CPU can run the named micro-kernels, else 0. */
int fastnn_gemm_kernel_available(const char *name);
/* Selects the named micro-kernels (NULL or "": the best this CPU has, the default); returns 0,
 * or -1 when the name is unknown or not available here (the selection is then unchanged). */
int fastnn_gemm_force_kernel(const char *name);
/* skip != 0 (the default) lets the GEMM drop k steps where a panel of A is all zero, against
 * finite panels of B: the same results, up to the sign of a zero, in less time. */
void fastnn_gemm_skip_zeros(int skip);

/* ---- elementwise.c, softmax.c, optim.c, gather.c ------------------------- */

/* Arrays of up to this many axes (NumPy's own limit). */
#define FASTNN_MAX_DIMS 64

/* ---- parallel.c: fn(ctx, first, end) over [0, nblocks) in contiguous ranges, one per thread. */
typedef void (*fastnn_block_fn)(void *ctx, fnn_int first, fnn_int end);
void fastnn_parallel_blocks(fnn_int nblocks, int nthreads, fastnn_block_fn fn, void *ctx);

/* Each entry has a float (_f32) and a double (_f64) twin with the same contract.
 * Shapes have ndim axes; strides are per axis, 0 for a broadcast axis. */
/* out := a + b over `shape`; out may be a or b exactly, never partly overlap them. */
void fastnn_add_f32(int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides);
void fastnn_add_f64(int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides);
/* out (C-contiguous over the kept axes) := x summed over the axes with reduce[d] != 0, in row-major order, accumulated in double. */
void fastnn_sum_to_shape_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, const unsigned char *reduce, float *out);
void fastnn_sum_to_shape_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, const unsigned char *reduce, double *out);
/* out := x < 0 ? 0 : x (NaN stays NaN); out may be x. */
void fastnn_relu_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides);
void fastnn_relu_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides);
/* out := y > 0 ? dy : 0; out may be dy or y. */
void fastnn_relu_grad_f32(int ndim, const fnn_int *shape, const float *dy, const fnn_int *dy_strides, const float *y, const fnn_int *y_strides, float *out, const fnn_int *out_strides);
void fastnn_relu_grad_f64(int ndim, const fnn_int *shape, const double *dy, const fnn_int *dy_strides, const double *y, const fnn_int *y_strides, double *out, const fnn_int *out_strides);

/* Row kernels: `rows` rows of k unit-stride elements, rows `*_rs` elements apart. */
/* out := exp(x - rowmax) / rowsum(exp(x - rowmax)); out may be x. */
void fastnn_softmax_f32(fnn_int rows, fnn_int k, const float *x, fnn_int x_rs, float *out, fnn_int out_rs);
void fastnn_softmax_f64(fnn_int rows, fnn_int k, const double *x, fnn_int x_rs, double *out, fnn_int out_rs);
/* out := y * (dy - rowsum(dy * y)). */
void fastnn_softmax_grad_f32(fnn_int rows, fnn_int k, const float *dy, fnn_int dy_rs, const float *y, fnn_int y_rs, float *out, fnn_int out_rs);
void fastnn_softmax_grad_f64(fnn_int rows, fnn_int k, const double *dy, fnn_int dy_rs, const double *y, fnn_int y_rs, double *out, fnn_int out_rs);
/* probs (contiguous) := softmax(logits); loss[i] := -sum_j t[i,j] log probs[i,j], t = target rows, or one-hot of classes[i] when target is NULL. */
void fastnn_softmax_xent_f32(fnn_int rows, fnn_int k, const float *logits, fnn_int logits_rs, const float *target, fnn_int target_rs, const fnn_int *classes, float *loss, float *probs);
void fastnn_softmax_xent_f64(fnn_int rows, fnn_int k, const double *logits, fnn_int logits_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double *loss, double *probs);
/* out (contiguous) := scale * (probs * rowsum(t) - t), t as in fastnn_softmax_xent. */
void fastnn_softmax_xent_grad_f32(fnn_int rows, fnn_int k, const float *probs, fnn_int probs_rs, const float *target, fnn_int target_rs, const fnn_int *classes, double scale, float *out);
void fastnn_softmax_xent_grad_f64(fnn_int rows, fnn_int k, const double *probs, fnn_int probs_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double scale, double *out);

/* Optimizer steps on n contiguous elements, in place; formulas as in fastnn.reference. */
/* velocity NULL: param -= lr * grad; else Keras's (Nesterov) momentum update. */
void fastnn_sgd_step_f32(fnn_int n, float *param, const float *grad, float *velocity, double lr, double momentum, int nesterov);
void fastnn_sgd_step_f64(fnn_int n, double *param, const double *grad, double *velocity, double lr, double momentum, int nesterov);
/* momentum_buffer NULL: no momentum. */
void fastnn_rmsprop_step_f32(fnn_int n, float *param, const float *grad, float *mean_square, float *momentum_buffer, double lr, double rho, double momentum, double epsilon);
void fastnn_rmsprop_step_f64(fnn_int n, double *param, const double *grad, double *mean_square, double *momentum_buffer, double lr, double rho, double momentum, double epsilon);
void fastnn_adagrad_step_f32(fnn_int n, float *param, const float *grad, float *accumulator, double lr, double epsilon);
void fastnn_adagrad_step_f64(fnn_int n, double *param, const double *grad, double *accumulator, double lr, double epsilon);
/* alpha = lr * sqrt(1 - beta_2^step) / (1 - beta_1^step), computed by the caller. */
void fastnn_adam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, double alpha, double beta_1, double beta_2, double epsilon);
void fastnn_adam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double alpha, double beta_1, double beta_2, double epsilon);

/* out[i, :] := (converted) x row idx[i], rows of `row` unit-stride elements x_rs apart; idx in [0, n). */
void fastnn_gather_rows_u8_f32(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_u8_f64(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);
void fastnn_gather_rows_f32_f32(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_f32_f64(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);
void fastnn_gather_rows_f64_f32(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_f64_f64(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);

#endif
