/* Depthwise 2-D convolution over NHWC images: each input channel c is convolved with its own
 * M kernels (KH, KW, C, M), giving output channels c * M + m (Keras's order).
 *
 * The geometry is the convolution's (fastnn.h's FASTNN_CONV_*), with F holding M, the depth
 * multiplier; outputs are (N, OH, OW, C * M).
 *   forward      each output row (n, oh, ow) summed over the window positions in row-major
 *                order, rows shared among the threads
 *   input grad   each input position (n, ih, iw) gathers the outputs whose windows hold it, in
 *                increasing (kh, kw) order, rows (n, ih) shared among the threads
 *   kernel grad  the rows (n, oh, ow) cut in chunks fixed by the geometry, each summed in row
 *                order in double, then the chunks added in order
 * so every element is summed in an order that depends only on the sizes, at any thread count.
 * The part after #else is typed: this file includes itself once for float, once for double.
 */
#ifndef FNN_REAL
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

/* The kernel gradient sums at most this many chunks of at least DW_CHUNK_ROWS rows. */
#define DW_MAX_CHUNKS 16
#define DW_CHUNK_ROWS 256

typedef struct {
    fnn_int n, h, w, c, kh, kw, m, oh, ow, sh, sw, dh, dw, pt, pl;
} dw_geom;

static dw_geom dw_geom_read(const fnn_int *g) {
    dw_geom G = {g[FASTNN_CONV_N], g[FASTNN_CONV_H], g[FASTNN_CONV_W], g[FASTNN_CONV_C],
                 g[FASTNN_CONV_KH], g[FASTNN_CONV_KW], g[FASTNN_CONV_F], g[FASTNN_CONV_OH],
                 g[FASTNN_CONV_OW], g[FASTNN_CONV_SH], g[FASTNN_CONV_SW], g[FASTNN_CONV_DH],
                 g[FASTNN_CONV_DW], g[FASTNN_CONV_PAD_TOP], g[FASTNN_CONV_PAD_LEFT]};
    return G;
}

static fnn_int dw_rows(const dw_geom *G) { return G->n * G->oh * G->ow; }
static fnn_int dw_out_channels(const dw_geom *G) { return G->c * G->m; }
static fnn_int dw_kernel_size(const dw_geom *G) { return G->kh * G->kw * G->c * G->m; }

static fnn_int dw_chunks(const dw_geom *G) {
    fnn_int chunks = dw_rows(G) / DW_CHUNK_ROWS;
    if (chunks > DW_MAX_CHUNKS) chunks = DW_MAX_CHUNKS;
    return chunks < 1 ? 1 : chunks;
}

/* Threads worth the call's multiply-adds. */
static int dw_threads(const dw_geom *G) {
    return fastnn_threads_for(2.0 * (double)dw_rows(G) * (double)dw_kernel_size(G));
}

/* The input row/column of window tap k of output position o, or -1 outside the image. */
static inline fnn_int dw_tap(fnn_int o, fnn_int k, fnn_int stride, fnn_int dilation, fnn_int pad, fnn_int size) {
    const fnn_int i = o * stride + k * dilation - pad;
    return i >= 0 && i < size ? i : -1;
}

/* The output position whose tap k reads input position i, or -1 when none does. */
static inline fnn_int dw_reader(fnn_int i, fnn_int k, fnn_int stride, fnn_int dilation, fnn_int pad, fnn_int outs) {
    const fnn_int t = i + pad - k * dilation;
    if (t < 0 || t % stride) return -1;
    return t / stride < outs ? t / stride : -1;
}

#define FNN_TYPED_FILE "depthwise_conv.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

typedef struct {
    dw_geom G;
    const real *x, *kernel, *bias, *dy;
    real *out;
    int relu;
} FN(dw_job);

/* out row += x pixel (C values) times a kernel tap (C x M values). */
FNN_INLINE void FN(dw_madd)(fnn_int C, fnn_int M, const real *restrict x, const real *restrict k, real *restrict y) {
    if (M == 1) {
        for (fnn_int c = 0; c < C; c++) y[c] += x[c] * k[c];
        return;
    }
    for (fnn_int c = 0; c < C; c++)
        for (fnn_int m = 0; m < M; m++) y[c * M + m] += x[c] * k[c * M + m];
}

