/* Broadcast add and its reduction (sum_to_shape), relu and relu's gradient, and the
 * one- and two-operand maps (activations, arithmetic and their gradients).
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double (see the end of the first part).
 */
#ifndef FNN_REAL
#include <math.h>
#include <string.h>

#include "dispatch.h"
#include "activation_math.h"
#include "expmath.h"

#define MAX_OPERANDS 3
/* A row longer than this is cut into pieces of this many elements, so that
 * even a single long row is shared by the threads. */
#define PIECE 8192
/* Columns summed together by one unit of sum_to_shape's column mode. */
#define COLUMNS 256

/* k: the map's scalar arguments (unused by most rows). */
typedef void (*row_fn)(fnn_int n, char *const *p, const fnn_int *step, const double *k);

/* Operand 0 is the output; strides in bytes. */
typedef struct {
    int nops, ndim;
    fnn_int shape[FASTNN_MAX_DIMS];
    fnn_int stride[MAX_OPERANDS][FASTNN_MAX_DIMS];
} layout;

static void layout_init(layout *L, int ndim, const fnn_int *shape, int nops,
                        const fnn_int *const *strides, fnn_int itemsize) {
    L->nops = nops;
    L->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        L->shape[d] = shape[d];
        for (int op = 0; op < nops; op++) L->stride[op][d] = strides[op][d] * itemsize;
    }
}

/* Drops size-1 axes and merges neighbours every operand walks as one axis.
 * Returns 0 when the arrays are empty; otherwise at least one axis remains. */
static int coalesce(layout *L) {
    int nd = 0;
    for (int d = 0; d < L->ndim; d++) {
        if (L->shape[d] == 0) return 0;
        if (L->shape[d] == 1) continue;
        int merge = nd > 0;
        for (int op = 0; op < L->nops && merge; op++)
            merge = L->stride[op][nd - 1] == L->stride[op][d] * L->shape[d];
        if (merge) {
            L->shape[nd - 1] *= L->shape[d];
        } else {
            L->shape[nd] = L->shape[d];
            nd++;
        }
        for (int op = 0; op < L->nops; op++) L->stride[op][nd - 1] = L->stride[op][d];
    }
    if (nd == 0) {
        L->shape[0] = 1;
        for (int op = 0; op < L->nops; op++) L->stride[op][0] = 0;
        nd = 1;
    }
    L->ndim = nd;
    return 1;
}

typedef struct {
    layout L;
    char *base[MAX_OPERANDS];
    fnn_int step[MAX_OPERANDS]; /* innermost strides in elements */
    fnn_int pieces;             /* pieces per row of the innermost axis */
    row_fn fn;
    const double *k;
} nd_job;

/* Units are (row, piece) pairs in row-major order; rows run over the outer axes. */
static void nd_blocks(void *ctx, fnn_int first, fnn_int end) {
    const nd_job *J = ctx;
    const layout *L = &J->L;
    const int outer = L->ndim - 1, nops = L->nops;
    const fnn_int inner = L->shape[outer];
    fnn_int idx[FASTNN_MAX_DIMS];
    char *p[MAX_OPERANDS], *q[MAX_OPERANDS];
    fnn_int row = first / J->pieces, piece = first % J->pieces;
    for (int op = 0; op < nops; op++) p[op] = J->base[op];
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = row % L->shape[d];
        row /= L->shape[d];
        for (int op = 0; op < nops; op++) p[op] += idx[d] * L->stride[op][d];
    }
    for (fnn_int u = first; u < end; u++) {
        fnn_int start = piece * PIECE, len = inner - start < PIECE ? inner - start : PIECE;
        for (int op = 0; op < nops; op++) q[op] = p[op] + start * L->stride[op][outer];
        J->fn(len, q, J->step, J->k);
        if (++piece < J->pieces) continue;
        piece = 0;
        for (int d = outer - 1; d >= 0; d--) {
            for (int op = 0; op < nops; op++) p[op] += L->stride[op][d];
            if (++idx[d] < L->shape[d]) break;
            for (int op = 0; op < nops; op++) p[op] -= L->stride[op][d] * L->shape[d];
            idx[d] = 0;
        }
    }
}

