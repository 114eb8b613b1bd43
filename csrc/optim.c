/* Optimizer steps, in place, one pass over the parameters each.
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double. Elements are processed in fixed
 * blocks, so which code path (vector body or remainder) updates an element
 * never depends on the thread count.
 */
#ifndef FNN_REAL
#include <math.h>

#include "dispatch.h"

#define BLOCK 4096
/* Element operations per parameter, roughly, for fastnn_threads_for. */
#define STEP_WORK 8.0

typedef struct {
    fnn_int n;
    void *param, *s1, *s2; /* state arrays; NULL when unused */
    const void *grad;
    double lr, c1, c2, c3, epsilon;
    int flag;
} step_job;

static void run_step(step_job *J, fastnn_block_fn fn) {
    fnn_int blocks = (J->n + BLOCK - 1) / BLOCK;
    fastnn_parallel_blocks(blocks, fastnn_threads_for(STEP_WORK * J->n), fn, J);
}

#define FNN_REAL float
#define FN(name) name##_f32
#define SQRT sqrtf
#include "optim.c"
#undef FNN_REAL
#undef FN
#undef SQRT
#define FNN_REAL double
#define FN(name) name##_f64
#define SQRT sqrt
#include "optim.c"

#else /* typed part */
#define real FNN_REAL

/* Binds the typed arrays of block b of job J: p, g, and states s1, s2. */
#define BLOCK_ARRAYS(J, b)                                                     \
    const fnn_int lo_ = (b) * BLOCK;                                           \
    const fnn_int len = (J)->n - lo_ < BLOCK ? (J)->n - lo_ : BLOCK;           \
    real *restrict p = (real *)(J)->param + lo_;                               \
    const real *restrict g = (const real *)(J)->grad + lo_;                    \
    real *restrict s1 = (J)->s1 ? (real *)(J)->s1 + lo_ : NULL;                \
    real *restrict s2 = (J)->s2 ? (real *)(J)->s2 + lo_ : NULL;                \
    (void)s1;                                                                  \
    (void)s2

FNN_INLINE void FN(sgd_body)(void *ctx, fnn_int first, fnn_int end) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, mu = (real)J->c1;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        if (!s1) {
            for (fnn_int i = 0; i < len; i++) p[i] -= lr * g[i];
        } else if (J->flag) {
            for (fnn_int i = 0; i < len; i++) {
                real v = mu * s1[i] - lr * g[i];
                s1[i] = v;
                p[i] += mu * v - lr * g[i];
            }
        } else {
            for (fnn_int i = 0; i < len; i++) {
                real v = mu * s1[i] - lr * g[i];
                s1[i] = v;
                p[i] += v;
            }
        }
    }
}

FNN_INLINE void FN(rmsprop_body)(void *ctx, fnn_int first, fnn_int end) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, rho = (real)J->c1, one_minus_rho = (real)(1 - J->c1);
    const real mu = (real)J->c2, eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        if (s2) {
            for (fnn_int i = 0; i < len; i++) {
                real ms = rho * s1[i] + one_minus_rho * g[i] * g[i];
                s1[i] = ms;
                real mom = mu * s2[i] + lr * g[i] / SQRT(ms + eps);
                s2[i] = mom;
                p[i] -= mom;
            }
        } else {
            for (fnn_int i = 0; i < len; i++) {
                real ms = rho * s1[i] + one_minus_rho * g[i] * g[i];
                s1[i] = ms;
                p[i] -= lr * g[i] / SQRT(ms + eps);
            }
        }
    }
}

FNN_INLINE void FN(adagrad_body)(void *ctx, fnn_int first, fnn_int end) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real acc = s1[i] + g[i] * g[i];
            s1[i] = acc;
            p[i] -= lr * g[i] / SQRT(acc + eps);
        }
    }
}

/* The update itself is formed in double, as NumPy does with a float64 alpha. */
FNN_INLINE void FN(adam_body)(void *ctx, fnn_int first, fnn_int end) {
    const step_job *J = ctx;
    const double alpha = J->lr;
    const real one_minus_b1 = (real)(1 - J->c1), one_minus_b2 = (real)(1 - J->c2), eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real m = s1[i] + (g[i] - s1[i]) * one_minus_b1;
            real v = s2[i] + (g[i] * g[i] - s2[i]) * one_minus_b2;
            s1[i] = m;
            s2[i] = v;
            p[i] = (real)((double)p[i] - alpha * (double)m / (double)(SQRT(v) + eps));
        }
    }
}

FNN_BLOCK_VARIANTS(FN(sgd_portable), FN(sgd_avx2), FN(sgd_body))
FNN_BLOCK_VARIANTS(FN(rmsprop_portable), FN(rmsprop_avx2), FN(rmsprop_body))
FNN_BLOCK_VARIANTS(FN(adagrad_portable), FN(adagrad_avx2), FN(adagrad_body))
FNN_BLOCK_VARIANTS(FN(adam_portable), FN(adam_avx2), FN(adam_body))

void FN(fastnn_sgd_step)(fnn_int n, real *param, const real *grad, real *velocity, double lr, double momentum,
                         int nesterov) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = velocity, .lr = lr, .c1 = momentum, .flag = nesterov};
    run_step(&J, FNN_PICK(FN(sgd_portable), FN(sgd_avx2)));
}

void FN(fastnn_rmsprop_step)(fnn_int n, real *param, const real *grad, real *mean_square, real *momentum_buffer,
                             double lr, double rho, double momentum, double epsilon) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = mean_square, .s2 = momentum_buffer,
                  .lr = lr, .c1 = rho, .c2 = momentum, .epsilon = epsilon};
    run_step(&J, FNN_PICK(FN(rmsprop_portable), FN(rmsprop_avx2)));
}

void FN(fastnn_adagrad_step)(fnn_int n, real *param, const real *grad, real *accumulator, double lr,
                             double epsilon) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = accumulator, .lr = lr, .epsilon = epsilon};
    run_step(&J, FNN_PICK(FN(adagrad_portable), FN(adagrad_avx2)));
}

void FN(fastnn_adam_step)(fnn_int n, real *param, const real *grad, real *m, real *v, double alpha,
                          double beta_1, double beta_2, double epsilon) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = m, .s2 = v, .lr = alpha,
                  .c1 = beta_1, .c2 = beta_2, .epsilon = epsilon};
    run_step(&J, FNN_PICK(FN(adam_portable), FN(adam_avx2)));
}

#undef BLOCK_ARRAYS
#undef real
#endif
