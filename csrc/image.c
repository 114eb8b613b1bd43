/* Affine warps of image batches (data augmentation): scipy.ndimage.affine_transform's
 * interpolation (orders 0 and 1) and boundary modes, per channel of channels-last images.
 *
 * The arithmetic follows scipy's (>= 1.6) step for step in double precision: the input
 * coordinate (offset first, then the row and column terms), its folding into the image, the two
 * taps per axis and how they are read beyond an edge, the weights 1 - t and 1 - (1 - t), the sum
 * over the taps in row-major order. The result equals scipy's bit for bit on the same matrix. Each output row is written by one thread; the result does not depend on the
 * thread count. */
#include <math.h>

#include "dispatch.h"

typedef struct {
    fnn_int h, w, c;
    const fnn_int *xs; /* element strides of x: image, row, column, channel */
    const void *x;
    const double *m;
    const unsigned char *flips;
    int order, mode;
    double cval;
    void *out;
} affine_job;

/* A coordinate `in` of an axis of `len` samples brought into the image as scipy maps it before
 * interpolating: folded with period 2 len (reflect) or len - 1 (wrap, whose first and last samples
 * coincide); -1, "outside", in constant mode. Nearest mode maps its taps instead (tap_index). */
static double map_coordinate(double in, fnn_int len, int mode) {
    if (in >= 0 && in <= len - 1) return in;
    if (mode == FASTNN_FILL_CONSTANT) return -1;
    if (len <= 1) return 0;
    if (mode == FASTNN_FILL_REFLECT) {
        fnn_int period = 2 * len;
        if (in < 0) {
            if (in < -period) in = (double)(period * (fnn_int)(-in / period)) + in;
            return in < -len ? in + period : -in - 1;
        }
        in -= (double)(period * (fnn_int)(in / period));
        return in >= len ? (double)period - in - 1 : in;
    }
    fnn_int period = len - 1; /* wrap */
    if (in < 0) return in + (double)(period * ((fnn_int)(-in / period) + 1));
    return in - (double)(period * (fnn_int)(in / period));
}

/* The sample read for tap position idx: idx itself inside the image; beyond an edge, the edge
 * sample (nearest), the half-sample reflection (reflect: d c b a | a b c d | d c b a) or the
 * whole-sample mirror image (constant and wrap: d c b | a b c d | c b a), as scipy reads them. */
static inline fnn_int tap_index(fnn_int idx, fnn_int len, int mode) {
    if (idx >= 0 && idx < len) return idx;
    if (mode == FASTNN_FILL_NEAREST) return idx < 0 ? 0 : len - 1;
    if (len <= 1) return 0;
    if (mode == FASTNN_FILL_REFLECT) {
        fnn_int period = 2 * len;
        if (idx < 0) {
            if (idx < -period) idx = period * (-idx / period) + idx;
            idx = idx < -len ? idx + period : -idx - 1;
            return idx < 0 ? 0 : idx; /* -1 only for taps a mapped coordinate never has */
        }
        idx -= period * (idx / period);
        return idx >= len ? period - idx - 1 : idx;
    }
    fnn_int period = 2 * len - 2;
    if (idx < 0) {
        idx = period * (-idx / period) + idx;
        return idx <= 1 - len ? idx + period : -idx;
    }
    idx -= period * (idx / period);
    return idx >= len ? period - idx : idx;
}

/* The taps (two indices, two weights) of one axis at coordinate cc; order 0 reads tap 0 alone. */
typedef struct {
    fnn_int i0, i1;
    double w0, w1;
} axis_taps;

static inline axis_taps taps_at(double cc, fnn_int len, int order, int mode) {
    axis_taps t;
    if (order == 0) {
        t.i0 = t.i1 = tap_index((fnn_int)floor(cc + 0.5), len, mode);
        t.w0 = 1.0;
        t.w1 = 0.0;
        return t;
    }
    double start = floor(cc);
    t.w0 = 1.0 - (cc - start);
    t.w1 = 1.0 - t.w0;
    t.i0 = tap_index((fnn_int)start, len, mode);
    t.i1 = tap_index((fnn_int)start + 1, len, mode);
    return t;
}