static void run_elementwise(int ndim, const fnn_int *shape, int nops, char **base,
                            const fnn_int *const *strides, fnn_int itemsize, row_fn fn, const double *k,
                            double cost) {
    nd_job J;
    J.k = k;
    layout_init(&J.L, ndim, shape, nops, strides, itemsize);
    if (!coalesce(&J.L)) return;
    const int outer = J.L.ndim - 1;
    const fnn_int inner = J.L.shape[outer];
    fnn_int rows = 1;
    for (int d = 0; d < outer; d++) rows *= J.L.shape[d];
    for (int op = 0; op < nops; op++) {
        J.base[op] = base[op];
        J.step[op] = J.L.stride[op][outer] / itemsize;
    }
    J.pieces = (inner + PIECE - 1) / PIECE;
    J.fn = fn;
    fastnn_parallel_blocks(rows * J.pieces, fastnn_threads_for(cost * rows * inner), nd_blocks, &J);
}

/* sum_to_shape: operand 0 is the output (stride 0 on reduced axes), 1 is x. */
typedef struct {
    layout L;
    const char *x;
    char *out;
    int column_mode;    /* innermost axis kept: vectorise over it */
    int nkept, nred;
    int kept[FASTNN_MAX_DIMS], red[FASTNN_MAX_DIMS];
    fnn_int col_blocks; /* column mode: blocks of COLUMNS per innermost row */
    fnn_int itemsize;
    void (*unit)(const void *job, const char *x, char *out, fnn_int ncols);
} reduce_job;

/* Byte offsets of output unit u into x and out. */
static void reduce_unit_offsets(const reduce_job *J, fnn_int u, fnn_int *x_off, fnn_int *out_off,
                                fnn_int *ncols) {
    const layout *L = &J->L;
    int nk = J->nkept;
    *x_off = 0;
    *out_off = 0;
    *ncols = 1;
    if (J->column_mode) {
        int d = J->kept[--nk];
        fnn_int block = u % J->col_blocks, start = block * COLUMNS;
        u /= J->col_blocks;
        *ncols = L->shape[d] - start < COLUMNS ? L->shape[d] - start : COLUMNS;
        *x_off += start * L->stride[1][d];
        *out_off += start * L->stride[0][d];
    }
    for (int i = nk - 1; i >= 0; i--) {
        int d = J->kept[i];
        fnn_int k = u % L->shape[d];
        u /= L->shape[d];
        *x_off += k * L->stride[1][d];
        *out_off += k * L->stride[0][d];
    }
}

static void reduce_blocks(void *ctx, fnn_int first, fnn_int end) {
    const reduce_job *J = ctx;
    for (fnn_int u = first; u < end; u++) {
        fnn_int x_off, out_off, ncols;
        reduce_unit_offsets(J, u, &x_off, &out_off, &ncols);
        J->unit(J, J->x + x_off, J->out + out_off, ncols);
    }
}

static void run_sum_to_shape(int ndim, const fnn_int *shape, const char *x, const fnn_int *x_strides,
                             const unsigned char *reduce, char *out, fnn_int itemsize,
                             void (*column_unit)(const void *, const char *, char *, fnn_int),
                             void (*row_unit)(const void *, const char *, char *, fnn_int)) {
    reduce_job J;
    fnn_int out_strides[FASTNN_MAX_DIMS], outputs = 1, total = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        int reduced = reduce[d] && shape[d] != 1;
        out_strides[d] = reduced ? 0 : outputs;
        if (!reduced) outputs *= shape[d];
        total *= shape[d];
    }
    if (outputs == 0) return;
    if (total == 0) {
        memset(out, 0, outputs * itemsize);
        return;
    }
    const fnn_int *strides[2] = {out_strides, x_strides};
    layout_init(&J.L, ndim, shape, 2, strides, itemsize);
    coalesce(&J.L);
    J.nkept = J.nred = 0;
    for (int d = 0; d < J.L.ndim; d++) {
        if (J.L.stride[0][d] == 0 && J.L.shape[d] > 1)
            J.red[J.nred++] = d;
        else
            J.kept[J.nkept++] = d;
    }
    J.x = x;
    J.out = out;
    J.itemsize = itemsize;
    J.column_mode = J.nkept > 0 && J.kept[J.nkept - 1] == J.L.ndim - 1;
    fnn_int units = outputs;
    if (J.column_mode) {
        fnn_int cols = J.L.shape[J.L.ndim - 1];
        J.col_blocks = (cols + COLUMNS - 1) / COLUMNS;
        units = outputs / cols * J.col_blocks;
        J.unit = column_unit;
    } else {
        J.unit = row_unit;
    }
    fastnn_parallel_blocks(units, fastnn_threads_for((double)total), reduce_blocks, &J);
}

