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

/* ---- threads.c: how many threads a call uses ---------------------------- */

/* 1: the kernels can run on several threads (fastnn's own, parallel.c). */
int fastnn_threads_enabled(void);
/* The user's count: every call worth n threads uses exactly n, whatever the machine's load. */
void fastnn_set_num_threads(int n);
/* The automatic count (the default): at most `limit` (the CPUs this process may use) and the
 * affinity mask (read again as it goes), fewer while the threads do not pay (the machine's other
 * work keeps them from running). */
void fastnn_set_automatic_threads(int limit);
/* 1 when the count is automatic. */
int fastnn_threads_automatic(void);
/* The user's count, or the automatic count's most. */
int fastnn_get_num_threads(void);
/* The threads a call worth many would use now (the automatic count after the load check). */
int fastnn_threads_in_use(void);
/* Threads worth starting for `work` units (~flops or elements): 1 when too small to pay,
 * inside a parallel loop, and always in a process forked after threads ran. */
int fastnn_threads_for(double work);
/* How long an idle thread spins before it sleeps, in ns (shorter on an oversubscribed machine). */
long long fastnn_threads_spin_ns(void);
/* Sets those spins, on a quiet machine and on an oversubscribed one (< 0: the default). */
void fastnn_threads_set_spin_ns(long long quiet, long long busy);
/* A multi-threaded loop's workers saved this much time (negative: they cost it), for the
 * automatic count. */
void fastnn_threads_report(long long saved_ns);
/* Installs the fork handler; safe to call more than once. */
void fastnn_threads_init(void);
/* Caps the threads fastnn_threads_for grants to kernels called from the calling thread (n >= 1),
 * or lifts the cap (n = 0, the default): a data-loading thread runs its kernels on itself alone. */
void fastnn_cap_this_thread(int n);

/* ---- parallel.c: loops on fastnn's worker threads ------------------------- */

/* fn(ctx, first, end, slot) runs units [first, end); slot in [0, nthreads) names the thread (for
 * per-thread buffers). */
typedef void (*fastnn_range_fn)(void *ctx, fnn_int first, fnn_int end, int slot);
/* Runs fn over the units [0, units) on up to nthreads threads, the caller one of them: every
 * unit once, in ranges of consecutive units taken by whichever thread is free; returns when all
 * have run. A unit's result must not depend on the range it is run in. */
void fastnn_parallel_for(fnn_int units, int nthreads, fastnn_range_fn fn, void *ctx);
/* 1 on a thread running units of a loop (a kernel called there gets one thread). */
int fastnn_in_parallel(void);
/* fastnn's workers that are not asleep (spinning or working). */
int fastnn_threads_awake(void);

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
/* The instruction set the kernels use: "avx512", "avx2-fma" or "portable". GEMM has a
 * micro-kernel for each; the other kernels have AVX2/FMA (a few also AVX-512) variants. */
const char *fastnn_isa_name(void);
/* 1 when this build and this CPU can run the named instruction set, else 0. */
int fastnn_isa_available(const char *name);
/* Makes every kernel use at most the named instruction set (NULL or "": the best this CPU
 * has, the default); returns 0, or -1 when the name is unknown or not available here (the
 * limit is then unchanged). Not to be called while kernels run on other threads. */
int fastnn_limit_isa(const char *name);
/* skip != 0 (the default) lets the GEMM drop k steps where a panel of A is all zero, against
 * finite panels of B: the same results, up to the sign of a zero, in less time. */
void fastnn_gemm_skip_zeros(int skip);

/* ---- elementwise.c, softmax.c, optim.c, gather.c ------------------------- */

/* Arrays of up to this many axes (NumPy's own limit). */
#define FASTNN_MAX_DIMS 64

/* ---- workspace.c: scratch memory kept per calling thread ---------------- */
/* `bytes` aligned to `align` (a power of two, a multiple of sizeof(void *)), or NULL when out of
 * memory; give it back with fastnn_workspace_give on the same thread. The calling thread's
 * buffer is reused from call to call (one at a time); other requests get a buffer of their own. */