/* Output rows [first, end) of the forward pass. */
FNN_INLINE void FN(dw_forward_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(dw_job) *J = ctx;
    const dw_geom *G = &J->G;
    const fnn_int C = G->c, M = G->m, CM = dw_out_channels(G);
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / (G->oh * G->ow), oh = r % (G->oh * G->ow) / G->ow, ow = r % G->ow;
        real *restrict y = J->out + r * CM;
        memset(y, 0, (size_t)CM * sizeof(real));
        for (fnn_int kh = 0; kh < G->kh; kh++) {
            const fnn_int ih = dw_tap(oh, kh, G->sh, G->dh, G->pt, G->h);
            if (ih < 0) continue;
            for (fnn_int kw = 0; kw < G->kw; kw++) {
                const fnn_int iw = dw_tap(ow, kw, G->sw, G->dw, G->pl, G->w);
                if (iw < 0) continue;
                FN(dw_madd)(C, M, J->x + ((n * G->h + ih) * G->w + iw) * C, J->kernel + (kh * G->kw + kw) * CM, y);
            }
        }
        if (J->bias)
            for (fnn_int j = 0; j < CM; j++) y[j] += J->bias[j];
        if (J->relu)
            for (fnn_int j = 0; j < CM; j++) y[j] = y[j] < 0 ? 0 : y[j];
    }
}

FNN_BLOCK_VARIANTS(FN(dw_forward_portable), FN(dw_forward_avx2), FN(dw_forward_body))

int FN(fastnn_depthwise_conv2d)(const fnn_int *geometry, const real *x, const real *kernel, const real *bias,
                                int activation, real *y) {
    const dw_geom G = dw_geom_read(geometry);
    if (dw_rows(&G) == 0 || dw_out_channels(&G) == 0) return 0;
    FN(dw_job) J = {G, x, kernel, bias, NULL, y, activation == FASTNN_ACT_RELU};
    fastnn_parallel_blocks(dw_rows(&G), dw_threads(&G), FNN_PICK(FN(dw_forward_portable), FN(dw_forward_avx2)), &J);
    return 0;
}

/* Input rows (n, ih) [first, end) of the input gradient. */
FNN_INLINE void FN(dw_input_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(dw_job) *J = ctx;
    const dw_geom *G = &J->G;
    const fnn_int C = G->c, M = G->m, CM = dw_out_channels(G);
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / G->h, ih = r % G->h;
        for (fnn_int iw = 0; iw < G->w; iw++) {
            real *restrict dx = J->out + ((n * G->h + ih) * G->w + iw) * C;
            memset(dx, 0, (size_t)C * sizeof(real));
            for (fnn_int kh = 0; kh < G->kh; kh++) {
                const fnn_int oh = dw_reader(ih, kh, G->sh, G->dh, G->pt, G->oh);
                if (oh < 0) continue;
                for (fnn_int kw = 0; kw < G->kw; kw++) {
                    const fnn_int ow = dw_reader(iw, kw, G->sw, G->dw, G->pl, G->ow);
                    if (ow < 0) continue;
                    const real *restrict dy = J->dy + ((n * G->oh + oh) * G->ow + ow) * CM;
                    const real *restrict k = J->kernel + (kh * G->kw + kw) * CM;
                    if (M == 1) {
                        for (fnn_int c = 0; c < C; c++) dx[c] += dy[c] * k[c];
                        continue;
                    }
                    for (fnn_int c = 0; c < C; c++) {
                        real s = 0;
                        for (fnn_int m = 0; m < M; m++) s += dy[c * M + m] * k[c * M + m];
                        dx[c] += s;
                    }
                }
            }
        }
    }
}

FNN_BLOCK_VARIANTS(FN(dw_input_grad_portable), FN(dw_input_grad_avx2), FN(dw_input_grad_body))

int FN(fastnn_depthwise_conv2d_input_grad)(const fnn_int *geometry, const real *dy, const real *kernel, real *dx) {
    const dw_geom G = dw_geom_read(geometry);
    if (G.n * G.h * G.w * G.c == 0) return 0;
    FN(dw_job) J = {G, NULL, kernel, NULL, dy, dx, 0};
    fastnn_parallel_blocks(G.n * G.h, dw_threads(&G), FNN_PICK(FN(dw_input_grad_portable), FN(dw_input_grad_avx2)),
                           &J);
    return 0;
}