#define FNN_ROW_VARIANTS(portable, avx2, body)                                                          \
    static void portable(fnn_int n, char *const *p, const fnn_int *s, const double *k) { body(n, p, s, k); } \
    static FNN_TARGET_AVX2 void avx2(fnn_int n, char *const *p, const fnn_int *s, const double *k) { body(n, p, s, k); }

#define FNN_REAL float
#define FN(name) name##_f32
#define REAL_TANH tanh_f32
#define REAL_SIGMOID sigmoid_f32
#define REAL_EXP expf
#define REAL_LOG logf
#define REAL_POW powf
#include "elementwise.c"
#undef FNN_REAL
#undef FN
#undef REAL_TANH
#undef REAL_SIGMOID
#undef REAL_EXP
#undef REAL_LOG
#undef REAL_POW
#define FNN_REAL double
#define FN(name) name##_f64
#define REAL_TANH tanh
#define REAL_SIGMOID sigmoid_f64
#define REAL_EXP exp
#define REAL_LOG log
#define REAL_POW pow
#include "elementwise.c"

#else /* typed part: real and FN(name) name the element type's versions */
#define real FNN_REAL

FNN_INLINE void FN(add_row)(fnn_int n, char *const *p, const fnn_int *s, const double *k) {
    (void)k;
    real *o = (real *)p[0];
    const real *a = (const real *)p[1], *b = (const real *)p[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
        for (fnn_int j = 0; j < n; j++) o[j] = a[j] + b[j];
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
        const real c = b[0];
        for (fnn_int j = 0; j < n; j++) o[j] = a[j] + c;
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
        const real c = a[0];
        for (fnn_int j = 0; j < n; j++) o[j] = c + b[j];
    } else {
        for (fnn_int j = 0; j < n; j++) o[j * s[0]] = a[j * s[1]] + b[j * s[2]];
    }
}

FNN_INLINE void FN(relu_row)(fnn_int n, char *const *p, const fnn_int *s, const double *k) {
    (void)k;
    real *o = (real *)p[0];
    const real *x = (const real *)p[1];
    if (s[0] == 1 && s[1] == 1) {
        for (fnn_int j = 0; j < n; j++) o[j] = x[j] < 0 ? (real)0 : x[j];
    } else {
        for (fnn_int j = 0; j < n; j++) o[j * s[0]] = x[j * s[1]] < 0 ? (real)0 : x[j * s[1]];
    }
}

FNN_INLINE void FN(relu_grad_row)(fnn_int n, char *const *p, const fnn_int *s, const double *k) {
    (void)k;
    real *o = (real *)p[0];
    const real *dy = (const real *)p[1], *y = (const real *)p[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
        for (fnn_int j = 0; j < n; j++) o[j] = y[j] > 0 ? dy[j] : (real)0;
    } else {
        for (fnn_int j = 0; j < n; j++) o[j * s[0]] = y[j * s[2]] > 0 ? dy[j * s[1]] : (real)0;
    }
}

