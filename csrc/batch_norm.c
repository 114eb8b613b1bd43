/* Batch normalization: per-channel statistics, the normalization and its gradient, for x viewed
 * as (outer, channels, inner), C-contiguous. A channel's statistics run over the outer and
 * inner axes: for NHWC images outer = N*H*W and inner = 1; for (N, C, L) data with axis 1,
 * outer = N and inner = L.
 *
 * Sums over the elements of a channel are taken in double, per chunk of outer rows (rows in
 * order, a row's inner elements in order; with inner = 1, groups of BN_ROWS rows from the chunk's
 * start summed first), the chunks fixed by the sizes alone; the chunks'
 * sums are then added in chunk order, channel by channel. Every result is thus the same at any
 * thread count. The chunks of a pass are the units of one parallel loop; a pass that needs the
 * previous pass's sums (the variance needs the mean, the input gradient needs the sums of dy and
 * dy * (x - mean)) is a loop of its own, started once those are added up.
 * The part after #else is typed: this file includes itself once for float, once for double.
 */
#ifndef FNN_REAL
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

/* At most this many chunks of outer rows, each of at least BN_CHUNK_ELEMENTS elements. */
#define BN_MAX_CHUNKS 16
#define BN_CHUNK_ELEMENTS 16384
/* Rows of a channels-last chunk whose terms are added together before joining the sums. */
#define BN_ROWS 4

typedef struct {
    fnn_int outer, channels, inner;
} bn_shape;

static fnn_int bn_elements(const bn_shape *S) { return S->outer * S->channels * S->inner; }

static fnn_int bn_chunks(const bn_shape *S) {
    fnn_int chunks = bn_elements(S) / BN_CHUNK_ELEMENTS;
    if (chunks > BN_MAX_CHUNKS) chunks = BN_MAX_CHUNKS;
    if (chunks > S->outer) chunks = S->outer;
    return chunks < 1 ? 1 : chunks;
}

/* Rows [first, end) of chunk k. */
static void bn_chunk_rows(const bn_shape *S, fnn_int chunks, fnn_int k, fnn_int *first, fnn_int *end) {
    *first = S->outer * k / chunks;
    *end = S->outer * (k + 1) / chunks;
}

/* Threads for `passes` passes over the data. */
static int bn_threads(const bn_shape *S, double passes) {
    return fastnn_threads_for((double)bn_elements(S) * passes);
}

/* The units an element-wise pass splits among threads: rows when inner == 1, else
 * (row, channel) pairs, so that data with few outer rows is still shared. */
static fnn_int bn_units(const bn_shape *S) { return S->inner == 1 ? S->outer : S->outer * S->channels; }

#define FNN_TYPED_FILE "batch_norm.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

/* part[c] := the sum of x - center[c] (or of its square) over rows [first, end); center NULL: 0. */
FNN_INLINE void FN(bn_sums_body)(const bn_shape *S, const real *restrict x, const double *restrict center,
                                 int square, fnn_int first, fnn_int end, double *restrict part) {
    const fnn_int C = S->channels, B = S->inner;
    memset(part, 0, (size_t)C * sizeof(double));
    if (B == 1) {
        const double *restrict m = center;
        fnn_int r = first;
        /* BN_ROWS rows at a time: their terms are added together, then to the running sums */
        for (; r + BN_ROWS <= end; r += BN_ROWS) {
            const real *restrict v0 = x + r * C, *restrict v1 = v0 + C, *restrict v2 = v1 + C, *restrict v3 = v2 + C;
            if (!m) {
                for (fnn_int c = 0; c < C; c++)
                    part[c] += ((double)v0[c] + (double)v1[c]) + ((double)v2[c] + (double)v3[c]);
            } else if (square) {
                for (fnn_int c = 0; c < C; c++) {
                    const double d0 = (double)v0[c] - m[c], d1 = (double)v1[c] - m[c];
                    const double d2 = (double)v2[c] - m[c], d3 = (double)v3[c] - m[c];
                    part[c] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
                }
            }
        }
        for (; r < end; r++) {
            const real *restrict v = x + r * C;
            if (!m) {
                for (fnn_int c = 0; c < C; c++) part[c] += (double)v[c];
            } else if (square) {
                for (fnn_int c = 0; c < C; c++) {
                    const double d = (double)v[c] - m[c];
                    part[c] += d * d;
                }
            }
        }
        return;
    }
    for (fnn_int r = first; r < end; r++) {
        for (fnn_int c = 0; c < C; c++) {
            const real *restrict v = x + (r * C + c) * B;
            const double m = center ? center[c] : 0.0;
            double s = 0;
            if (square)
                for (fnn_int j = 0; j < B; j++) {
                    const double d = (double)v[j] - m;
                    s += d * d;
                }
            else
                for (fnn_int j = 0; j < B; j++) s += (double)v[j];
            part[c] += s;
        }
    }
}

