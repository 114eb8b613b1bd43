/* 2-D convolution, NHWC images and HWCF kernels, as GEMMs over an im2col matrix.
 *
 * Row r = (n, oh, ow) of the im2col matrix (N*OH*OW x K, K = KH*KW*C) holds the window
 * of output (n, oh, ow) in (kh, kw, c) order, zeros for padding; a kernel (KH, KW, C, F)
 * is the K x F matrix that meets it. Then
 *   forward      y    = col . kernel (+ bias, relu)        one GEMM with its epilogue
 *   input grad   dcol = dy . kernel^T; dx = col2im(dcol)   scattered image by image
 *   kernel grad  dk   = col^T . dy                         one GEMM summing over N*OH*OW
 * A 1x1 kernel with unit strides and no padding needs no im2col: col is x itself.
 * Each phase is one parallel region over blocks whose results do not depend on the split.
 * The part after #else is typed: this file includes itself once for float, once for double.
 */
#ifndef FNN_REAL
#include <string.h>

#include "dispatch.h"

/* Columns of dbias summed by one block. */
#define BIAS_COLUMNS 64

typedef struct {
    fnn_int n, h, w, c, kh, kw, f, oh, ow, sh, sw, dh, dw, pt, pl;
} conv_geom;

static conv_geom conv_geom_read(const fnn_int *g) {
    conv_geom G = {g[FASTNN_CONV_N], g[FASTNN_CONV_H], g[FASTNN_CONV_W], g[FASTNN_CONV_C],
                   g[FASTNN_CONV_KH], g[FASTNN_CONV_KW], g[FASTNN_CONV_F], g[FASTNN_CONV_OH],
                   g[FASTNN_CONV_OW], g[FASTNN_CONV_SH], g[FASTNN_CONV_SW], g[FASTNN_CONV_DH],
                   g[FASTNN_CONV_DW], g[FASTNN_CONV_PAD_TOP], g[FASTNN_CONV_PAD_LEFT]};
    return G;
}

/* A 1x1 kernel, unit strides, no padding: the im2col matrix is x viewed as (N*H*W, C). */
static int conv_is_pointwise(const conv_geom *G) {
    return G->kh == 1 && G->kw == 1 && G->sh == 1 && G->sw == 1 && G->pt == 0 && G->pl == 0 &&
           G->oh == G->h && G->ow == G->w;
}

static fnn_int conv_rows(const conv_geom *G) { return G->n * G->oh * G->ow; }
static fnn_int conv_depth(const conv_geom *G) { return G->kh * G->kw * G->c; }

fnn_int fastnn_conv2d_scratch_size(const fnn_int *geometry) {
    conv_geom G = conv_geom_read(geometry);
    return conv_is_pointwise(&G) ? 0 : conv_rows(&G) * conv_depth(&G);
}

#define FNN_REAL float
#define FN(name) name##_f32
#define GEMM fastnn_sgemm
#include "conv.c"
#undef FNN_REAL
#undef FN
#undef GEMM
#define FNN_REAL double
#define FN(name) name##_f64
#define GEMM fastnn_dgemm
#include "conv.c"

#else /* typed part */
#define real FNN_REAL

typedef struct {
    conv_geom G;
    const real *x;  /* image batch */
    real *col;      /* im2col matrix */
    const real *dy; /* for the bias sum */
    real *dbias;
} FN(conv_job);

/* Rows [first, end) of the im2col matrix. */
static void FN(im2col_rows)(void *ctx, fnn_int first, fnn_int end) {
    const FN(conv_job) *J = ctx;
    const conv_geom *G = &J->G;
    const fnn_int C = G->c, K = conv_depth(G), run = G->kw * C;
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / (G->oh * G->ow), rest = r % (G->oh * G->ow);
        const fnn_int ih0 = (rest / G->ow) * G->sh - G->pt, iw0 = (rest % G->ow) * G->sw - G->pl;
        const real *image = J->x + n * G->h * G->w * C;
        real *dst = J->col + r * K;
        /* with unit dilation along w, a window row inside the image is one contiguous run */
        const int whole_rows = G->dw == 1 && iw0 >= 0 && iw0 + G->kw <= G->w;
        for (fnn_int kh = 0; kh < G->kh; kh++, dst += run) {
            const fnn_int ih = ih0 + kh * G->dh;
            if (ih < 0 || ih >= G->h) {
                memset(dst, 0, (size_t)run * sizeof(real));
                continue;
            }
            const real *src_row = image + ih * G->w * C;
            if (whole_rows) {
                memcpy(dst, src_row + iw0 * C, (size_t)run * sizeof(real));
                continue;
            }
            for (fnn_int kw = 0; kw < G->kw; kw++) {
                const fnn_int iw = iw0 + kw * G->dw;
                if (iw < 0 || iw >= G->w)
                    memset(dst + kw * C, 0, (size_t)C * sizeof(real));
                else
                    memcpy(dst + kw * C, src_row + iw * C, (size_t)C * sizeof(real));
            }
        }
    }
}

/* Images [first, end) of dx: zeroed, then every im2col row of the image added back to the
 * positions it was read from, rows and window positions in increasing order. */
