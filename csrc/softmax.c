/* Row softmax and its gradient, fused softmax-cross-entropy and its gradient.
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double. Every row is handled by one thread
 * from start to end, so its sums never depend on the thread count.
 */
#ifndef FNN_REAL
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dispatch.h"
#include "expmath.h"

/* Exp-heavy rows cost about this many element operations per element. */
#define EXP_WORK 4.0

#define FNN_TYPED_FILE "softmax.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

FNN_INLINE real FN(row_max)(const real *x, fnn_int k) {
    real lane[FNN_LANES];
    fnn_int j = 0;
    for (int l = 0; l < FNN_LANES; l++) lane[l] = x[0];
    for (; j + FNN_LANES <= k; j += FNN_LANES)
        for (int l = 0; l < FNN_LANES; l++) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    real m = lane[0];
    for (int l = 1; l < FNN_LANES; l++) m = lane[l] > m ? lane[l] : m;
    for (; j < k; j++) m = x[j] > m ? x[j] : m;
    return m;
}

/* sum_j a[j] (b == NULL) or sum_j a[j] * b[j], in FNN_LANES lanes then the tail. */
FNN_INLINE real FN(row_sum)(const real *a, const real *b, fnn_int k) {
    real lane[FNN_LANES] = {0};
    fnn_int j = 0;
    if (b) {
        for (; j + FNN_LANES <= k; j += FNN_LANES)
            for (int l = 0; l < FNN_LANES; l++) lane[l] += a[j + l] * b[j + l];
    } else {
        for (; j + FNN_LANES <= k; j += FNN_LANES)
            for (int l = 0; l < FNN_LANES; l++) lane[l] += a[j + l];
    }
    real s = 0;
    for (int l = 0; l < FNN_LANES; l++) s += lane[l];
    for (; j < k; j++) s += b ? a[j] * b[j] : a[j];
    return s;
}

/* out := exp(x - max(x)); returns the sum of out. */
FNN_INLINE real FN(exp_shifted)(const real *x, real *out, fnn_int k) {
    const real m = FN(row_max)(x, k);
    for (fnn_int j = 0; j < k; j++) out[j] = FN(exp_nonpositive)(x[j] - m);
    return FN(row_sum)(out, NULL, k);
}

typedef struct {
    fnn_int k;
    const real *a, *b; /* softmax: x; grad: dy, y; xent: logits, target (or NULL) */
    fnn_int a_rs, b_rs;
    const fnn_int *classes;
    real *out, *loss;
    fnn_int out_rs;
    double scale;
} FN(row_job);

FNN_INLINE void FN(softmax_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(row_job) *J = ctx;
    const fnn_int k = J->k;
    for (fnn_int i = first; i < end; i++) {
        real *o = J->out + i * J->out_rs;
        const real s = FN(exp_shifted)(J->a + i * J->a_rs, o, k);
        for (fnn_int j = 0; j < k; j++) o[j] = o[j] / s;
    }
}

FNN_INLINE void FN(softmax_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(row_job) *J = ctx;
    const fnn_int k = J->k;
    for (fnn_int i = first; i < end; i++) {
        const real *dy = J->a + i * J->a_rs, *y = J->b + i * J->b_rs;
        real *o = J->out + i * J->out_rs;
        const real dot = FN(row_sum)(dy, y, k);
        for (fnn_int j = 0; j < k; j++) o[j] = y[j] * (dy[j] - dot);
    }
}

FNN_INLINE void FN(xent_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(row_job) *J = ctx;
    const fnn_int k = J->k;
    for (fnn_int i = first; i < end; i++) {
        const real *x = J->a + i * J->a_rs;
        real *p = J->out + i * k;
        const real m = FN(row_max)(x, k);
        for (fnn_int j = 0; j < k; j++) p[j] = FN(exp_nonpositive)(x[j] - m);
        const real s = FN(row_sum)(p, NULL, k);
        const real log_z = (real)log((double)s);
        real loss;
        if (J->b) {
            const real *t = J->b + i * J->b_rs;
            real lane[FNN_LANES] = {0};
            fnn_int j = 0;
            for (; j + FNN_LANES <= k; j += FNN_LANES)
                for (int l = 0; l < FNN_LANES; l++) lane[l] += t[j + l] * (log_z - (x[j + l] - m));
            loss = 0;
            for (int l = 0; l < FNN_LANES; l++) loss += lane[l];
            for (; j < k; j++) loss += t[j] * (log_z - (x[j] - m));
        } else {
            loss = log_z - (x[J->classes[i]] - m);
        }
        J->loss[i] = loss;
        for (fnn_int j = 0; j < k; j++) p[j] = p[j] / s;
    }
}

