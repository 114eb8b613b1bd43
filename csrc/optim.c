/* Optimizer steps, in place, one call each: an optional pass that sums the squared
 * gradients (for norm clipping), then one pass that clips the gradient, decays the
 * parameter and applies the update.
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double. Elements are processed in fixed
 * blocks (or, when gradients are clipped by norm, in fixed chunks of each
 * segment), so which code path updates an element and the order of every sum
 * never depend on the thread count.
 */
#ifndef FNN_REAL
#include <math.h>
#include <stdlib.h>

#include "dispatch.h"

#define BLOCK 4096
/* Element operations per parameter, roughly, for fastnn_threads_for. */
#define STEP_WORK 8.0

typedef struct {
    fnn_int n;
    void *param, *s1, *s2, *s3; /* state arrays; NULL when unused */
    const void *grad;
    double lr, c[8], epsilon;
    int flag;
    double clipvalue, decay;
    const fnn_int *chunk_lo; /* nchunks + 1 bounds of the work units, or NULL for fixed blocks */
    const double *chunk_scale; /* gradient scale per work unit, or NULL for 1 */
    double *partial;           /* the norm pass: sum of squares per work unit */
} step_job;

/* Work units of the norm pass and the update when gradients are clipped by norm:
 * each segment cut into BLOCK-long chunks. */
typedef struct {
    fnn_int count;
    fnn_int *lo;    /* count + 1 bounds */
    fnn_int *owner; /* segment of each chunk */
    double *scale, *partial;
} chunk_plan;

static int plan_chunks(chunk_plan *P, fnn_int n, const fnn_step_options *opt) {
    fnn_int segments = opt->n_segments > 0 ? opt->n_segments : 1;
    fnn_int count = 0, start = 0;
    for (fnn_int s = 0; s < segments; s++) {
        fnn_int end = opt->n_segments > 0 ? opt->segment_ends[s] : n;
        count += (end - start + BLOCK - 1) / BLOCK;
        start = end;
    }
    P->count = count;
    P->lo = malloc(sizeof(fnn_int) * (count + 1));
    P->owner = malloc(sizeof(fnn_int) * (count + 1));
    P->scale = malloc(sizeof(double) * (count + 1));
    P->partial = malloc(sizeof(double) * (count + 1));
    if (!P->lo || !P->owner || !P->scale || !P->partial) return -1;
    fnn_int c = 0;
    start = 0;
    for (fnn_int s = 0; s < segments; s++) {
        fnn_int end = opt->n_segments > 0 ? opt->segment_ends[s] : n;
        for (fnn_int lo = start; lo < end; lo += BLOCK) {
            P->lo[c] = lo;
            P->owner[c++] = s;
        }
        start = end;
    }
    P->lo[count] = n;
    return 0;
}

static void free_chunks(chunk_plan *P) {
    free(P->lo);
    free(P->owner);
    free(P->scale);
    free(P->partial);
}

/* Scales from the chunks' sums of squares, added in chunk order: clipnorm per segment
 * (scale clip / max(norm, clip); NaN for a NaN norm), global_clipnorm over all (NaN for a
 * non-finite norm). */