#define DEFINE_AFFINE(SRC, S, DST, D)                                                            \
    static void affine_rows_##SRC##_##DST(void *ctx, fnn_int first, fnn_int end) {              \
        const affine_job *J = ctx;                                                               \
        const fnn_int h = J->h, w = J->w, c = J->c;                                              \
        const fnn_int sb = J->xs[0], sr = J->xs[1], sc = J->xs[2], sch = J->xs[3];               \
        for (fnn_int row = first; row < end; row++) {                                            \
            const fnn_int b = row / h, i = row % h;                                              \
            const double *M = J->m + 6 * b;                                                      \
            const int flip = J->flips ? J->flips[b] : 0;                                         \
            const fnn_int ii = (flip & 2) ? h - 1 - i : i;                                       \
            const S *img = (const S *)J->x + b * sb;                                             \
            D *dst = (D *)J->out + row * w * c;                                                  \
            for (fnn_int j = 0; j < w; j++, dst += c) {                                          \
                const fnn_int jj = (flip & 1) ? w - 1 - j : j;                                   \
                double r = M[2], q = M[5];                                                       \
                r += (double)ii * M[0];                                                          \
                r += (double)jj * M[1];                                                          \
                q += (double)ii * M[3];                                                          \
                q += (double)jj * M[4];                                                          \
                if (J->mode != FASTNN_FILL_NEAREST) {                                            \
                    r = map_coordinate(r, h, J->mode);                                           \
                    q = map_coordinate(q, w, J->mode);                                           \
                }                                                                                \
                if (J->mode != FASTNN_FILL_NEAREST && (!(r > -1.0) || !(q > -1.0))) {            \
                    for (fnn_int ch = 0; ch < c; ch++) dst[ch] = (D)J->cval;                     \
                    continue;                                                                    \
                }                                                                                \
                const axis_taps tr = taps_at(r, h, J->order, J->mode);                          \
                const axis_taps tq = taps_at(q, w, J->order, J->mode);                          \
                const S *p00 = img + tr.i0 * sr + tq.i0 * sc;                                    \
                if (J->order == 0) {                                                             \
                    for (fnn_int ch = 0; ch < c; ch++) {                                         \
                        double v = 0.0;                                                          \
                        v += (double)p00[ch * sch];                                              \
                        dst[ch] = (D)v;                                                          \
                    }                                                                            \
                    continue;                                                                    \
                }                                                                                \
                const S *p01 = img + tr.i0 * sr + tq.i1 * sc;                                    \
                const S *p10 = img + tr.i1 * sr + tq.i0 * sc;                                    \
                const S *p11 = img + tr.i1 * sr + tq.i1 * sc;                                    \
                for (fnn_int ch = 0; ch < c; ch++) {                                             \
                    const fnn_int o = ch * sch;                                                  \
                    double v = 0.0;                                                              \
                    v += (double)p00[o] * tr.w0 * tq.w0;                                         \
                    v += (double)p01[o] * tr.w0 * tq.w1;                                         \
                    v += (double)p10[o] * tr.w1 * tq.w0;                                         \
                    v += (double)p11[o] * tr.w1 * tq.w1;                                         \
                    dst[ch] = (D)v;                                                              \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    void fastnn_affine_transform_##SRC##_##DST(fnn_int n, fnn_int h, fnn_int w, fnn_int c,      \
                                               const S *x, const fnn_int *x_strides,             \
                                               const double *matrices, const unsigned char *flips, \
                                               int order, int mode, double cval, D *out) {       \
        affine_job J = {.h = h, .w = w, .c = c, .xs = x_strides, .x = x, .m = matrices,         \
                        .flips = flips, .order = order, .mode = mode, .cval = cval, .out = out}; \
        if (n <= 0 || h <= 0 || w <= 0 || c <= 0) return;                                        \
        double work = (double)n * h * w * (c + 4) * (order ? 4.0 : 1.0);                         \
        fastnn_parallel_blocks(n * h, fastnn_threads_for(work), affine_rows_##SRC##_##DST, &J); \
    }

DEFINE_AFFINE(u8, unsigned char, f32, float)
DEFINE_AFFINE(u8, unsigned char, f64, double)
DEFINE_AFFINE(f32, float, f32, float)
DEFINE_AFFINE(f32, float, f64, double)
DEFINE_AFFINE(f64, double, f32, float)
DEFINE_AFFINE(f64, double, f64, double)