static void FN(bn_sums_portable)(const bn_shape *S, const real *x, const double *center, int square, fnn_int first,
                                 fnn_int end, double *part) {
    FN(bn_sums_body)(S, x, center, square, first, end, part);
}
static FNN_TARGET_AVX2 void FN(bn_sums_avx2)(const bn_shape *S, const real *x, const double *center, int square,
                                             fnn_int first, fnn_int end, double *part) {
    FN(bn_sums_body)(S, x, center, square, first, end, part);
}

typedef void (*FN(bn_sums_fn))(const bn_shape *, const real *, const double *, int, fnn_int, fnn_int, double *);

/* One pass of chunk sums: chunk k's into parts[k * C]. */
typedef struct {
    FN(bn_sums_fn) sums;
    const bn_shape *S;
    fnn_int chunks;
    const real *x;
    const double *center;
    int square;
    double *parts;
} FN(bn_sums_pass);

static void FN(bn_chunk_sums)(void *ctx, fnn_int first_chunk, fnn_int end_chunk, int slot) {
    (void)slot;
    const FN(bn_sums_pass) *P = ctx;
    for (fnn_int k = first_chunk; k < end_chunk; k++) {
        fnn_int first, end;
        bn_chunk_rows(P->S, P->chunks, k, &first, &end);
        P->sums(P->S, P->x, P->center, P->square, first, end, P->parts + k * P->S->channels);
    }
}

/* The chunks' sums of channel c, in chunk order. */
static double FN(bn_total)(const double *parts, fnn_int chunks, fnn_int C, fnn_int c) {
    double s = 0;
    for (fnn_int k = 0; k < chunks; k++) s += parts[k * C + c];
    return s;
}

int FN(fastnn_batch_norm_statistics)(fnn_int outer, fnn_int channels, fnn_int inner, const real *x, real *mean,
                                     real *variance, real *moving_mean, real *moving_variance, double momentum) {
    const bn_shape S = {outer, channels, inner};
    const fnn_int C = channels, count = outer * inner;
    if (C == 0) return 0;
    if (count == 0) {
        memset(mean, 0, (size_t)C * sizeof(real));
        memset(variance, 0, (size_t)C * sizeof(real));
        return 0;
    }
    const fnn_int chunks = bn_chunks(&S);
    double *parts = malloc(sizeof(double) * (size_t)((chunks + 1) * C));
    if (!parts) return -1;
    double *center = parts + chunks * C;
    const int nt = bn_threads(&S, 2.0);
    FN(bn_sums_fn) sums = FNN_PICK(FN(bn_sums_portable), FN(bn_sums_avx2));
    FN(bn_sums_pass) pass = {sums, &S, chunks, x, NULL, 0, parts};
    fastnn_parallel_for(chunks, nt, FN(bn_chunk_sums), &pass);
    for (fnn_int c = 0; c < C; c++) center[c] = FN(bn_total)(parts, chunks, C, c) / (double)count;
    pass.center = center;
    pass.square = 1;
    fastnn_parallel_for(chunks, nt, FN(bn_chunk_sums), &pass);
    for (fnn_int c = 0; c < C; c++) {
        mean[c] = (real)center[c];
        variance[c] = (real)(FN(bn_total)(parts, chunks, C, c) / (double)count);
        if (moving_mean) {
            moving_mean[c] = (real)((double)moving_mean[c] * momentum + (double)mean[c] * (1.0 - momentum));
            moving_variance[c] =
                (real)((double)moving_variance[c] * momentum + (double)variance[c] * (1.0 - momentum));
        }
    }
    free(parts);
    return 0;
}