void *fastnn_workspace_take(size_t bytes, size_t align);
void fastnn_workspace_give(void *p);

/* fn(ctx, first, end) over [0, nblocks) as fastnn_parallel_for's units: independent blocks. */
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

/* One-operand maps, out := f(x; k[0], k[1]); out may be x. */
enum fastnn_map1 {
    FASTNN_MAP_COPY,             /* x */
    FASTNN_MAP_SCALE,            /* x * k0 */
    FASTNN_MAP_TANH,             /* tanh(x) */
    FASTNN_MAP_SIGMOID,          /* 1 / (1 + exp(-x)), never overflowing */
    FASTNN_MAP_EXP,              /* exp(x) */
    FASTNN_MAP_LOG,              /* log(x) */
    FASTNN_MAP_SQUARE,           /* x * x */
    FASTNN_MAP_POW,              /* pow(x, k0) */
    FASTNN_MAP_CLIP,             /* x below k0 -> k0, above k1 -> k1 (NaN stays NaN) */
    FASTNN_MAP_ELU,              /* k1 * (x >= 0 ? x : k0 * (exp(x) - 1)): ELU (k1 = 1), SELU */
    FASTNN_MAP_LEAKY_RELU,       /* x >= 0 ? x : k0 * x */
    FASTNN_MAP_SOFTPLUS,         /* log(1 + exp(x)), never overflowing */
    FASTNN_MAP_SOFTSIGN,         /* x / (1 + |x|) */
    FASTNN_MAP_GELU,             /* 0.5 x (1 + erf(x / sqrt(2))) */
    FASTNN_MAP_GELU_APPROXIMATE, /* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
    FASTNN_MAP_SILU,             /* x / (1 + exp(-x)) */
    FASTNN_MAP_HARD_SIGMOID,     /* min(max(x + 3, 0), 6) / 6 */
    FASTNN_MAP_NOT_EQUAL,        /* x != k0 ? 1 : 0 (NaN is unequal to everything) */
    FASTNN_MAP_FILL,             /* k0, whatever x holds */
    FASTNN_MAP1_COUNT
};
/* Two-operand maps, out := f(a, b; k[0], k[1]); out may be a or b exactly. */
enum fastnn_map2 {
    FASTNN_MAP_MUL,                   /* a * b */
    FASTNN_MAP_DIV,                   /* a / b */
    FASTNN_MAP_SUB,                   /* a - b */
    FASTNN_MAP_TANH_GRAD,             /* a * (1 - b * b): dy = a, y = tanh(x) = b */
    FASTNN_MAP_SIGMOID_GRAD,          /* a * (b * (1 - b)): dy = a, y = sigmoid(x) = b */
    FASTNN_MAP_POW_GRAD,              /* a * (k0 * pow(b, k0 - 1)): dy = a, x = b */
    FASTNN_MAP_CLIP_GRAD,             /* k0 <= b <= k1 ? a : 0: dy = a, x = b */
    /* The activations' gradients, dy = a times the derivative at x = b (k0, k1 as above). */
    FASTNN_MAP_ELU_GRAD,              /* a * k1 * (b >= 0 ? 1 : k0 * exp(b)) */
    FASTNN_MAP_LEAKY_RELU_GRAD,       /* b >= 0 ? a : k0 * a */
    FASTNN_MAP_SOFTPLUS_GRAD,         /* a * sigmoid(b) */
    FASTNN_MAP_SOFTSIGN_GRAD,         /* a / (1 + |b|)^2 */
    FASTNN_MAP_GELU_GRAD,             /* a * (Phi(b) + b phi(b)), Phi, phi: the normal cdf, pdf */
    FASTNN_MAP_GELU_APPROXIMATE_GRAD, /* a times the derivative of the tanh form */
    FASTNN_MAP_SILU_GRAD,             /* a * s (1 + b (1 - s)), s = sigmoid(b) */
    FASTNN_MAP_HARD_SIGMOID_GRAD,     /* 0 < b + 3 < 6 ? a / 6 : 0 */
    /* The merge layers' element-wise maximum and minimum (NaN wins; at a tie b, as NumPy), and
       the mask of their gradients. */
    FASTNN_MAP_MAXIMUM,               /* (a > b || a != a) ? a : b */
    FASTNN_MAP_MINIMUM,               /* (a < b || a != a) ? a : b */
    FASTNN_MAP_GREATER_EQUAL,         /* a >= b ? 1 : 0 */
    FASTNN_MAP2_COUNT
};
/* k points at two scalars; shapes and strides as for fastnn_add. */
void fastnn_map1_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides);
void fastnn_map1_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides);
void fastnn_map2_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides);
void fastnn_map2_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides);

