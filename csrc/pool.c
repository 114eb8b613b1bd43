/* 2-D max and average pooling over NHWC images, and their gradients.
 *
 * Forward passes split the output rows (n, oh) among the threads; gradients split the
 * images, each thread zeroing and then scattering into its own images, windows in
 * row-major order, so every sum is made in the same order at any thread count; a gradient
 * may be masked by a relu's output (relu's gradient folded in), as it is written when the
 * windows do not overlap, else afterwards.
 * The part after #else is typed: this file includes itself once for float, once for double.
 */
#ifndef FNN_REAL
#include <string.h>

#include "dispatch.h"

/* Channels handled together by max_pool2d_grad's argmax search (stack arrays). */
#define POOL_CHANNELS 64

typedef struct {
    fnn_int n, h, w, c, ph, pw, oh, ow, sh, sw, pt, pl;
} pool_geom;

static pool_geom pool_geom_read(const fnn_int *g) {
    pool_geom G = {g[FASTNN_CONV_N], g[FASTNN_CONV_H], g[FASTNN_CONV_W], g[FASTNN_CONV_C],
                   g[FASTNN_CONV_KH], g[FASTNN_CONV_KW], g[FASTNN_CONV_OH], g[FASTNN_CONV_OW],
                   g[FASTNN_CONV_SH], g[FASTNN_CONV_SW], g[FASTNN_CONV_PAD_TOP], g[FASTNN_CONV_PAD_LEFT]};
    return G;
}

/* The window of output (oh, ow) clipped to the image: rows [*h0, *h1), columns [*w0, *w1). */
static inline void pool_window(const pool_geom *G, fnn_int oh, fnn_int ow, fnn_int *h0, fnn_int *h1,
                               fnn_int *w0, fnn_int *w1) {
    fnn_int top = oh * G->sh - G->pt, left = ow * G->sw - G->pl;
    *h0 = top < 0 ? 0 : top;
    *h1 = top + G->ph < G->h ? top + G->ph : G->h;
    *w0 = left < 0 ? 0 : left;
    *w1 = left + G->pw < G->w ? left + G->pw : G->w;
}

#define FNN_TYPED_FILE "pool.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

typedef struct {
    pool_geom G;
    const real *x, *dy, *mask;
    real *out;
} FN(pool_job);

/* b replaces the running maximum a when it is larger, or a NaN where a is a number. */
static inline int FN(pool_takes)(real b, real a) { return b > a || (b != b && a == a); }

FNN_INLINE void FN(avg_pool_rows_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(pool_job) *J = ctx;
    const pool_geom *G = &J->G;
    const fnn_int C = G->c;
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / G->oh, oh = r % G->oh;
        const real *image = J->x + n * G->h * G->w * C;
        for (fnn_int ow = 0; ow < G->ow; ow++) {
            real *restrict y = J->out + (r * G->ow + ow) * C;
            fnn_int h0, h1, w0, w1;
            pool_window(G, oh, ow, &h0, &h1, &w0, &w1);
            memcpy(y, image + (h0 * G->w + w0) * C, (size_t)C * sizeof(real));
            for (fnn_int ih = h0; ih < h1; ih++) {
                for (fnn_int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++) {
                    const real *restrict s = image + (ih * G->w + iw) * C;
                    for (fnn_int c = 0; c < C; c++) y[c] += s[c];
                }
            }
            const real count = (real)((h1 - h0) * (w1 - w0));
            for (fnn_int c = 0; c < C; c++) y[c] /= count;
        }
    }
}

/* dx := mask > 0 ? dx : 0 over one image, when there is a mask. */
FNN_INLINE void FN(pool_mask)(const real *mask, real *dx, fnn_int size) {
    if (mask)
        for (fnn_int i = 0; i < size; i++) dx[i] = mask[i] > 0 ? dx[i] : 0;
}

/* Windows that may overlap: each dy added at its window's argmax, found by tracking. */
FNN_INLINE void FN(max_pool_grad_scatter)(const pool_geom *G, const real *image, const real *dy_image,
                                           real *dx) {
    const fnn_int C = G->c;
    real best[POOL_CHANNELS];
    fnn_int where[POOL_CHANNELS];
    for (fnn_int oh = 0; oh < G->oh; oh++) {
        for (fnn_int ow = 0; ow < G->ow; ow++) {
            const real *dy = dy_image + (oh * G->ow + ow) * C;
            fnn_int h0, h1, w0, w1;
            pool_window(G, oh, ow, &h0, &h1, &w0, &w1);
            for (fnn_int c0 = 0; c0 < C; c0 += POOL_CHANNELS) {
                const fnn_int cols = C - c0 < POOL_CHANNELS ? C - c0 : POOL_CHANNELS;
                const fnn_int start = (h0 * G->w + w0) * C + c0;
                for (fnn_int c = 0; c < cols; c++) {
                    best[c] = image[start + c];
                    where[c] = start + c;
                }
                for (fnn_int ih = h0; ih < h1; ih++) {
                    for (fnn_int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++) {
                        const fnn_int at = (ih * G->w + iw) * C + c0;
                        for (fnn_int c = 0; c < cols; c++) {
                            const int take = FN(pool_takes)(image[at + c], best[c]);
                            best[c] = take ? image[at + c] : best[c];
                            where[c] = take ? at + c : where[c];
                        }
                    }
                }
                for (fnn_int c = 0; c < cols; c++) dx[where[c]] += dy[c0 + c];
            }
        }
    }
}