/* Per channel: mean, scale and shift of an element-wise pass (shift unused by some). */
typedef struct {
    bn_shape S;
    const real *a, *b; /* x (and dy for the gradient) */
    const real *mean, *scale, *shift, *slope;
    real *out;
    int training;
} FN(bn_job);

/* One channels-last row: y := (x - m) * s + b, element by element (restrict parameters let the
 * compiler vectorize without a run-time overlap check). */
FNN_INLINE void FN(bn_apply_row)(fnn_int C, const real *restrict x, const real *restrict m, const real *restrict s,
                                 const real *restrict b, real *restrict y) {
    for (fnn_int c = 0; c < C; c++) y[c] = (x[c] - m[c]) * s[c] + b[c];
}

/* One channels-last row of the input gradient: dx := s * (dy - b - (x - m) * k). */
FNN_INLINE void FN(bn_input_grad_row)(fnn_int C, const real *restrict x, const real *restrict dy,
                                      const real *restrict m, const real *restrict s, const real *restrict b,
                                      const real *restrict k, real *restrict dx) {
    for (fnn_int c = 0; c < C; c++) dx[c] = s[c] * (dy[c] - b[c] - (x[c] - m[c]) * k[c]);
}

/* One channels-last row of the inference-mode input gradient: dx := s * dy. */
FNN_INLINE void FN(bn_scale_row)(fnn_int C, const real *restrict dy, const real *restrict s, real *restrict dx) {
    for (fnn_int c = 0; c < C; c++) dx[c] = s[c] * dy[c];
}

/* y := (x - mean[c]) * scale[c] + shift[c] over units [first, end). */
FNN_INLINE void FN(bn_apply_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(bn_job) *J = ctx;
    const fnn_int C = J->S.channels, B = J->S.inner;
    const real *restrict m = J->mean, *restrict s = J->scale, *restrict b = J->shift;
    if (B == 1) {
        for (fnn_int r = first; r < end; r++) FN(bn_apply_row)(C, J->a + r * C, m, s, b, J->out + r * C);
        return;
    }
    for (fnn_int u = first; u < end; u++) {
        const fnn_int c = u % C;
        const real *restrict x = J->a + u * B;
        real *restrict y = J->out + u * B;
        const real mc = m[c], sc = s[c], bc = b[c];
        for (fnn_int j = 0; j < B; j++) y[j] = (x[j] - mc) * sc + bc;
    }
}

FNN_BLOCK_VARIANTS(FN(bn_apply_portable), FN(bn_apply_avx2), FN(bn_apply_body))

int FN(fastnn_batch_norm)(fnn_int outer, fnn_int channels, fnn_int inner, const real *x, const real *mean,
                          const real *variance, const real *gamma, const real *beta, double epsilon, real *y) {
    const bn_shape S = {outer, channels, inner};
    const fnn_int C = channels;
    if (bn_elements(&S) == 0) return 0;
    real *coefficients = malloc(sizeof(real) * (size_t)(2 * C));
    if (!coefficients) return -1;
    for (fnn_int c = 0; c < C; c++) {
        coefficients[c] = (real)((gamma ? (double)gamma[c] : 1.0) / sqrt((double)variance[c] + epsilon));
        coefficients[C + c] = beta ? beta[c] : 0;
    }
    FN(bn_job) J = {S, x, NULL, mean, coefficients, coefficients + C, NULL, y, 0};
    fastnn_parallel_blocks(bn_units(&S), bn_threads(&S, 1.0), FNN_PICK(FN(bn_apply_portable), FN(bn_apply_avx2)),
                           &J);
    free(coefficients);
    return 0;
}