/* ---- dropout.c ---------------------------------------------------------- */
/* n contiguous elements: mask[i] := 1 / (1 - rate) when element i is kept, else 0, and
 * out[i] := x[i] * mask[i]. Element i is kept with probability 1 - rate by a counter-based
 * hash of (state[0] = seed, state[1] = counter, i), so the mask never depends on the thread
 * count; state[1] is incremented afterwards. 0 <= rate < 1; out may be x. */
void fastnn_dropout_f32(fnn_int n, const float *x, float *out, float *mask, double rate, unsigned long long *state);
void fastnn_dropout_f64(fnn_int n, const double *x, double *out, double *mask, double rate, unsigned long long *state);
/* n contiguous elements: out[i] := mean + stddev * z_i, z_i a standard normal sample (Box-Muller
 * in double on two 32-bit draws of the same hash as dropout's, at 2i and 2i + 1); state[1] is
 * incremented afterwards. */
void fastnn_random_normal_f32(fnn_int n, float *out, double mean, double stddev, unsigned long long *state);
void fastnn_random_normal_f64(fnn_int n, double *out, double mean, double stddev, unsigned long long *state);

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

/* Optimizer steps on n contiguous elements, in place; formulas as in fastnn.reference.
 * Each first clips the gradient and decays the parameter as opt says; each returns 0, or -1
 * when it could not allocate its work plan (nothing is then updated). */
typedef struct {
    double clipvalue;       /* gradient limited to [-clipvalue, clipvalue]; INFINITY: no limit */
    double clipnorm;        /* > 0: each segment's gradient scaled to an L2 norm <= clipnorm */
    double global_clipnorm; /* > 0: the whole gradient scaled to an L2 norm <= global_clipnorm */
    double decay;           /* param -= param * decay before the update (lr * weight_decay) */
    fnn_int n_segments;     /* 0: one segment; else segment s ends at segment_ends[s], the last at n */
    const fnn_int *segment_ends;
} fnn_step_options;
/* velocity NULL: param -= lr * grad; else Keras's (Nesterov) momentum update. */
int fastnn_sgd_step_f32(fnn_int n, float *param, const float *grad, float *velocity, double lr, double momentum, int nesterov, const fnn_step_options *opt);
int fastnn_sgd_step_f64(fnn_int n, double *param, const double *grad, double *velocity, double lr, double momentum, int nesterov, const fnn_step_options *opt);
/* momentum_buffer NULL: no momentum; average_grad NULL: not centered. */
int fastnn_rmsprop_step_f32(fnn_int n, float *param, const float *grad, float *mean_square, float *momentum_buffer, float *average_grad, double lr, double rho, double momentum, double epsilon, const fnn_step_options *opt);
int fastnn_rmsprop_step_f64(fnn_int n, double *param, const double *grad, double *mean_square, double *momentum_buffer, double *average_grad, double lr, double rho, double momentum, double epsilon, const fnn_step_options *opt);
int fastnn_adagrad_step_f32(fnn_int n, float *param, const float *grad, float *accumulator, double lr, double epsilon, const fnn_step_options *opt);
int fastnn_adagrad_step_f64(fnn_int n, double *param, const double *grad, double *accumulator, double lr, double epsilon, const fnn_step_options *opt);
/* alpha = lr * sqrt(1 - beta_2^step) / (1 - beta_1^step), computed by the caller; v_max NULL: no amsgrad. */
int fastnn_adam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, float *v_max, double alpha, double beta_1, double beta_2, double epsilon, const fnn_step_options *opt);
int fastnn_adam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double *v_max, double alpha, double beta_1, double beta_2, double epsilon, const fnn_step_options *opt);
/* coefficients: beta_1, beta_2, u_(t+1), 1 - u_product_(t+1), 1 - u_t, 1 - u_product_t, 1 - beta_2^t. */
int fastnn_nadam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, double lr, const double coefficients[7], double epsilon, const fnn_step_options *opt);
int fastnn_nadam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double lr, const double coefficients[7], double epsilon, const fnn_step_options *opt);