FNN_INLINE void FN(xent_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(row_job) *J = ctx;
    const fnn_int k = J->k;
    const real scale = (real)J->scale;
    for (fnn_int i = first; i < end; i++) {
        const real *p = J->a + i * J->a_rs;
        real *o = J->out + i * k;
        if (J->b) {
            const real *t = J->b + i * J->b_rs;
            const real total = FN(row_sum)(t, NULL, k);
            for (fnn_int j = 0; j < k; j++) o[j] = scale * (p[j] * total - t[j]);
        } else {
            for (fnn_int j = 0; j < k; j++) o[j] = scale * p[j];
            const fnn_int c = J->classes[i];
            o[c] = scale * (p[c] - 1);
        }
    }
}

FNN_BLOCK_VARIANTS(FN(softmax_portable), FN(softmax_avx2), FN(softmax_body))
FNN_BLOCK_VARIANTS(FN(softmax_grad_portable), FN(softmax_grad_avx2), FN(softmax_grad_body))
FNN_BLOCK_VARIANTS(FN(xent_portable), FN(xent_avx2), FN(xent_body))
FNN_BLOCK_VARIANTS(FN(xent_grad_portable), FN(xent_grad_avx2), FN(xent_grad_body))

void FN(fastnn_softmax)(fnn_int rows, fnn_int k, const real *x, fnn_int x_rs, real *out, fnn_int out_rs) {
    if (k <= 0) return;
    FN(row_job) J = {.k = k, .a = x, .a_rs = x_rs, .out = out, .out_rs = out_rs};
    fastnn_parallel_blocks(rows, fastnn_threads_for(EXP_WORK * rows * k),
                           FNN_PICK(FN(softmax_portable), FN(softmax_avx2)), &J);
}

void FN(fastnn_softmax_grad)(fnn_int rows, fnn_int k, const real *dy, fnn_int dy_rs, const real *y, fnn_int y_rs,
                             real *out, fnn_int out_rs) {
    if (k <= 0) return;
    FN(row_job) J = {.k = k, .a = dy, .a_rs = dy_rs, .b = y, .b_rs = y_rs, .out = out, .out_rs = out_rs};
    fastnn_parallel_blocks(rows, fastnn_threads_for((double)rows * k),
                           FNN_PICK(FN(softmax_grad_portable), FN(softmax_grad_avx2)), &J);
}

void FN(fastnn_softmax_xent)(fnn_int rows, fnn_int k, const real *logits, fnn_int logits_rs, const real *target,
                             fnn_int target_rs, const fnn_int *classes, real *loss, real *probs) {
    if (k <= 0) {
        for (fnn_int i = 0; i < rows; i++) loss[i] = 0;
        return;
    }
    FN(row_job) J = {.k = k, .a = logits, .a_rs = logits_rs, .b = target, .b_rs = target_rs,
                     .classes = classes, .out = probs, .loss = loss};
    fastnn_parallel_blocks(rows, fastnn_threads_for(EXP_WORK * rows * k),
                           FNN_PICK(FN(xent_portable), FN(xent_avx2)), &J);
}

void FN(fastnn_softmax_xent_grad)(fnn_int rows, fnn_int k, const real *probs, fnn_int probs_rs, const real *target,
                                  fnn_int target_rs, const fnn_int *classes, double scale, real *out) {
    if (k <= 0) return;
    FN(row_job) J = {.k = k, .a = probs, .a_rs = probs_rs, .b = target, .b_rs = target_rs,
                     .classes = classes, .out = out, .scale = scale};
    fastnn_parallel_blocks(rows, fastnn_threads_for((double)rows * k),
                           FNN_PICK(FN(xent_grad_portable), FN(xent_grad_avx2)), &J);
}

#undef real
#endif