static void chunk_scales(chunk_plan *P, const fnn_step_options *opt) {
    if (opt->global_clipnorm > 0) {
        double total = 0;
        for (fnn_int c = 0; c < P->count; c++) total += P->partial[c];
        double norm = sqrt(total), clip = opt->global_clipnorm;
        double scale = isfinite(norm) ? clip / (norm > clip ? norm : clip) : NAN;
        for (fnn_int c = 0; c < P->count; c++) P->scale[c] = scale;
        return;
    }
    for (fnn_int first = 0; first < P->count;) {
        fnn_int end = first;
        double total = 0;
        while (end < P->count && P->owner[end] == P->owner[first]) total += P->partial[end++];
        double norm = sqrt(total), clip = opt->clipnorm;
        double scale = isnan(norm) ? NAN : clip / (norm > clip ? norm : clip);
        for (fnn_int c = first; c < end; c++) P->scale[c] = scale;
        first = end;
    }
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

/* Binds work unit b of job J: p, g, states s1..s3, the unit's length, gradient scale,
 * clip bound and decay factor. */
#define BLOCK_ARRAYS(J, b)                                                              \
    const fnn_int lo_ = (J)->chunk_lo ? (J)->chunk_lo[b] : (b) * BLOCK;                 \
    const fnn_int hi_ = (J)->chunk_lo ? (J)->chunk_lo[(b) + 1]                          \
                                      : ((J)->n - lo_ < BLOCK ? (J)->n : lo_ + BLOCK);  \
    const fnn_int len = hi_ - lo_;                                                      \
    real *restrict p = (real *)(J)->param + lo_;                                        \
    const real *restrict g = (const real *)(J)->grad + lo_;                             \
    real *restrict s1 = (J)->s1 ? (real *)(J)->s1 + lo_ : NULL;                         \
    real *restrict s2 = (J)->s2 ? (real *)(J)->s2 + lo_ : NULL;                         \
    real *restrict s3 = (J)->s3 ? (real *)(J)->s3 + lo_ : NULL;                         \
    const real scale_ = (J)->chunk_scale ? (real)(J)->chunk_scale[b] : (real)1;         \
    const real clip_ = (real)(J)->clipvalue, decay_ = (real)(J)->decay;                 \
    (void)p;                                                                            \
    (void)decay_;                                                                       \
    (void)s1;                                                                           \
    (void)s2;                                                                           \
    (void)s3

/* The gradient element after clipping (NaN stays NaN), and the parameter element after
 * decay. Each body is compiled twice: `plain` (a constant) leaves both out, for steps with
 * no clipping and no decay. */
#define GRAD(x) (plain ? (x) : ((x) > clip_ ? clip_ : ((x) < -clip_ ? -clip_ : (x))) * scale_)
#define DECAYED(x) (plain || decay_ == 0 ? (x) : (x) - (x) * decay_)

FNN_INLINE void FN(sumsq_body)(void *ctx, fnn_int first, fnn_int end) {
    const step_job *J = ctx;
    const int plain = 0;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        double lane[FNN_LANES] = {0};
        fnn_int i = 0;
        for (; i + FNN_LANES <= len; i += FNN_LANES)
            for (int l = 0; l < FNN_LANES; l++) {
                double x = (double)GRAD(g[i + l]);
                lane[l] += x * x;
            }
        double s = 0;
        for (int l = 0; l < FNN_LANES; l++) s += lane[l];
        for (; i < len; i++) {
            double x = (double)GRAD(g[i]);
            s += x * x;
        }
        J->partial[b] = s;
    }
}

FNN_INLINE void FN(sgd_body)(void *ctx, fnn_int first, fnn_int end, const int plain) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, mu = (real)J->c[0];
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        if (!s1) {
            for (fnn_int i = 0; i < len; i++) p[i] = DECAYED(p[i]) - lr * GRAD(g[i]);
        } else if (J->flag) {
            for (fnn_int i = 0; i < len; i++) {
                real gi = GRAD(g[i]);
                real v = mu * s1[i] - lr * gi;
                s1[i] = v;
                p[i] = DECAYED(p[i]) + (mu * v - lr * gi);
            }
        } else {
            for (fnn_int i = 0; i < len; i++) {
                real v = mu * s1[i] - lr * GRAD(g[i]);
                s1[i] = v;
                p[i] = DECAYED(p[i]) + v;
            }
        }
    }
}

/* s1 mean square, s2 momentum buffer (or NULL), s3 average gradient when centered (or NULL). */
FNN_INLINE void FN(rmsprop_body)(void *ctx, fnn_int first, fnn_int end, const int plain) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, rho = (real)J->c[0], one_minus_rho = (real)(1 - J->c[0]);
    const real mu = (real)J->c[1], eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real gi = GRAD(g[i]);
            real ms = rho * s1[i] + one_minus_rho * gi * gi;
            s1[i] = ms;
            real denominator;
            if (s3) {
                real ag = rho * s3[i] + one_minus_rho * gi;
                s3[i] = ag;
                denominator = ms - ag * ag + eps;
            } else {
                denominator = ms + eps;
            }
            real increment = lr * gi / SQRT(denominator);
            if (s2) {
                real mom = mu * s2[i] + increment;
                s2[i] = mom;
                p[i] = DECAYED(p[i]) - mom;
            } else {
                p[i] = DECAYED(p[i]) - increment;
            }
        }
    }
}