/* part (KH*KW*C*M doubles, then C*M for the bias) := the sums over rows [first, end), in order. */
FNN_INLINE void FN(dw_kgrad_body)(const dw_geom *G, const real *x, const real *dy, fnn_int first, fnn_int end,
                                  double *part) {
    const fnn_int C = G->c, M = G->m, CM = dw_out_channels(G), K = dw_kernel_size(G);
    double *restrict bias = part + K;
    memset(part, 0, sizeof(double) * (size_t)(K + CM));
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / (G->oh * G->ow), oh = r % (G->oh * G->ow) / G->ow, ow = r % G->ow;
        const real *restrict d = dy + r * CM;
        for (fnn_int kh = 0; kh < G->kh; kh++) {
            const fnn_int ih = dw_tap(oh, kh, G->sh, G->dh, G->pt, G->h);
            if (ih < 0) continue;
            for (fnn_int kw = 0; kw < G->kw; kw++) {
                const fnn_int iw = dw_tap(ow, kw, G->sw, G->dw, G->pl, G->w);
                if (iw < 0) continue;
                const real *restrict v = x + ((n * G->h + ih) * G->w + iw) * C;
                double *restrict p = part + (kh * G->kw + kw) * CM;
                if (M == 1) {
                    for (fnn_int c = 0; c < C; c++) p[c] += (double)v[c] * (double)d[c];
                    continue;
                }
                for (fnn_int c = 0; c < C; c++)
                    for (fnn_int m = 0; m < M; m++) p[c * M + m] += (double)v[c] * (double)d[c * M + m];
            }
        }
        for (fnn_int j = 0; j < CM; j++) bias[j] += (double)d[j];
    }
}

static void FN(dw_kgrad_portable)(const dw_geom *G, const real *x, const real *dy, fnn_int first, fnn_int end,
                                  double *part) {
    FN(dw_kgrad_body)(G, x, dy, first, end, part);
}
static FNN_TARGET_AVX2 void FN(dw_kgrad_avx2)(const dw_geom *G, const real *x, const real *dy, fnn_int first,
                                              fnn_int end, double *part) {
    FN(dw_kgrad_body)(G, x, dy, first, end, part);
}

typedef void (*FN(dw_kgrad_fn))(const dw_geom *, const real *, const real *, fnn_int, fnn_int, double *);

/* The kernel gradient's chunks: chunk k's sums into parts[k * width]. */
typedef struct {
    FN(dw_kgrad_fn) kgrad;
    const dw_geom *G;
    const real *x, *dy;
    fnn_int rows, chunks, width;
    double *parts;
} FN(dw_kgrad_pass);

static void FN(dw_kgrad_chunks)(void *ctx, fnn_int first, fnn_int end, int slot) {
    (void)slot;
    const FN(dw_kgrad_pass) *P = ctx;
    for (fnn_int k = first; k < end; k++)
        P->kgrad(P->G, P->x, P->dy, P->rows * k / P->chunks, P->rows * (k + 1) / P->chunks, P->parts + k * P->width);
}

int FN(fastnn_depthwise_conv2d_kernel_grad)(const fnn_int *geometry, const real *x, const real *dy, real *dkernel,
                                            real *dbias) {
    const dw_geom G = dw_geom_read(geometry);
    const fnn_int K = dw_kernel_size(&G), CM = dw_out_channels(&G), rows = dw_rows(&G), width = K + CM;
    if (K == 0) return 0;
    if (rows == 0) {
        memset(dkernel, 0, (size_t)K * sizeof(real));
        if (dbias) memset(dbias, 0, (size_t)CM * sizeof(real));
        return 0;
    }
    const fnn_int chunks = dw_chunks(&G);
    double *parts = malloc(sizeof(double) * (size_t)(chunks * width));
    if (!parts) return -1;
    FN(dw_kgrad_pass) pass = {FNN_PICK(FN(dw_kgrad_portable), FN(dw_kgrad_avx2)), &G, x, dy, rows, chunks, width, parts};
    fastnn_parallel_for(chunks, dw_threads(&G), FN(dw_kgrad_chunks), &pass);
    for (fnn_int e = 0; e < width; e++) {
        double s = 0;
        for (fnn_int k = 0; k < chunks; k++) s += parts[k * width + e];
        if (e < K)
            dkernel[e] = (real)s;
        else if (dbias)
            dbias[e - K] = (real)s;
    }
    free(parts);
    return 0;
}

#undef real
#endif