/* Windows that do not overlap, window (oh, ow), channels [c_begin, C): each position is
 * written once, dy at the window's first maximum (the first position equal to the maximum,
 * or the first NaN) where the mask (if any) is > 0, 0 elsewhere. */
FNN_INLINE void FN(max_pool_grad_window)(const pool_geom *G, const real *image, const real *dy_image,
                                          const real *mask, real *dx, fnn_int oh, fnn_int ow, fnn_int c_begin) {
    const fnn_int C = G->c;
    real best[POOL_CHANNELS];
    int taken[POOL_CHANNELS];
    const real *restrict dy = dy_image + (oh * G->ow + ow) * C;
    fnn_int h0, h1, w0, w1;
    pool_window(G, oh, ow, &h0, &h1, &w0, &w1);
    for (fnn_int c0 = c_begin; c0 < C; c0 += POOL_CHANNELS) {
        const fnn_int cols = C - c0 < POOL_CHANNELS ? C - c0 : POOL_CHANNELS;
        const real *restrict first = image + (h0 * G->w + w0) * C + c0;
        for (fnn_int c = 0; c < cols; c++) {
            best[c] = first[c];
            taken[c] = 0;
        }
        for (fnn_int ih = h0; ih < h1; ih++) {
            for (fnn_int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++) {
                const real *restrict s = image + (ih * G->w + iw) * C + c0;
                for (fnn_int c = 0; c < cols; c++) best[c] = FN(pool_takes)(s[c], best[c]) ? s[c] : best[c];
            }
        }
        for (fnn_int ih = h0; ih < h1; ih++) {
            for (fnn_int iw = w0; iw < w1; iw++) {
                const fnn_int at = (ih * G->w + iw) * C + c0;
                const real *restrict s = image + at;
                real *restrict d = dx + at;
                for (fnn_int c = 0; c < cols; c++) {
                    const int hit = (taken[c] == 0) & ((s[c] == best[c]) | ((s[c] != s[c]) & (best[c] != best[c])));
                    d[c] = hit & (!mask || mask[at + c] > 0) ? dy[c0 + c] : 0;
                    taken[c] |= hit;
                }
            }
        }
    }
}

/* Max pooling and its gradient over windows that do not overlap, with the channels in vectors
 * of L lanes held in registers (V the vector type) and the channels past the last whole vector
 * done one by one; the same selections as the scalar code, so the same bits. */