FNN_INLINE void FN(adagrad_body)(void *ctx, fnn_int first, fnn_int end, const int plain) {
    const step_job *J = ctx;
    const real lr = (real)J->lr, eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real gi = GRAD(g[i]);
            real acc = s1[i] + gi * gi;
            s1[i] = acc;
            p[i] = DECAYED(p[i]) - lr * gi / SQRT(acc + eps);
        }
    }
}

/* Adam's moment estimates, which Nadam shares: m = s1 + (g - s1) (1 - beta_1) and
 * v = s2 + (g^2 - s2) (1 - beta_2), stored into *s1 and *s2 as well. */
FNN_INLINE void FN(adam_moments)(real gi, real one_minus_b1, real one_minus_b2, real *s1, real *s2, real *m, real *v) {
    *m = *s1 + (gi - *s1) * one_minus_b1;
    *v = *s2 + (gi * gi - *s2) * one_minus_b2;
    *s1 = *m;
    *s2 = *v;
}

/* s1 m, s2 v, s3 v_max with amsgrad (or NULL). The update itself is formed in double, as
 * NumPy does with a float64 alpha (J->lr). */
FNN_INLINE void FN(adam_body)(void *ctx, fnn_int first, fnn_int end, const int plain) {
    const step_job *J = ctx;
    const double alpha = J->lr;
    const real one_minus_b1 = (real)(1 - J->c[0]), one_minus_b2 = (real)(1 - J->c[1]), eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real gi = GRAD(g[i]);
            real m, v;
            FN(adam_moments)(gi, one_minus_b1, one_minus_b2, &s1[i], &s2[i], &m, &v);
            if (s3) { /* maximum(v_max, v), NaN from either side kept */
                v = (s3[i] >= v || s3[i] != s3[i]) ? s3[i] : v;
                s3[i] = v;
            }
            real pi = DECAYED(p[i]);
            p[i] = (real)((double)pi - alpha * (double)m / (double)(SQRT(v) + eps));
        }
    }
}

/* s1 m, s2 v; c = beta_1, beta_2, u_(t+1), 1 - u_product_(t+1), 1 - u_t, 1 - u_product_t,
 * 1 - beta_2^t (see fastnn.reference.nadam_step). */
FNN_INLINE void FN(nadam_body)(void *ctx, fnn_int first, fnn_int end, const int plain) {
    const step_job *J = ctx;
    const real one_minus_b1 = (real)(1 - J->c[0]), one_minus_b2 = (real)(1 - J->c[1]);
    const real u_next = (real)J->c[2], d_next = (real)J->c[3], one_minus_u = (real)J->c[4], d_now = (real)J->c[5];
    const real v_correction = (real)J->c[6], lr = (real)J->lr, eps = (real)J->epsilon;
    for (fnn_int b = first; b < end; b++) {
        BLOCK_ARRAYS(J, b);
        for (fnn_int i = 0; i < len; i++) {
            real gi = GRAD(g[i]);
            real m, v;
            FN(adam_moments)(gi, one_minus_b1, one_minus_b2, &s1[i], &s2[i], &m, &v);
            real m_hat = u_next * m / d_next + one_minus_u * gi / d_now;
            p[i] = DECAYED(p[i]) - m_hat * lr / (SQRT(v / v_correction) + eps);
        }
    }
}

FNN_BLOCK_VARIANTS(FN(sumsq_portable), FN(sumsq_avx2), FN(sumsq_body))