/* out[i, :] := (converted) x row idx[i], rows of `row` unit-stride elements x_rs apart; idx in [0, n). */
void fastnn_gather_rows_u8_f32(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_u8_f64(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);
void fastnn_gather_rows_f32_f32(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_f32_f64(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);
void fastnn_gather_rows_f64_f32(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs);
void fastnn_gather_rows_f64_f64(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs);

/* ---- rows.c: rows of a table picked by index (an embedding) ---------------- */
/* The element types of an index array. */
enum { FASTNN_INDEX_F32, FASTNN_INDEX_F64, FASTNN_INDEX_I32, FASTNN_INDEX_I64 };
/* What a kernel returns when an index is not an integer in [0, rows): bad[0] := its position
 * (the first in order), bad[1] := its value, and the output is left unwritten. */
#define FASTNN_BAD_INDEX 1
/* out[p, :] := table[indices[p], :] for p < count; tables and outputs have rows of `dim` unit-stride
 * elements, *_rs apart; indices are count contiguous values of index_type. Returns 0,
 * FASTNN_BAD_INDEX or -1 when out of memory. */
int fastnn_take_rows_f32(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const float *table, fnn_int table_rs, float *out, fnn_int out_rs, double *bad);
int fastnn_take_rows_f64(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const double *table, fnn_int table_rs, double *out, fnn_int out_rs, double *bad);
/* out (rows, dim) := 0, then out[indices[p], :] += grad[p, :] for p = 0, 1, ..., count - 1 in that
 * order (each thread owns a range of out's rows). Returns as fastnn_take_rows. */
int fastnn_scatter_add_rows_f32(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const float *grad, fnn_int grad_rs, float *out, fnn_int out_rs, double *bad);
int fastnn_scatter_add_rows_f64(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const double *grad, fnn_int grad_rs, double *out, fnn_int out_rs, double *bad);

/* ---- recurrent.c: one time step of a recurrent cell ------------------------ */
enum { FASTNN_CELL_SIMPLE, FASTNN_CELL_LSTM, FASTNN_CELL_GRU };
/* The activations a cell step takes: those whose derivative follows from their output. */
enum { FASTNN_RNN_LINEAR, FASTNN_RNN_RELU, FASTNN_RNN_TANH, FASTNN_RNN_SIGMOID, FASTNN_RNN_HARD_SIGMOID };
/* One step over n rows of u units: xz (n, k u) and hz (n, k u) are the input and recurrent
 * products (k = 1, 4, 3 gates, Keras's order); prev and out are records, SimpleRNN [h], LSTM
 * [i f g o c h], GRU [z r hh hn h] (k' = 1, 6, 5 blocks of u), out the step's. A row with
 * mask[i * mask_stride] == 0 (mask may be NULL) keeps prev's state and gets zero gates.
 * SimpleRNN h := act(xz + hz); LSTM c := f c_prev + i g, h := o act(c); GRU hh := act(xz_h + r hn),
 * h := z h_prev + (1 - z) hh, hn = hz_h. All row strides are in elements; rows are unit-stride. */
void fastnn_rnn_cell_f32(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const float *xz, fnn_int xz_rs, const float *hz, fnn_int hz_rs, const float *prev, fnn_int prev_rs, const float *mask, fnn_int mask_stride, float *out, fnn_int out_rs);
void fastnn_rnn_cell_f64(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const double *xz, fnn_int xz_rs, const double *hz, fnn_int hz_rs, const double *prev, fnn_int prev_rs, const double *mask, fnn_int mask_stride, double *out, fnn_int out_rs);
/* The step's backward: Dh := carry + dh + dy (dh, dy may be NULL) is the gradient of the step's h;
 * dxz := the gradient of the step's pre-activations (n, k u), dhz (GRU only, else NULL) that of hz
 * where it differs from xz's (the h block: times r). carry (n, u; LSTM n, 2u: [dh | dc]) is updated
 * in place to the gradient that reaches the previous state other than through hz (LSTM: its c
 * too). A skipped row gets dxz = 0 and carries Dh (and dc) through. */
void fastnn_rnn_cell_grad_f32(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const float *record, fnn_int record_rs, const float *prev, fnn_int prev_rs, const float *dh, fnn_int dh_rs, const float *dy, fnn_int dy_rs, float *carry, fnn_int carry_rs, const float *mask, fnn_int mask_stride, float *dxz, fnn_int dxz_rs, float *dhz, fnn_int dhz_rs);
void fastnn_rnn_cell_grad_f64(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const double *record, fnn_int record_rs, const double *prev, fnn_int prev_rs, const double *dh, fnn_int dh_rs, const double *dy, fnn_int dy_rs, double *carry, fnn_int carry_rs, const double *mask, fnn_int mask_stride, double *dxz, fnn_int dxz_rs, double *dhz, fnn_int dhz_rs);
/* ---- image.c: affine warps of channels-last image batches (augmentation) ---- */

/* Boundary modes of the warp, as scipy.ndimage names them. */
enum { FASTNN_FILL_NEAREST = 0, FASTNN_FILL_CONSTANT = 1, FASTNN_FILL_REFLECT = 2, FASTNN_FILL_WRAP = 3 };
/* out[b,i,j,ch] := x[b,:,:,ch] interpolated (order 0: nearest, 1: bilinear) at input coordinate
 * (row, col) = M_b . (i', j', 1), M_b = matrices[6b .. 6b+5] (a row-major 2x3 matrix), where
 * (i', j') = (flips[b] & 2 ? h-1-i : i, flips[b] & 1 ? w-1-j : j) (flips may be NULL: no flips),
 * exactly as scipy.ndimage.affine_transform(x[b,:,:,ch], M_b[:, :2], M_b[:, 2], order, mode, cval)
 * followed by the flips. x has element strides x_strides[4] (image, row, column, channel); out is
 * C-contiguous (n, h, w, c) and does not overlap x; matrix entries are finite, of magnitude < 2**24. */
void fastnn_affine_transform_u8_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const unsigned char *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, float *out);
void fastnn_affine_transform_u8_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const unsigned char *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, double *out);
void fastnn_affine_transform_f32_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const float *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, float *out);
void fastnn_affine_transform_f32_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const float *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, double *out);
void fastnn_affine_transform_f64_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const double *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, float *out);
void fastnn_affine_transform_f64_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const double *x, const fnn_int *x_strides, const double *matrices, const unsigned char *flips, int order, int mode, double cval, double *out);