#define POOL_VECTOR_KERNELS(name, V, L, TARGET)                                                                  \
    /* b where it takes the running maximum a's place (pool_takes lane by lane), else a */                  \
    FNN_INLINE TARGET V FN(name##_take)(V b, V a) {                                                           \
        const __typeof__(b < a) takes = (b > a) | ((b != b) & (a == a));                                      \
        return (V)((takes & (__typeof__(takes))b) | (~takes & (__typeof__(takes))a));                         \
    }                                                                                                        \
    FNN_INLINE TARGET V FN(name##_load)(const real *p) {                                                      \
        V v;                                                                                                 \
        memcpy(&v, p, sizeof v);                                                                             \
        return v;                                                                                            \
    }                                                                                                        \
    static TARGET void FN(name##_max_rows)(void *ctx, fnn_int first, fnn_int end) {                            \
        const FN(pool_job) *J = ctx;                                                                         \
        const pool_geom *G = &J->G;                                                                          \
        const fnn_int C = G->c, whole = C / L * L;                                                           \
        for (fnn_int r = first; r < end; r++) {                                                              \
            const fnn_int n = r / G->oh, oh = r % G->oh;                                                     \
            const real *image = J->x + n * G->h * G->w * C;                                                  \
            for (fnn_int ow = 0; ow < G->ow; ow++) {                                                         \
                real *restrict y = J->out + (r * G->ow + ow) * C;                                            \
                fnn_int h0, h1, w0, w1;                                                                      \
                pool_window(G, oh, ow, &h0, &h1, &w0, &w1);                                                  \
                const real *corner = image + (h0 * G->w + w0) * C;                                           \
                for (fnn_int j = 0; j < C; j += L) {                                                         \
                    const int vector = j < whole;                                                            \
                    const fnn_int cols = vector ? L : C - j;                                                 \
                    V best = (V){0};                                                                                  \
                    if (vector)                                                                              \
                        best = FN(name##_load)(corner + j);                                                  \
                    for (fnn_int l = 0; l < cols && !vector; l++) y[j + l] = corner[j + l];                  \
                    for (fnn_int ih = h0; ih < h1; ih++) {                                                   \
                        for (fnn_int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++) {                           \
                            const real *s = image + (ih * G->w + iw) * C + j;                                \
                            if (vector) {                                                                    \
                                best = FN(name##_take)(FN(name##_load)(s), best);                            \
                                continue;                                                                    \
                            }                                                                                \
                            for (fnn_int l = 0; l < cols; l++)                                               \
                                y[j + l] = FN(pool_takes)(s[l], y[j + l]) ? s[l] : y[j + l];                 \
                        }                                                                                    \
                    }                                                                                        \
                    if (vector) memcpy(y + j, &best, sizeof best);                                           \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
    FNN_INLINE TARGET void FN(name##_grad_disjoint)(const pool_geom *G, const real *image, const real *dy_image, \
                                                    const real *mask, real *dx) {                            \
        const fnn_int C = G->c, whole = C / L * L;                                                           \
        for (fnn_int oh = 0; oh < G->oh; oh++) {                                                             \
            for (fnn_int ow = 0; ow < G->ow; ow++) {                                                         \
                const real *dy = dy_image + (oh * G->ow + ow) * C;                                           \
                fnn_int h0, h1, w0, w1;                                                                      \
                pool_window(G, oh, ow, &h0, &h1, &w0, &w1);                                                  \
                for (fnn_int j = 0; j < whole; j += L) {                                                     \
                    V best = FN(name##_load)(image + (h0 * G->w + w0) * C + j);                              \
                    for (fnn_int ih = h0; ih < h1; ih++)                                                     \
                        for (fnn_int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++)                             \
                            best = FN(name##_take)(FN(name##_load)(image + (ih * G->w + iw) * C + j), best); \
                    const V d = FN(name##_load)(dy + j);                                                     \
                    __typeof__(best < best) taken = (best != best) & (best == best);                         \
                    for (fnn_int ih = h0; ih < h1; ih++) {                                                   \
                        for (fnn_int iw = w0; iw < w1; iw++) {                                               \
                            const fnn_int at = (ih * G->w + iw) * C + j;                                     \
                            const V s = FN(name##_load)(image + at);                                         \
                            __typeof__(taken) hit = ~taken & ((s == best) | ((s != s) & (best != best)));    \
                            taken |= hit;                                                                    \
                            if (mask) hit &= FN(name##_load)(mask + at) > 0;                                 \
                            const V out = (V)(hit & (__typeof__(hit))d);                                     \
                            memcpy(dx + at, &out, sizeof out);                                               \
                        }                                                                                    \
                    }                                                                                        \
                }                                                                                            \
                if (whole < C) FN(max_pool_grad_window)(G, image, dy_image, mask, dx, oh, ow, whole);        \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
    static TARGET void FN(name##_max_grad)(void *ctx, fnn_int first, fnn_int end) {                            \
        const FN(pool_job) *J = ctx;                                                                         \
        const pool_geom *G = &J->G;                                                                          \
        const fnn_int C = G->c, image_size = G->h * G->w * C;                                                \
        const int disjoint = G->sh >= G->ph && G->sw >= G->pw;                                               \
        /* windows that tile the image exactly write every position */                                      \
        const int tiled = G->sh == G->ph && G->sw == G->pw && G->pt == 0 && G->pl == 0 &&                    \
                          G->oh * G->ph == G->h && G->ow * G->pw == G->w;                                    \
        for (fnn_int n = first; n < end; n++) {                                                              \
            const real *image = J->x + n * image_size;                                                       \
            const real *dy = J->dy + n * G->oh * G->ow * C;                                                  \
            const real *mask = J->mask ? J->mask + n * image_size : NULL;                                    \
            real *dx = J->out + n * image_size;                                                              \
            if (!tiled) memset(dx, 0, (size_t)image_size * sizeof(real));                                    \
            if (disjoint) {                                                                                  \
                FN(name##_grad_disjoint)(G, image, dy, mask, dx);                                            \
                continue;                                                                                    \
            }                                                                                                \
            FN(max_pool_grad_scatter)(G, image, dy, dx);                                                     \
            FN(pool_mask)(mask, dx, image_size);                                                             \
        }                                                                                                    \
    }

typedef real FN(pool_vec_portable) __attribute__((vector_size(16)));
typedef real FN(pool_vec_avx2) __attribute__((vector_size(32)));
typedef real FN(pool_vec_avx512) __attribute__((vector_size(64)));
POOL_VECTOR_KERNELS(pool_portable, FN(pool_vec_portable), (fnn_int)(16 / sizeof(real)), )
POOL_VECTOR_KERNELS(pool_avx2, FN(pool_vec_avx2), (fnn_int)(32 / sizeof(real)), FNN_TARGET_AVX2)
POOL_VECTOR_KERNELS(pool_avx512, FN(pool_vec_avx512), (fnn_int)(64 / sizeof(real)), FNN_TARGET_AVX512)

static fastnn_block_fn FN(pick_max_pool)(void) {
    if (fnn_use_avx512()) return FN(pool_avx512_max_rows);
    return fnn_use_avx2() ? FN(pool_avx2_max_rows) : FN(pool_portable_max_rows);
}

static fastnn_block_fn FN(pick_max_pool_grad)(void) {
    if (fnn_use_avx512()) return FN(pool_avx512_max_grad);
    return fnn_use_avx2() ? FN(pool_avx2_max_grad) : FN(pool_portable_max_grad);
}

FNN_INLINE void FN(avg_pool_grad_images_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(pool_job) *J = ctx;
    const pool_geom *G = &J->G;
    const fnn_int C = G->c, image_size = G->h * G->w * C;
    for (fnn_int n = first; n < end; n++) {
        real *dx = J->out + n * image_size;
        memset(dx, 0, (size_t)image_size * sizeof(real));
        for (fnn_int oh = 0; oh < G->oh; oh++) {
            for (fnn_int ow = 0; ow < G->ow; ow++) {
                const real *restrict dy = J->dy + ((n * G->oh + oh) * G->ow + ow) * C;
                fnn_int h0, h1, w0, w1;
                pool_window(G, oh, ow, &h0, &h1, &w0, &w1);
                const real count = (real)((h1 - h0) * (w1 - w0));
                for (fnn_int ih = h0; ih < h1; ih++) {
                    for (fnn_int iw = w0; iw < w1; iw++) {
                        real *restrict d = dx + (ih * G->w + iw) * C;
                        for (fnn_int c = 0; c < C; c++) d[c] += dy[c] / count;
                    }
                }
            }
        }
        FN(pool_mask)(J->mask ? J->mask + n * image_size : NULL, dx, image_size);
    }
}

FNN_BLOCK_VARIANTS(FN(avg_pool_portable), FN(avg_pool_avx2), FN(avg_pool_rows_body))
FNN_BLOCK_VARIANTS(FN(avg_pool_grad_portable), FN(avg_pool_grad_avx2), FN(avg_pool_grad_images_body))

/* Output rows (n, oh) among the threads; nothing to do for an empty output or image. */
static void FN(pool_forward)(const fnn_int *geometry, const real *x, real *y, fastnn_block_fn fn) {
    FN(pool_job) J = {.G = pool_geom_read(geometry), .x = x, .out = y};
    const pool_geom *G = &J.G;
    if (G->c == 0 || G->h == 0 || G->w == 0) return;
    const fnn_int rows = G->n * G->oh;
    fastnn_parallel_blocks(rows, fastnn_threads_for((double)rows * G->ow * G->c * G->ph * G->pw), fn, &J);
}

static void FN(pool_backward)(const fnn_int *geometry, const real *x, const real *dy, const real *mask, real *dx,
                              fastnn_block_fn fn) {
    FN(pool_job) J = {.G = pool_geom_read(geometry), .x = x, .dy = dy, .mask = mask, .out = dx};
    const pool_geom *G = &J.G;
    if (G->c == 0 || G->h == 0 || G->w == 0) return;
    fastnn_parallel_blocks(G->n, fastnn_threads_for((double)G->n * G->oh * G->ow * G->c * G->ph * G->pw),
                           fn, &J);
}

void FN(fastnn_max_pool2d)(const fnn_int *geometry, const real *x, real *y) {
    FN(pool_forward)(geometry, x, y, FN(pick_max_pool)());
}

void FN(fastnn_avg_pool2d)(const fnn_int *geometry, const real *x, real *y) {
    FN(pool_forward)(geometry, x, y, FNN_PICK(FN(avg_pool_portable), FN(avg_pool_avx2)));
}

void FN(fastnn_max_pool2d_grad)(const fnn_int *geometry, const real *x, const real *dy, const real *mask,
                                 real *dx) {
    FN(pool_backward)(geometry, x, dy, mask, dx, FN(pick_max_pool_grad)());
}

void FN(fastnn_avg_pool2d_grad)(const fnn_int *geometry, const real *dy, const real *mask, real *dx) {
    FN(pool_backward)(geometry, NULL, dy, mask, dx, FNN_PICK(FN(avg_pool_grad_portable), FN(avg_pool_grad_avx2)));
}

#undef real
#endif