/* k's block functions: k_plain (no clipping, no decay) and k_full, each portable and AVX2. */
#define STEP_VARIANTS(k)                                                                              \
    FNN_INLINE void FN(k##_plain)(void *ctx, fnn_int first, fnn_int end) { FN(k##_body)(ctx, first, end, 1); } \
    FNN_INLINE void FN(k##_full)(void *ctx, fnn_int first, fnn_int end) { FN(k##_body)(ctx, first, end, 0); }  \
    FNN_BLOCK_VARIANTS(FN(k##_plain_portable), FN(k##_plain_avx2), FN(k##_plain))                     \
    FNN_BLOCK_VARIANTS(FN(k##_full_portable), FN(k##_full_avx2), FN(k##_full))

STEP_VARIANTS(sgd)
STEP_VARIANTS(rmsprop)
STEP_VARIANTS(adagrad)
STEP_VARIANTS(adam)
STEP_VARIANTS(nadam)
#undef STEP_VARIANTS

/* Runs `update` over the job's elements; first, for norm clipping, the squared-gradient pass
 * and the scales. Returns 0, or -1 when memory for the chunk plan could not be had. */
/* The plain update (no clipping, no decay) or the full one, each for the CPU's ISA. */
#define PICK_STEP(k)                                                                        \
    (opt->clipvalue == INFINITY && opt->decay == 0 && !(opt->clipnorm > 0) && !(opt->global_clipnorm > 0) \
         ? FNN_PICK(FN(k##_plain_portable), FN(k##_plain_avx2))                             \
         : FNN_PICK(FN(k##_full_portable), FN(k##_full_avx2)))

static int FN(run_step)(step_job *J, fastnn_block_fn update, const fnn_step_options *opt) {
    int threads = fastnn_threads_for(STEP_WORK * J->n);
    J->clipvalue = opt->clipvalue;
    J->decay = opt->decay;
    if (!(opt->clipnorm > 0 || opt->global_clipnorm > 0)) {
        fastnn_parallel_blocks((J->n + BLOCK - 1) / BLOCK, threads, update, J);
        return 0;
    }
    chunk_plan P;
    int status = plan_chunks(&P, J->n, opt);
    if (status == 0) {
        J->chunk_lo = P.lo;
        J->partial = P.partial;
        fastnn_parallel_blocks(P.count, threads, FNN_PICK(FN(sumsq_portable), FN(sumsq_avx2)), J);
        chunk_scales(&P, opt);
        J->chunk_scale = P.scale;
        fastnn_parallel_blocks(P.count, threads, update, J);
    }
    free_chunks(&P);
    return status;
}

int FN(fastnn_sgd_step)(fnn_int n, real *param, const real *grad, real *velocity, double lr, double momentum,
                        int nesterov, const fnn_step_options *opt) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = velocity, .lr = lr, .c = {momentum}, .flag = nesterov};
    return FN(run_step)(&J, PICK_STEP(sgd), opt);
}

int FN(fastnn_rmsprop_step)(fnn_int n, real *param, const real *grad, real *mean_square, real *momentum_buffer,
                            real *average_grad, double lr, double rho, double momentum, double epsilon,
                            const fnn_step_options *opt) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = mean_square, .s2 = momentum_buffer,
                  .s3 = average_grad, .lr = lr, .c = {rho, momentum}, .epsilon = epsilon};
    return FN(run_step)(&J, PICK_STEP(rmsprop), opt);
}

int FN(fastnn_adagrad_step)(fnn_int n, real *param, const real *grad, real *accumulator, double lr,
                            double epsilon, const fnn_step_options *opt) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = accumulator, .lr = lr, .epsilon = epsilon};
    return FN(run_step)(&J, PICK_STEP(adagrad), opt);
}

int FN(fastnn_adam_step)(fnn_int n, real *param, const real *grad, real *m, real *v, real *v_max, double alpha,
                         double beta_1, double beta_2, double epsilon, const fnn_step_options *opt) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = m, .s2 = v, .s3 = v_max, .lr = alpha,
                  .c = {beta_1, beta_2}, .epsilon = epsilon};
    return FN(run_step)(&J, PICK_STEP(adam), opt);
}

int FN(fastnn_nadam_step)(fnn_int n, real *param, const real *grad, real *m, real *v, double lr,
                          const double coefficients[7], double epsilon, const fnn_step_options *opt) {
    step_job J = {.n = n, .param = param, .grad = grad, .s1 = m, .s2 = v, .lr = lr, .epsilon = epsilon};
    for (int k = 0; k < 7; k++) J.c[k] = coefficients[k];
    return FN(run_step)(&J, PICK_STEP(nadam), opt);
}

#undef GRAD
#undef PICK_STEP
#undef DECAYED
#undef BLOCK_ARRAYS
#undef real
#endif