/* ---- conv.c, pool.c: 2-D windows over NHWC images ------------------------ */

/* The geometry of a 2-D convolution or pooling: fnn_int geometry[FASTNN_CONV_GEOMETRY],
 * indexed by these names. Images are (N, H, W, C) and outputs (N, OH, OW, F), both
 * C-contiguous; conv kernels are (KH, KW, C, F), C-contiguous. Window position (kh, kw)
 * of output (oh, ow) reads input (oh*SH + kh*DH - PAD_TOP, ow*SW + kw*DW - PAD_LEFT);
 * positions outside the image are zero padding for a convolution and absent for a pooling.
 * Pooling takes KH x KW as the pool size and ignores F, DH and DW (F is C, DH = DW = 1). */
enum {
    FASTNN_CONV_N, FASTNN_CONV_H, FASTNN_CONV_W, FASTNN_CONV_C,
    FASTNN_CONV_KH, FASTNN_CONV_KW, FASTNN_CONV_F, FASTNN_CONV_OH, FASTNN_CONV_OW,
    FASTNN_CONV_SH, FASTNN_CONV_SW, FASTNN_CONV_DH, FASTNN_CONV_DW,
    FASTNN_CONV_PAD_TOP, FASTNN_CONV_PAD_LEFT, FASTNN_CONV_GEOMETRY
};