static void FN(col2im_images)(void *ctx, fnn_int first, fnn_int end) {
    const FN(conv_job) *J = ctx;
    const conv_geom *G = &J->G;
    const fnn_int C = G->c, K = conv_depth(G), image_size = G->h * G->w * C;
    for (fnn_int n = first; n < end; n++) {
        real *image = (real *)J->x + n * image_size;
        memset(image, 0, (size_t)image_size * sizeof(real));
        const real *src = J->col + n * G->oh * G->ow * K;
        for (fnn_int oh = 0; oh < G->oh; oh++) {
            for (fnn_int ow = 0; ow < G->ow; ow++, src += K) {
                const fnn_int ih0 = oh * G->sh - G->pt, iw0 = ow * G->sw - G->pl;
                for (fnn_int kh = 0; kh < G->kh; kh++) {
                    const fnn_int ih = ih0 + kh * G->dh;
                    if (ih < 0 || ih >= G->h) continue;
                    for (fnn_int kw = 0; kw < G->kw; kw++) {
                        const fnn_int iw = iw0 + kw * G->dw;
                        if (iw < 0 || iw >= G->w) continue;
                        real *restrict d = image + (ih * G->w + iw) * C;
                        const real *restrict s = src + (kh * G->kw + kw) * C;
                        for (fnn_int c = 0; c < C; c++) d[c] += s[c];
                    }
                }
            }
        }
    }
}

FNN_BLOCK_VARIANTS(FN(im2col_portable), FN(im2col_avx2), FN(im2col_rows))
FNN_BLOCK_VARIANTS(FN(col2im_portable), FN(col2im_avx2), FN(col2im_images))

/* Column blocks [first, end) of dbias, each column summed over all rows in order, in double. */
static void FN(bias_sum_blocks)(void *ctx, fnn_int first, fnn_int end) {
    const FN(conv_job) *J = ctx;
    const fnn_int F = J->G.f, M = conv_rows(&J->G);
    for (fnn_int b = first; b < end; b++) {
        const fnn_int j0 = b * BIAS_COLUMNS, cols = F - j0 < BIAS_COLUMNS ? F - j0 : BIAS_COLUMNS;
        double acc[BIAS_COLUMNS];
        for (fnn_int j = 0; j < cols; j++) acc[j] = 0;
        for (fnn_int m = 0; m < M; m++) {
            const real *row = J->dy + m * F + j0;
            for (fnn_int j = 0; j < cols; j++) acc[j] += row[j];
        }
        for (fnn_int j = 0; j < cols; j++) J->dbias[j0 + j] = (real)acc[j];
    }
}

/* The im2col matrix of x: x itself for a pointwise convolution, else written to scratch. */
static const real *FN(im2col)(const conv_geom *G, const real *x, real *scratch) {
    if (conv_is_pointwise(G)) return x;
    FN(conv_job) J = {.G = *G, .x = x, .col = scratch};
    const fnn_int rows = conv_rows(G);
    fastnn_parallel_blocks(rows, fastnn_threads_for((double)rows * conv_depth(G)),
                           FNN_PICK(FN(im2col_portable), FN(im2col_avx2)), &J);
    return scratch;
}

int FN(fastnn_conv2d)(const fnn_int *geometry, const real *x, const real *kernel, const real *bias,
                      int activation, real *y, real *scratch) {
    const conv_geom G = conv_geom_read(geometry);
    const fnn_int M = conv_rows(&G), K = conv_depth(&G);
    if (M == 0 || G.f == 0) return 0;
    const real *col = K ? FN(im2col)(&G, x, scratch) : x;
    return GEMM(M, G.f, K, col, K, 1, kernel, G.f, 1, y, G.f, bias, activation, NULL, 0);
}

int FN(fastnn_conv2d_input_grad)(const fnn_int *geometry, const real *dy, const real *kernel, real *dx,
                                 real *scratch) {
    const conv_geom G = conv_geom_read(geometry);
    const fnn_int M = conv_rows(&G), K = conv_depth(&G);
    if (K == 0 || G.n * G.h * G.w == 0) return 0;
    if (M == 0 || G.f == 0) {
        memset(dx, 0, (size_t)(G.n * G.h * G.w * G.c) * sizeof(real));
        return 0;
    }
    if (conv_is_pointwise(&G)) return GEMM(M, K, G.f, dy, G.f, 1, kernel, 1, G.f, dx, K, NULL, 0, NULL, 0);
    int status = GEMM(M, K, G.f, dy, G.f, 1, kernel, 1, G.f, scratch, K, NULL, 0, NULL, 0);
    if (status != 0) return status;
    FN(conv_job) J = {.G = G, .x = dx, .col = scratch};
    fastnn_parallel_blocks(G.n, fastnn_threads_for((double)M * K),
                           FNN_PICK(FN(col2im_portable), FN(col2im_avx2)), &J);
    return 0;
}

int FN(fastnn_conv2d_kernel_grad)(const fnn_int *geometry, const real *x, const real *dy, real *dkernel,
                                  real *dbias, real *scratch) {
    const conv_geom G = conv_geom_read(geometry);
    const fnn_int M = conv_rows(&G), K = conv_depth(&G);
    if (dbias && G.f) {
        FN(conv_job) J = {.G = G, .dy = dy, .dbias = dbias};
        const fnn_int blocks = (G.f + BIAS_COLUMNS - 1) / BIAS_COLUMNS;
        fastnn_parallel_blocks(blocks, fastnn_threads_for((double)M * G.f), FN(bias_sum_blocks), &J);
    }
    if (K == 0 || G.f == 0) return 0;
    if (M == 0) {
        memset(dkernel, 0, (size_t)(K * G.f) * sizeof(real));
        return 0;
    }
    const real *col = FN(im2col)(&G, x, scratch);
    return GEMM(K, G.f, M, col, 1, K, dy, G.f, 1, dkernel, G.f, NULL, 0, NULL, 0);
}

#undef real
#endif