/* dy sums of rows [first, end): part[c] := sum dy, part[C + c] := sum dy * (x - center[c]). */
FNN_INLINE void FN(bn_grad_sums_body)(const bn_shape *S, const real *restrict dy, const real *restrict x,
                                      const double *restrict center, fnn_int first, fnn_int end,
                                      double *restrict part) {
    const fnn_int C = S->channels, B = S->inner;
    double *restrict sum_dy = part, *restrict sum_dyx = part + C;
    const double *restrict m = center;
    memset(part, 0, (size_t)(2 * C) * sizeof(double));
    if (B == 1) {
        fnn_int r = first;
        for (; r + BN_ROWS <= end; r += BN_ROWS) {  /* as in bn_sums_body */
            const real *restrict d0 = dy + r * C, *restrict d1 = d0 + C, *restrict d2 = d1 + C, *restrict d3 = d2 + C;
            const real *restrict v0 = x + r * C, *restrict v1 = v0 + C, *restrict v2 = v1 + C, *restrict v3 = v2 + C;
            for (fnn_int c = 0; c < C; c++) {
                const double g0 = (double)d0[c], g1 = (double)d1[c], g2 = (double)d2[c], g3 = (double)d3[c];
                sum_dy[c] += (g0 + g1) + (g2 + g3);
                sum_dyx[c] += (g0 * ((double)v0[c] - m[c]) + g1 * ((double)v1[c] - m[c])) +
                              (g2 * ((double)v2[c] - m[c]) + g3 * ((double)v3[c] - m[c]));
            }
        }
        for (; r < end; r++) {
            const real *restrict d = dy + r * C, *restrict v = x + r * C;
            for (fnn_int c = 0; c < C; c++) {
                const double g = (double)d[c];
                sum_dy[c] += g;
                sum_dyx[c] += g * ((double)v[c] - m[c]);
            }
        }
        return;
    }
    for (fnn_int r = first; r < end; r++) {
        for (fnn_int c = 0; c < C; c++) {
            const real *restrict d = dy + (r * C + c) * B, *restrict v = x + (r * C + c) * B;
            double s = 0, sx = 0;
            for (fnn_int j = 0; j < B; j++) {
                const double g = (double)d[j];
                s += g;
                sx += g * ((double)v[j] - center[c]);
            }
            sum_dy[c] += s;
            sum_dyx[c] += sx;
        }
    }
}

static void FN(bn_grad_sums_portable)(const bn_shape *S, const real *dy, const real *x, const double *center,
                                      fnn_int first, fnn_int end, double *part) {
    FN(bn_grad_sums_body)(S, dy, x, center, first, end, part);
}
static FNN_TARGET_AVX2 void FN(bn_grad_sums_avx2)(const bn_shape *S, const real *dy, const real *x,
                                                  const double *center, fnn_int first, fnn_int end, double *part) {
    FN(bn_grad_sums_body)(S, dy, x, center, first, end, part);
}

/* Training: dx := scale[c] * (dy - shift[c] - (x - mean[c]) * slope[c]); inference: dx := scale[c] * dy;
 * over units [first, end). */
FNN_INLINE void FN(bn_input_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(bn_job) *J = ctx;
    const fnn_int C = J->S.channels, B = J->S.inner;
    const real *restrict m = J->mean, *restrict s = J->scale, *restrict b = J->shift, *restrict k = J->slope;
    const int training = J->training;
    if (B == 1) {
        for (fnn_int r = first; r < end; r++) {
            if (training)
                FN(bn_input_grad_row)(C, J->a + r * C, J->b + r * C, m, s, b, k, J->out + r * C);
            else
                FN(bn_scale_row)(C, J->b + r * C, s, J->out + r * C);
        }
        return;
    }
    for (fnn_int u = first; u < end; u++) {
        const fnn_int c = u % C;
        const real *restrict x = J->a + u * B, *restrict dy = J->b + u * B;
        real *restrict dx = J->out + u * B;
        const real mc = m[c], sc = s[c], bc = b[c], kc = k[c];
        if (training)
            for (fnn_int j = 0; j < B; j++) dx[j] = sc * (dy[j] - bc - (x[j] - mc) * kc);
        else
            for (fnn_int j = 0; j < B; j++) dx[j] = sc * dy[j];
    }
}