/* Elements of scratch the three conv2d kernels need (0: none, scratch may be NULL); only the
 * kernel gradient uses it (its partial sums), which depends on the geometry alone. */
fnn_int fastnn_conv2d_scratch_size(const fnn_int *geometry);
/* y[n,oh,ow,f] := act(sum_{kh,kw,c} x[n, ih, iw, c] * kernel[kh,kw,c,f] + bias[f]); bias may be
 * NULL, act as in fastnn_sgemm. Each y element is summed in an order that depends only on
 * KH*KW*C. Returns 0, or -1 when out of memory. */
int fastnn_conv2d_f32(const fnn_int *geometry, const float *x, const float *kernel, const float *bias, int activation, float *y, float *scratch);
int fastnn_conv2d_f64(const fnn_int *geometry, const double *x, const double *kernel, const double *bias, int activation, double *y, double *scratch);
/* dx := d(sum y * dy)/dx of the convolution without activation: dy (N, OH, OW, F) -> dx (N, H, W, C),
 * then dx := mask > 0 ? dx : 0 when mask (N, H, W, C) is not NULL (relu's gradient folded in). */
int fastnn_conv2d_input_grad_f32(const fnn_int *geometry, const float *dy, const float *kernel, const float *mask, float *dx, float *scratch);
int fastnn_conv2d_input_grad_f64(const fnn_int *geometry, const double *dy, const double *kernel, const double *mask, double *dx, double *scratch);
/* dkernel[kh,kw,c,f] := sum_{n,oh,ow} x[n, ih, iw, c] * dy[n,oh,ow,f] and dbias[f] := sum_{n,oh,ow}
 * dy[n,oh,ow,f] (dbias may be NULL): the rows (n, oh, ow) are cut in chunks fixed by the geometry,
 * each chunk summed in row order (dbias in double), then the chunks in order. */
int fastnn_conv2d_kernel_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dkernel, float *dbias, float *scratch);
int fastnn_conv2d_kernel_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dkernel, double *dbias, double *scratch);

/* y[n,oh,ow,c] := the largest x[n, ih, iw, c] over the window's positions inside the image; a NaN
 * wins over numbers (the first NaN in row-major window order). */
void fastnn_max_pool2d_f32(const fnn_int *geometry, const float *x, float *y);
void fastnn_max_pool2d_f64(const fnn_int *geometry, const double *x, double *y);
/* dx := 0, then dy[n,oh,ow,c] added at the window position max_pool2d took, the FIRST maximum
 * in row-major window order when several are equal; then dx := mask > 0 ? dx : 0 when mask
 * (the shape of x) is not NULL. */
void fastnn_max_pool2d_grad_f32(const fnn_int *geometry, const float *x, const float *dy, const float *mask, float *dx);
void fastnn_max_pool2d_grad_f64(const fnn_int *geometry, const double *x, const double *dy, const double *mask, double *dx);
/* y[n,oh,ow,c] := (sum of x over the window's positions inside the image, in row-major window
 * order) / (their count). */
void fastnn_avg_pool2d_f32(const fnn_int *geometry, const float *x, float *y);
void fastnn_avg_pool2d_f64(const fnn_int *geometry, const double *x, double *y);
/* dx := 0, then dy[n,oh,ow,c] / count added at each of that window's positions inside the image;
 * then masked as by max_pool2d_grad. */
void fastnn_avg_pool2d_grad_f32(const fnn_int *geometry, const float *dy, const float *mask, float *dx);
void fastnn_avg_pool2d_grad_f64(const fnn_int *geometry, const double *dy, const double *mask, double *dx);

/* ---- depthwise_conv.c: depthwise 2-D convolution over NHWC images --------- */