FNN_ROW_VARIANTS(FN(add_row_portable), FN(add_row_avx2), FN(add_row))
FNN_ROW_VARIANTS(FN(relu_row_portable), FN(relu_row_avx2), FN(relu_row))
FNN_ROW_VARIANTS(FN(relu_grad_row_portable), FN(relu_grad_row_avx2), FN(relu_grad_row))

void FN(fastnn_add)(int ndim, const fnn_int *shape, const real *a, const fnn_int *a_strides, const real *b,
                    const fnn_int *b_strides, real *out, const fnn_int *out_strides) {
    char *base[3] = {(char *)out, (char *)a, (char *)b};
    const fnn_int *strides[3] = {out_strides, a_strides, b_strides};
    run_elementwise(ndim, shape, 3, base, strides, sizeof(real),
                    FNN_PICK(FN(add_row_portable), FN(add_row_avx2)), NULL, 1.0);
}

void FN(fastnn_relu)(int ndim, const fnn_int *shape, const real *x, const fnn_int *x_strides, real *out,
                     const fnn_int *out_strides) {
    char *base[2] = {(char *)out, (char *)x};
    const fnn_int *strides[2] = {out_strides, x_strides};
    run_elementwise(ndim, shape, 2, base, strides, sizeof(real),
                    FNN_PICK(FN(relu_row_portable), FN(relu_row_avx2)), NULL, 1.0);
}

void FN(fastnn_relu_grad)(int ndim, const fnn_int *shape, const real *dy, const fnn_int *dy_strides,
                          const real *y, const fnn_int *y_strides, real *out, const fnn_int *out_strides) {
    char *base[3] = {(char *)out, (char *)dy, (char *)y};
    const fnn_int *strides[3] = {out_strides, dy_strides, y_strides};
    run_elementwise(ndim, shape, 3, base, strides, sizeof(real),
                    FNN_PICK(FN(relu_grad_row_portable), FN(relu_grad_row_avx2)), NULL, 1.0);
}