FNN_BLOCK_VARIANTS(FN(bn_input_grad_portable), FN(bn_input_grad_avx2), FN(bn_input_grad_body))

typedef void (*FN(bn_grad_sums_fn))(const bn_shape *, const real *, const real *, const double *, fnn_int, fnn_int,
                                    double *);

/* The gradient's pass of chunk sums: chunk k's into parts[2 k C] (sum dy) and parts[2 k C + C]. */
typedef struct {
    FN(bn_grad_sums_fn) sums;
    const bn_shape *S;
    fnn_int chunks;
    const real *dy, *x;
    const double *center;
    double *parts;
} FN(bn_grad_sums_pass);

static void FN(bn_grad_chunk_sums)(void *ctx, fnn_int first_chunk, fnn_int end_chunk, int slot) {
    (void)slot;
    const FN(bn_grad_sums_pass) *P = ctx;
    for (fnn_int k = first_chunk; k < end_chunk; k++) {
        fnn_int first, end;
        bn_chunk_rows(P->S, P->chunks, k, &first, &end);
        P->sums(P->S, P->dy, P->x, P->center, first, end, P->parts + 2 * k * P->S->channels);
    }
}

int FN(fastnn_batch_norm_grad)(fnn_int outer, fnn_int channels, fnn_int inner, const real *dy, const real *x,
                               const real *mean, const real *variance, const real *gamma, double epsilon, int training,
                               real *dx, real *dgamma, real *dbeta) {
    const bn_shape S = {outer, channels, inner};
    const fnn_int C = channels, count = outer * inner;
    if (C == 0) return 0;
    if (count == 0) {
        memset(dgamma, 0, (size_t)C * sizeof(real));
        memset(dbeta, 0, (size_t)C * sizeof(real));
        return 0;
    }
    const fnn_int chunks = bn_chunks(&S);
    double *parts = malloc(sizeof(double) * (size_t)(2 * chunks * C + C) + sizeof(real) * (size_t)(4 * C));
    if (!parts) return -1;
    double *center = parts + 2 * chunks * C;
    real *coefficients = (real *)(center + C);
    for (fnn_int c = 0; c < C; c++) {
        center[c] = (double)mean[c];
        coefficients[c] = mean[c];
    }
    FN(bn_job) J = {S, x, dy, coefficients, coefficients + C, coefficients + 2 * C, coefficients + 3 * C, dx, training};
    const fnn_int units = bn_units(&S);
    const int nt = bn_threads(&S, 2.0);
    FN(bn_grad_sums_pass) pass = {FNN_PICK(FN(bn_grad_sums_portable), FN(bn_grad_sums_avx2)), &S, chunks, dy, x, center,
                                  parts};
    fastnn_parallel_for(chunks, nt, FN(bn_grad_chunk_sums), &pass);
    for (fnn_int c = 0; c < C; c++) {
        double sum_dy = 0, sum_dyx = 0;
        for (fnn_int k = 0; k < chunks; k++) {
            sum_dy += parts[2 * k * C + c];
            sum_dyx += parts[2 * k * C + C + c];
        }
        const double inv = 1.0 / sqrt((double)variance[c] + epsilon);
        const double g = gamma ? (double)gamma[c] : 1.0;
        dbeta[c] = (real)sum_dy;
        dgamma[c] = (real)(sum_dyx * inv);
        coefficients[C + c] = (real)(g * inv);
        coefficients[2 * C + c] = (real)(sum_dy / (double)count);
        coefficients[3 * C + c] = (real)(sum_dyx * inv * inv / (double)count);
    }
    fastnn_parallel_blocks(units, nt, FNN_PICK(FN(bn_input_grad_portable), FN(bn_input_grad_avx2)), &J);
    free(parts);
    return 0;
}

#undef real
#endif