/* The geometry is a convolution's with F holding M, the depth multiplier: kernels are
 * (KH, KW, C, M) and outputs (N, OH, OW, C*M), output channel c*M + m made by input channel c.
 * y[n,oh,ow,c*M+m] := act(sum_{kh,kw} x[n, ih, iw, c] * kernel[kh,kw,c,m] + bias[c*M+m]) with
 * (ih, iw) as for a convolution; bias may be NULL, act as in fastnn_sgemm; window positions
 * summed in row-major order. Returns 0 (the int is for symmetry with the conv kernels). */
int fastnn_depthwise_conv2d_f32(const fnn_int *geometry, const float *x, const float *kernel, const float *bias, int activation, float *y);
int fastnn_depthwise_conv2d_f64(const fnn_int *geometry, const double *x, const double *kernel, const double *bias, int activation, double *y);
/* dx[n,ih,iw,c] := sum over the window taps (kh, kw) reading (ih, iw), in row-major order, of
 * sum_m dy[n,oh,ow,c*M+m] * kernel[kh,kw,c,m]. Returns 0. */
int fastnn_depthwise_conv2d_input_grad_f32(const fnn_int *geometry, const float *dy, const float *kernel, float *dx);
int fastnn_depthwise_conv2d_input_grad_f64(const fnn_int *geometry, const double *dy, const double *kernel, double *dx);
/* dkernel[kh,kw,c,m] := sum_{n,oh,ow} x[n, ih, iw, c] * dy[n,oh,ow,c*M+m] and dbias[j] := sum
 * dy[..., j] (dbias may be NULL), in double: the rows (n, oh, ow) cut in chunks fixed by the
 * geometry, each summed in row order, then the chunks in order. Returns 0, or -1 when out of memory. */
int fastnn_depthwise_conv2d_kernel_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dkernel, float *dbias);
int fastnn_depthwise_conv2d_kernel_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dkernel, double *dbias);

/* ---- batch_norm.c: batch normalization ------------------------------------ */

/* x is (outer, channels, inner), C-contiguous; channel c's elements are x[o, c, i] for every
 * o and i (count = outer * inner). Sums run in double over chunks of outer rows fixed by the
 * sizes, then over the chunks in order.
 * mean[c] := the mean of channel c, variance[c] := the mean of (x - mean)^2 (biased, two passes);
 * both 0 when count is 0. Unless moving_mean is NULL (then moving_variance is too), and when
 * count > 0, moving := moving * momentum + statistic * (1 - momentum), in place, for both.
 * Returns 0, or -1 when out of memory. */
int fastnn_batch_norm_statistics_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *x, float *mean, float *variance, float *moving_mean, float *moving_variance, double momentum);
int fastnn_batch_norm_statistics_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *x, double *mean, double *variance, double *moving_mean, double *moving_variance, double momentum);
/* y := (x - mean[c]) * s[c] + beta[c], s[c] = gamma[c] / sqrt(variance[c] + epsilon) rounded to
 * the type; gamma NULL: 1, beta NULL: 0. Returns 0, or -1 when out of memory. */
int fastnn_batch_norm_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *x, const float *mean, const float *variance, const float *gamma, const float *beta, double epsilon, float *y);
int fastnn_batch_norm_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *x, const double *mean, const double *variance, const double *gamma, const double *beta, double epsilon, double *y);
/* The gradients of sum(dy * batch_norm(x)): dbeta[c] := sum dy, dgamma[c] := sum dy * xhat with
 * xhat = (x - mean) * inv, inv = 1 / sqrt(variance + epsilon); training != 0 (mean and variance
 * were x's own statistics): dx := gamma * inv * (dy - dbeta / count - xhat * dgamma / count),
 * else dx := gamma * inv * dy. gamma NULL: 1. Returns 0, or -1 when out of memory. */
int fastnn_batch_norm_grad_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *dy, const float *x, const float *mean, const float *variance, const float *gamma, double epsilon, int training, float *dx, float *dgamma, float *dbeta);
int fastnn_batch_norm_grad_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *dy, const double *x, const double *mean, const double *variance, const double *gamma, double epsilon, int training, double *dx, double *dgamma, double *dbeta);

#endif