/* One- and two-operand maps: `x` (or `a`, `b`) is the element, k0 and k1 the map's scalars. */
#define DEFINE_MAP1(name, expr)                                                                  \
    FNN_INLINE void FN(name##_row)(fnn_int n, char *const *p, const fnn_int *s, const double *k) { \
        real *o = (real *)p[0];                                                                  \
        const real *xp = (const real *)p[1];                                                     \
        const real k0 = (real)k[0], k1 = (real)k[1];                                             \
        (void)k0;                                                                                \
        (void)k1;                                                                                \
        if (s[0] == 1 && s[1] == 1) {                                                            \
            for (fnn_int j = 0; j < n; j++) {                                                    \
                const real x = xp[j];                                                            \
                o[j] = (expr);                                                                   \
            }                                                                                    \
        } else {                                                                                 \
            for (fnn_int j = 0; j < n; j++) {                                                    \
                const real x = xp[j * s[1]];                                                     \
                o[j * s[0]] = (expr);                                                            \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    FNN_ROW_VARIANTS(FN(name##_portable), FN(name##_avx2), FN(name##_row))

#define DEFINE_MAP2(name, expr)                                                                  \
    FNN_INLINE void FN(name##_row)(fnn_int n, char *const *p, const fnn_int *s, const double *k) { \
        real *o = (real *)p[0];                                                                  \
        const real *ap = (const real *)p[1], *bp = (const real *)p[2];                           \
        const real k0 = (real)k[0], k1 = (real)k[1];                                             \
        (void)k0;                                                                                \
        (void)k1;                                                                                \
        if (s[0] == 1 && s[1] == 1 && s[2] == 1) {                                               \
            for (fnn_int j = 0; j < n; j++) {                                                    \
                const real a = ap[j], b = bp[j];                                                 \
                o[j] = (expr);                                                                   \
            }                                                                                    \
        } else {                                                                                 \
            for (fnn_int j = 0; j < n; j++) {                                                    \
                const real a = ap[j * s[1]], b = bp[j * s[2]];                                   \
                o[j * s[0]] = (expr);                                                            \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    FNN_ROW_VARIANTS(FN(name##_portable), FN(name##_avx2), FN(name##_row))

DEFINE_MAP1(copy, x)
DEFINE_MAP1(scale, x * k0)
DEFINE_MAP1(tanh, REAL_TANH(x))
DEFINE_MAP1(sigmoid, REAL_SIGMOID(x))
DEFINE_MAP1(exp, REAL_EXP(x))
DEFINE_MAP1(log, REAL_LOG(x))
DEFINE_MAP1(square, x * x)
DEFINE_MAP1(pow, REAL_POW(x, k0))
DEFINE_MAP1(clip, x < k0 ? k0 : (x > k1 ? k1 : x))
DEFINE_MAP1(elu, FN(elu)(x, k0, k1))
DEFINE_MAP1(leaky_relu, x >= 0 ? x : k0 * x)
DEFINE_MAP1(softplus, FN(softplus)(x))
DEFINE_MAP1(softsign, x / ((real)1 + (x < 0 ? -x : x)))
DEFINE_MAP1(gelu, FN(gelu)(x))
DEFINE_MAP1(gelu_approximate, FN(gelu_approximate)(x))
DEFINE_MAP1(silu, x * REAL_SIGMOID(x))
DEFINE_MAP1(hard_sigmoid, FN(hard_sigmoid)(x))
DEFINE_MAP1(not_equal, x != k0 ? (real)1 : (real)0)
DEFINE_MAP1(fill, ((void)x, k0))

DEFINE_MAP2(mul, a * b)
DEFINE_MAP2(div, a / b)
DEFINE_MAP2(sub, a - b)
DEFINE_MAP2(tanh_grad, a * ((real)1 - b * b))
DEFINE_MAP2(sigmoid_grad, a * (b * ((real)1 - b)))
DEFINE_MAP2(pow_grad, a * (k0 * REAL_POW(b, k0 - (real)1)))
DEFINE_MAP2(clip_grad, (b >= k0 && b <= k1) ? a : (real)0)
DEFINE_MAP2(elu_grad, a * FN(elu_slope)(b, k0, k1))
DEFINE_MAP2(leaky_relu_grad, b >= 0 ? a : k0 * a)
DEFINE_MAP2(softplus_grad, a * REAL_SIGMOID(b))
DEFINE_MAP2(softsign_grad, a / (((real)1 + (b < 0 ? -b : b)) * ((real)1 + (b < 0 ? -b : b))))
DEFINE_MAP2(gelu_grad, a * FN(gelu_slope)(b))
DEFINE_MAP2(gelu_approximate_grad, a * FN(gelu_approximate_slope)(b))
DEFINE_MAP2(silu_grad, a * FN(silu_slope)(b))
DEFINE_MAP2(hard_sigmoid_grad, FN(hard_sigmoid_passes)(b) ? a / (real)6 : (real)0)
DEFINE_MAP2(maximum, (a > b || a != a) ? a : b)
DEFINE_MAP2(minimum, (a < b || a != a) ? a : b)
DEFINE_MAP2(greater_equal, a >= b ? (real)1 : (real)0)

#define MAP_ENTRY(name, cost) {FN(name##_portable), FN(name##_avx2), cost}
typedef struct { row_fn portable, avx2; double cost; } FN(map_entry);

static const FN(map_entry) FN(map1_table)[FASTNN_MAP1_COUNT] = {
    [FASTNN_MAP_COPY] = MAP_ENTRY(copy, 1.0),       [FASTNN_MAP_SCALE] = MAP_ENTRY(scale, 1.0),
    [FASTNN_MAP_TANH] = MAP_ENTRY(tanh, 8.0),       [FASTNN_MAP_SIGMOID] = MAP_ENTRY(sigmoid, 6.0),
    [FASTNN_MAP_EXP] = MAP_ENTRY(exp, 8.0),         [FASTNN_MAP_LOG] = MAP_ENTRY(log, 8.0),
    [FASTNN_MAP_SQUARE] = MAP_ENTRY(square, 1.0),   [FASTNN_MAP_POW] = MAP_ENTRY(pow, 16.0),
    [FASTNN_MAP_CLIP] = MAP_ENTRY(clip, 1.0),
    [FASTNN_MAP_ELU] = MAP_ENTRY(elu, 10.0),        [FASTNN_MAP_LEAKY_RELU] = MAP_ENTRY(leaky_relu, 1.0),
    [FASTNN_MAP_SOFTPLUS] = MAP_ENTRY(softplus, 16.0), [FASTNN_MAP_SOFTSIGN] = MAP_ENTRY(softsign, 2.0),
    [FASTNN_MAP_GELU] = MAP_ENTRY(gelu, 24.0),      [FASTNN_MAP_GELU_APPROXIMATE] = MAP_ENTRY(gelu_approximate, 10.0),
    [FASTNN_MAP_SILU] = MAP_ENTRY(silu, 6.0),       [FASTNN_MAP_HARD_SIGMOID] = MAP_ENTRY(hard_sigmoid, 1.0),
    [FASTNN_MAP_NOT_EQUAL] = MAP_ENTRY(not_equal, 1.0), [FASTNN_MAP_FILL] = MAP_ENTRY(fill, 1.0),
};

static const FN(map_entry) FN(map2_table)[FASTNN_MAP2_COUNT] = {
    [FASTNN_MAP_MUL] = MAP_ENTRY(mul, 1.0),         [FASTNN_MAP_DIV] = MAP_ENTRY(div, 2.0),
    [FASTNN_MAP_SUB] = MAP_ENTRY(sub, 1.0),         [FASTNN_MAP_TANH_GRAD] = MAP_ENTRY(tanh_grad, 1.0),
    [FASTNN_MAP_SIGMOID_GRAD] = MAP_ENTRY(sigmoid_grad, 1.0),
    [FASTNN_MAP_POW_GRAD] = MAP_ENTRY(pow_grad, 16.0), [FASTNN_MAP_CLIP_GRAD] = MAP_ENTRY(clip_grad, 1.0),
    [FASTNN_MAP_ELU_GRAD] = MAP_ENTRY(elu_grad, 8.0), [FASTNN_MAP_LEAKY_RELU_GRAD] = MAP_ENTRY(leaky_relu_grad, 1.0),
    [FASTNN_MAP_SOFTPLUS_GRAD] = MAP_ENTRY(softplus_grad, 6.0), [FASTNN_MAP_SOFTSIGN_GRAD] = MAP_ENTRY(softsign_grad, 2.0),
    [FASTNN_MAP_GELU_GRAD] = MAP_ENTRY(gelu_grad, 32.0),
    [FASTNN_MAP_GELU_APPROXIMATE_GRAD] = MAP_ENTRY(gelu_approximate_grad, 12.0),
    [FASTNN_MAP_SILU_GRAD] = MAP_ENTRY(silu_grad, 8.0), [FASTNN_MAP_HARD_SIGMOID_GRAD] = MAP_ENTRY(hard_sigmoid_grad, 1.0),
    [FASTNN_MAP_MAXIMUM] = MAP_ENTRY(maximum, 1.0), [FASTNN_MAP_MINIMUM] = MAP_ENTRY(minimum, 1.0),
    [FASTNN_MAP_GREATER_EQUAL] = MAP_ENTRY(greater_equal, 1.0),
};
#undef MAP_ENTRY

void FN(fastnn_map1)(int op, const double *k, int ndim, const fnn_int *shape, const real *x,
                     const fnn_int *x_strides, real *out, const fnn_int *out_strides) {
    const FN(map_entry) *e = &FN(map1_table)[op];
    char *base[2] = {(char *)out, (char *)x};
    const fnn_int *strides[2] = {out_strides, x_strides};
    run_elementwise(ndim, shape, 2, base, strides, sizeof(real), FNN_PICK(e->portable, e->avx2), k, e->cost);
}

void FN(fastnn_map2)(int op, const double *k, int ndim, const fnn_int *shape, const real *a,
                     const fnn_int *a_strides, const real *b, const fnn_int *b_strides, real *out,
                     const fnn_int *out_strides) {
    const FN(map_entry) *e = &FN(map2_table)[op];
    char *base[3] = {(char *)out, (char *)a, (char *)b};
    const fnn_int *strides[3] = {out_strides, a_strides, b_strides};
    run_elementwise(ndim, shape, 3, base, strides, sizeof(real), FNN_PICK(e->portable, e->avx2), k, e->cost);
}

#undef DEFINE_MAP1
#undef DEFINE_MAP2

/* Visits the reduced axes in row-major order, calling visit(x + offset) for each
 * combination; in row mode the innermost reduced axis is left to the caller. */
#define FOR_EACH_REDUCED(J, x0, nred, ptr, stmt)                                    \
    do {                                                                            \
        const layout *L_ = &(J)->L;                                                 \
        fnn_int idx_[FASTNN_MAX_DIMS] = {0};                                        \
        const char *ptr = (x0);                                                     \
        for (;;) {                                                                  \
            stmt;                                                                   \
            int i_ = (nred) - 1;                                                    \
            for (; i_ >= 0; i_--) {                                                 \
                int d_ = (J)->red[i_];                                              \
                ptr += L_->stride[1][d_];                                           \
                if (++idx_[i_] < L_->shape[d_]) break;                              \
                ptr -= L_->stride[1][d_] * L_->shape[d_];                           \
                idx_[i_] = 0;                                                       \
            }                                                                       \
            if (i_ < 0) break;                                                      \
        }                                                                           \
    } while (0)

FNN_INLINE void FN(sum_columns_body)(const void *job, const char *x, char *out, fnn_int ncols) {
    const reduce_job *J = job;
    const int d = J->L.ndim - 1;
    const fnn_int cs = J->L.stride[1][d] / (fnn_int)sizeof(real);
    double acc[COLUMNS];
    for (fnn_int j = 0; j < ncols; j++) acc[j] = 0;
    if (cs == 1) {
        FOR_EACH_REDUCED(J, x, J->nred, row, {
            const real *r = (const real *)row;
            for (fnn_int j = 0; j < ncols; j++) acc[j] += r[j];
        });
    } else {
        FOR_EACH_REDUCED(J, x, J->nred, row, {
            const real *r = (const real *)row;
            for (fnn_int j = 0; j < ncols; j++) acc[j] += r[j * cs];
        });
    }
    real *o = (real *)out;
    for (fnn_int j = 0; j < ncols; j++) o[j] = (real)acc[j];
}

static void FN(sum_columns_portable)(const void *job, const char *x, char *out, fnn_int ncols) {
    FN(sum_columns_body)(job, x, out, ncols);
}

static FNN_TARGET_AVX2 void FN(sum_columns_avx2)(const void *job, const char *x, char *out, fnn_int ncols) {
    FN(sum_columns_body)(job, x, out, ncols);
}

static void FN(sum_rows_unit)(const void *job, const char *x, char *out, fnn_int ncols) {
    (void)ncols;
    const reduce_job *J = job;
    const int d = J->red[J->nred - 1];
    const fnn_int n = J->L.shape[d], rs = J->L.stride[1][d] / (fnn_int)sizeof(real);
    double acc = 0;
    FOR_EACH_REDUCED(J, x, J->nred - 1, start, {
        const real *r = (const real *)start;
        for (fnn_int j = 0; j < n; j++) acc += r[j * rs];
    });
    *(real *)out = (real)acc;
}

void FN(fastnn_sum_to_shape)(int ndim, const fnn_int *shape, const real *x, const fnn_int *x_strides,
                             const unsigned char *reduce, real *out) {
    run_sum_to_shape(ndim, shape, (const char *)x, x_strides, reduce, (char *)out, sizeof(real),
                     FNN_PICK(FN(sum_columns_portable), FN(sum_columns_avx2)), FN(sum_rows_unit));
}

#undef FOR_EACH_REDUCED
#undef real
#endif
