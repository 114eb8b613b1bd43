/* 2-D convolution, NHWC images and HWCF kernels, as GEMMs over blocks of an im2col matrix.
 *
 * Row r = (n, oh, ow) of the im2col matrix (N*OH*OW x K, K = KH*KW*C) holds the window
 * of output (n, oh, ow) in (kh, kw, c) order, zeros for padding; a kernel (KH, KW, C, F)
 * is the K x F matrix that meets it. Then
 *   forward      y    = col . kernel (+ bias, relu)        block by block of rows
 *   input grad   dcol = dy . kernel^T; dx = col2im(dcol)   block by block of whole images
 *   kernel grad  dk   = sum over chunks of col^T . dy      chunks of rows fixed by the geometry
 * Each call is a parallel loop over its blocks (parallel.c): the thread that takes a block writes
 * its im2col rows into the thread's own buffer (sized to stay in cache) and multiplies them there
 * with a one-thread GEMM. Blocks never change a result: forward and input-grad sums run over K or F only, and the kernel
 * gradient is summed per chunk (rows in order), then over the chunks in order.
 * A 1x1 kernel with unit strides and no padding needs no im2col: col is x itself. With a short
 * K (a few input channels) the forward pass and the kernel gradient need neither im2col nor a
 * GEMM: conv_direct.inc sums straight from the windows, tiles of sums in registers.
 * The part after #else is typed: this file includes itself once for float, once for double.
 */
#ifndef FNN_REAL
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define DIRECT_X86 1
#endif

/* Bytes of im2col rows a thread multiplies at once. */
#define BLOCK_BYTES (512 * 1024)
/* The kernel gradient sums at most this many chunks of at least KGRAD_CHUNK_ROWS rows. */
#define KGRAD_MAX_CHUNKS 16
#define KGRAD_CHUNK_ROWS 256
/* K up to this is summed directly (no im2col, no GEMM) for the kernel gradient. */
#define DIRECT_MAX_DEPTH 16
/* `call` with K_ replaced by each K from 1 to DIRECT_MAX_DEPTH, as switch cases on K. */
#define DIRECT_CASE(k, call) \
    case k: {                \
        const int K_ = k;    \
        call;                \
        break;               \
    }
#define DIRECT_CASES(call)                                                                                 \
    DIRECT_CASE(1, call) DIRECT_CASE(2, call) DIRECT_CASE(3, call) DIRECT_CASE(4, call) DIRECT_CASE(5, call) \
    DIRECT_CASE(6, call) DIRECT_CASE(7, call) DIRECT_CASE(8, call) DIRECT_CASE(9, call) DIRECT_CASE(10, call) \
    DIRECT_CASE(11, call) DIRECT_CASE(12, call) DIRECT_CASE(13, call) DIRECT_CASE(14, call)                \
    DIRECT_CASE(15, call) DIRECT_CASE(16, call)
/* Rows the forward pass with a short K sums together (independent sums in registers). */
#define DIRECT_ROW_GROUP 4
/* Rows per block of the forward pass with a short K, and per segment of both short-K kernels. */
#define DIRECT_BLOCK_ROWS 1024
/* The most lanes of any vector the short-K kernels use (16 floats of AVX-512). */
#define DIRECT_MAX_LANES 16
/* Columns of the short-K kernel gradient's bias summed together. */
#define DIRECT_BIAS_BLOCK 32

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

/* The kernel gradient's chunks: rows [M*c/chunks, M*(c+1)/chunks) for c < chunks. */
static fnn_int kgrad_chunks(const conv_geom *G) {
    fnn_int chunks = conv_rows(G) / KGRAD_CHUNK_ROWS;
    if (chunks > KGRAD_MAX_CHUNKS) chunks = KGRAD_MAX_CHUNKS;
    return chunks < 1 ? 1 : chunks;
}

/* Short K: whether some window reaches outside the image (then segments are copied with their
 * padding), the copy's row width in pixels, and the elements a copy takes at most. */
static int direct_needs_pad(const conv_geom *G) {
    return G->pt > 0 || G->pl > 0 || (G->oh - 1) * G->sh + (G->kh - 1) * G->dh >= G->h ||
           (G->ow - 1) * G->sw + (G->kw - 1) * G->dw >= G->w;
}
static fnn_int direct_padded_width(const conv_geom *G) { return (G->ow - 1) * G->sw + (G->kw - 1) * G->dw + 1; }
static fnn_int direct_pad_size(const conv_geom *G) {
    if (!direct_needs_pad(G)) return 0;
    fnn_int out_rows = (DIRECT_BLOCK_ROWS - 1) / G->ow + 2;
    if (out_rows > G->oh) out_rows = G->oh;
    return ((out_rows - 1) * G->sh + (G->kh - 1) * G->dh + 1) * direct_padded_width(G) * G->c;
}
/* Elements of a short-K kernel's per-thread buffer: the packed kernel and bias (or the sums),
 * then a padded segment. */
static fnn_int direct_buffer_size(const conv_geom *G) {
    return (conv_depth(G) + 1) * (G->f + DIRECT_MAX_LANES) + direct_pad_size(G);
}

fnn_int fastnn_conv2d_scratch_size(const fnn_int *geometry) {
    conv_geom G = conv_geom_read(geometry);
    return kgrad_chunks(&G) * conv_depth(&G) * G.f;
}

/* Threads for `work` flops spread over `blocks` blocks. */
static int conv_threads(double work, fnn_int blocks) {
    int nt = fastnn_threads_for(work / 16.0);
    return nt > blocks ? (int)(blocks < 1 ? 1 : blocks) : nt;
}

/* A block's GEMM ran out of memory: the call fails, and the blocks not begun yet are skipped. */
static void conv_fail(atomic_int *status) { atomic_store_explicit(status, -1, memory_order_relaxed); }
static int conv_failed(atomic_int *status) { return atomic_load_explicit(status, memory_order_relaxed) != 0; }

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

/* Rows [first, end) of the im2col matrix of x into col (row r at col + (r - first) * K). */
static void FN(im2col_rows)(const conv_geom *G, const real *x, fnn_int first, fnn_int end, real *col) {
    const fnn_int C = G->c, K = conv_depth(G), run = G->kw * C;
    for (fnn_int r = first; r < end; r++) {
        const fnn_int n = r / (G->oh * G->ow), rest = r % (G->oh * G->ow);
        const fnn_int ih0 = (rest / G->ow) * G->sh - G->pt, iw0 = (rest % G->ow) * G->sw - G->pl;
        const real *image = x + n * G->h * G->w * C;
        real *dst = col + (r - first) * K;
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

/* Images [first, end) of dx: zeroed, then every im2col row of the image (from dcol, the rows
 * of image `first` onwards) added back to the positions it was read from, rows and window
 * positions in increasing order; then multiplied by mask > 0 when there is a mask. */
FNN_INLINE void FN(col2im_body)(const conv_geom *G, const real *dcol, const real *mask, fnn_int first,
                                fnn_int end, real *dx) {
    const fnn_int C = G->c, K = conv_depth(G), image_size = G->h * G->w * C;
    const real *src = dcol;
    for (fnn_int n = first; n < end; n++) {
        real *image = dx + n * image_size;
        memset(image, 0, (size_t)image_size * sizeof(real));
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
        if (mask) {
            const real *m = mask + n * image_size;
            for (fnn_int i = 0; i < image_size; i++) image[i] = m[i] > 0 ? image[i] : 0;
        }
    }
}

static void FN(col2im_portable)(const conv_geom *G, const real *dcol, const real *mask, fnn_int first,
                                fnn_int end, real *dx) {
    FN(col2im_body)(G, dcol, mask, first, end, dx);
}
static FNN_TARGET_AVX2 void FN(col2im_avx2)(const conv_geom *G, const real *dcol, const real *mask,
                                            fnn_int first, fnn_int end, real *dx) {
    FN(col2im_body)(G, dcol, mask, first, end, dx);
}

/* Short K (<= DIRECT_MAX_DEPTH, a few input channels): the kernel gradient and the forward
 * pass read each row's window straight from the image, or from a copy of the rows a segment
 * needs with their zero padding around them (direct_pad_size), so that every window lies inside;
 * no im2col, no GEMM. The rows are walked in order, one segment (at most DIRECT_BLOCK_ROWS rows
 * of one image) at a time. */
typedef struct {
    const real *base; /* window origin of output (oh0, 0) */
    fnn_int pitch, oh0; /* elements from one source row to the next; the segment's first output row */
} FN(direct_source);

/* The window origin of the walk's current row. */
typedef struct {
    const real *window;
    fnn_int oh, ow;
} FN(source_walk);

FNN_INLINE void FN(source_walk_start)(const conv_geom *G, const FN(direct_source) *src, fnn_int r,
                                      FN(source_walk) *at) {
    const fnn_int rest = r % (G->oh * G->ow);
    at->oh = rest / G->ow;
    at->ow = rest % G->ow;
    at->window = src->base + (at->oh - src->oh0) * G->sh * src->pitch + at->ow * G->sw * G->c;
}

FNN_INLINE void FN(source_walk_next)(const conv_geom *G, const FN(direct_source) *src, FN(source_walk) *at) {
    if (++at->ow < G->ow) {
        at->window += G->sw * G->c;
        return;
    }
    at->ow = 0;
    at->oh++;
    at->window = src->base + (at->oh - src->oh0) * G->sh * src->pitch;
}

/* The segment of rows [first, end) from `first`: up to the end of its image and at most
 * DIRECT_BLOCK_ROWS rows; returns its end and sets src (its padded rows copied into pad when
 * windows reach outside the image). */
static fnn_int FN(direct_segment)(const conv_geom *G, const real *x, fnn_int first, fnn_int end, real *pad,
                                  FN(direct_source) *src) {
    const fnn_int image_rows = G->oh * G->ow, n = first / image_rows, C = G->c;
    fnn_int last = (n + 1) * image_rows < end ? (n + 1) * image_rows : end;
    if (last > first + DIRECT_BLOCK_ROWS) last = first + DIRECT_BLOCK_ROWS;
    const fnn_int oh0 = first % image_rows / G->ow, oh1 = (last - 1) % image_rows / G->ow;
    const real *image = x + n * G->h * G->w * C;
    src->oh0 = oh0;
    if (!direct_needs_pad(G)) {
        src->base = image + oh0 * G->sh * G->w * C;
        src->pitch = G->w * C;
        return last;
    }
    const fnn_int width = direct_padded_width(G), rows = (oh1 - oh0) * G->sh + (G->kh - 1) * G->dh + 1;
    const fnn_int left = G->pl < width ? G->pl : width, right = G->pl + G->w < width ? G->pl + G->w : width;
    for (fnn_int i = 0; i < rows; i++) {
        const fnn_int ih = oh0 * G->sh - G->pt + i;
        real *dst = pad + i * width * C;
        if (ih < 0 || ih >= G->h) {
            memset(dst, 0, sizeof(real) * (size_t)(width * C));
            continue;
        }
        memset(dst, 0, sizeof(real) * (size_t)(left * C));
        memcpy(dst + left * C, image + (ih * G->w + left - G->pl) * C, sizeof(real) * (size_t)((right - left) * C));
        memset(dst + right * C, 0, sizeof(real) * (size_t)((width - right) * C));
    }
    src->base = pad;
    src->pitch = width * C;
    return last;
}

/* off[k]: where window value k lies from the window's origin, source rows `pitch` apart. */
static void FN(window_offsets)(const conv_geom *G, fnn_int pitch, fnn_int *off) {
    fnn_int p = 0;
    for (fnn_int kh = 0; kh < G->kh; kh++)
        for (fnn_int kw = 0; kw < G->kw; kw++)
            for (fnn_int c = 0; c < G->c; c++) off[p++] = kh * G->dh * pitch + kw * G->dw * G->c + c;
}

typedef real FN(vec_portable) __attribute__((vector_size(16)));
typedef real FN(vec_avx2) __attribute__((vector_size(32)));
typedef real FN(vec_avx512) __attribute__((vector_size(64)));

#ifdef DIRECT_X86
/* The first cols (< L) lanes of a vector from or to p, with masked loads and stores. */
FNN_INLINE FNN_TARGET_AVX2 FN(vec_avx2) FN(first_load_avx2)(const real *p, fnn_int cols) {
    if (sizeof(real) == 4)
        return (FN(vec_avx2))_mm256_maskload_ps(
            (const float *)p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    return (FN(vec_avx2))_mm256_maskload_pd(
        (const double *)p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(cols), _mm256_setr_epi64x(0, 1, 2, 3)));
}
FNN_INLINE FNN_TARGET_AVX2 void FN(first_store_avx2)(real *p, FN(vec_avx2) v, fnn_int cols) {
    if (sizeof(real) == 4)
        _mm256_maskstore_ps((float *)p,
                            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                            (__m256)v);
    else
        _mm256_maskstore_pd((double *)p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(cols), _mm256_setr_epi64x(0, 1, 2, 3)),
                            (__m256d)v);
}
FNN_INLINE FNN_TARGET_AVX512 FN(vec_avx512) FN(first_load_avx512)(const real *p, fnn_int cols) {
    if (sizeof(real) == 4) return (FN(vec_avx512))_mm512_maskz_loadu_ps((__mmask16)((1u << cols) - 1), p);
    return (FN(vec_avx512))_mm512_maskz_loadu_pd((__mmask8)((1u << cols) - 1), p);
}
FNN_INLINE FNN_TARGET_AVX512 void FN(first_store_avx512)(real *p, FN(vec_avx512) v, fnn_int cols) {
    if (sizeof(real) == 4)
        _mm512_mask_storeu_ps(p, (__mmask16)((1u << cols) - 1), (__m512)v);
    else
        _mm512_mask_storeu_pd(p, (__mmask8)((1u << cols) - 1), (__m512d)v);
}
#endif

#define DIRECT(name) FN(direct_portable_##name)
#define V FN(vec_portable)
#define L ((fnn_int)(16 / sizeof(real)))
#define TARGET
#define ROWS 4
#define REGS 16
#include "conv_direct.inc"
#undef DIRECT
#undef V
#undef L
#undef TARGET
#undef ROWS
#undef REGS
#define DIRECT(name) FN(direct_avx2_##name)
#define V FN(vec_avx2)
#define L ((fnn_int)(32 / sizeof(real)))
#define TARGET FNN_TARGET_AVX2
#define ROWS 4
#define REGS 16
#ifdef DIRECT_X86
#define FIRST_LOAD FN(first_load_avx2)
#define FIRST_STORE FN(first_store_avx2)
#endif
#include "conv_direct.inc"
#undef DIRECT
#undef V
#undef L
#undef TARGET
#undef ROWS
#undef REGS
#define DIRECT(name) FN(direct_avx512_##name)
#define V FN(vec_avx512)
#define L ((fnn_int)(64 / sizeof(real)))
#define TARGET FNN_TARGET_AVX512
#define ROWS 8
#define REGS 32
#ifdef DIRECT_X86
#define FIRST_LOAD FN(first_load_avx512)
#define FIRST_STORE FN(first_store_avx512)
#endif
#include "conv_direct.inc"
#undef DIRECT
#undef V
#undef L
#undef TARGET
#undef ROWS
#undef REGS

typedef void (*FN(direct_kgrad_fn))(const conv_geom *, const real *, const real *, fnn_int, fnn_int, real *,
                                    double *, real *);
typedef void (*FN(direct_forward_fn))(const conv_geom *, const real *, const real *, const real *, int, fnn_int,
                                      fnn_int, real *, real *);

static FN(direct_kgrad_fn) FN(pick_direct_kgrad)(void) {
    if (fnn_use_avx512()) return FN(direct_avx512_kgrad);
    return fnn_use_avx2() ? FN(direct_avx2_kgrad) : FN(direct_portable_kgrad);
}

static FN(direct_forward_fn) FN(pick_direct_forward)(void) {
    if (fnn_use_avx512()) return FN(direct_avx512_forward);
    return fnn_use_avx2() ? FN(direct_avx2_forward) : FN(direct_portable_forward);
}

/* bias[f] := sum of dy rows [first, end) in order, in double. */
FNN_INLINE void FN(bias_rows_body)(const real *dy, fnn_int F, fnn_int first, fnn_int end, double *bias) {
    memset(bias, 0, (size_t)F * sizeof(double));
    for (fnn_int r = first; r < end; r++) {
        const real *restrict d = dy + r * F;
        for (fnn_int f = 0; f < F; f++) bias[f] += d[f];
    }
}

static void FN(bias_rows_portable)(const real *dy, fnn_int F, fnn_int first, fnn_int end, double *bias) {
    FN(bias_rows_body)(dy, F, first, end, bias);
}
static FNN_TARGET_AVX2 void FN(bias_rows_avx2)(const real *dy, fnn_int F, fnn_int first, fnn_int end,
                                               double *bias) {
    FN(bias_rows_body)(dy, F, first, end, bias);
}

/* Rows per forward block: about BLOCK_BYTES of im2col rows, at least one. */
static fnn_int FN(block_rows)(fnn_int K) {
    fnn_int rows = BLOCK_BYTES / (K * (fnn_int)sizeof(real));
    return rows < 16 ? 16 : rows / 16 * 16;
}

/* One call as its parallel loop sees it; `buffers` holds one scratch buffer of `per_thread`
 * elements per thread (im2col rows, dcol rows or the kernel gradient's im2col chunk). */
typedef struct {
    conv_geom G;
    const real *x, *kernel, *bias, *mask, *dy;
    real *out, *dbias, *scratch, *buffers; /* out: y, dx or dkernel */
    double *bias_parts;
    fnn_int rows, chunks; /* rows (forward) or images (input gradient) per block; kgrad chunks */
    size_t per_thread;
    int activation, direct, pointwise;
    FN(direct_forward_fn) direct_forward;
    FN(direct_kgrad_fn) direct_kgrad;
    void (*col2im)(const conv_geom *, const real *, const real *, fnn_int, fnn_int, real *);
    void (*bias_rows)(const real *, fnn_int, fnn_int, fnn_int, double *);
    atomic_int status;
} FN(conv_job);

/* Forward blocks [first, end): rows [b * rows, (b + 1) * rows) of y each. */
static void FN(forward_blocks)(void *ctx, fnn_int first, fnn_int end, int slot) {
    FN(conv_job) *J = ctx;
    const conv_geom *G = &J->G;
    const fnn_int M = conv_rows(G), K = conv_depth(G), F = G->f;
    real *col = J->buffers + (size_t)slot * J->per_thread;
    for (fnn_int b = first; b < end && !conv_failed(&J->status); b++) {
        const fnn_int r0 = b * J->rows, r1 = r0 + J->rows < M ? r0 + J->rows : M;
        if (J->direct) {
            J->direct_forward(G, J->x, J->kernel, J->bias, J->activation == FASTNN_ACT_RELU, r0, r1, J->out, col);
            continue;
        }
        FN(im2col_rows)(G, J->x, r0, r1, col);
        if (GEMM(r1 - r0, F, K, col, K, 1, J->kernel, F, 1, J->out + r0 * F, F, J->bias, J->activation, NULL, 0))
            conv_fail(&J->status);
    }
}

int FN(fastnn_conv2d)(const fnn_int *geometry, const real *x, const real *kernel, const real *bias,
                      int activation, real *y, real *scratch) {
    (void)scratch;
    FN(conv_job) J = {.G = conv_geom_read(geometry), .x = x, .kernel = kernel, .bias = bias, .out = y,
                      .activation = activation};
    const fnn_int M = conv_rows(&J.G), K = conv_depth(&J.G), F = J.G.f;
    if (M == 0 || F == 0) return 0;
    J.direct = K >= 1 && K <= DIRECT_MAX_DEPTH;
    if (K == 0 || (conv_is_pointwise(&J.G) && !J.direct))
        return GEMM(M, F, K, x, K, 1, kernel, F, 1, y, F, bias, activation, NULL, 0);
    J.rows = J.direct ? DIRECT_BLOCK_ROWS : FN(block_rows)(K);
    const fnn_int blocks = (M + J.rows - 1) / J.rows;
    const int nt = conv_threads(2.0 * (double)M * (double)K * (double)F, blocks);
    J.per_thread = (size_t)(J.direct ? direct_buffer_size(&J.G) : J.rows * K);
    J.buffers = malloc(sizeof(real) * (size_t)nt * J.per_thread);
    if (!J.buffers) return -1;
    J.direct_forward = FN(pick_direct_forward)();
    fastnn_parallel_for(blocks, nt, FN(forward_blocks), &J);
    free(J.buffers);
    return atomic_load(&J.status);
}

/* Input-gradient blocks [first, end): images [b * rows, (b + 1) * rows) of dx each. */
static void FN(input_grad_blocks)(void *ctx, fnn_int first, fnn_int end, int slot) {
    FN(conv_job) *J = ctx;
    const conv_geom *G = &J->G;
    const fnn_int K = conv_depth(G), F = G->f, image_rows = G->oh * G->ow;
    real *dcol = J->buffers + (size_t)slot * J->per_thread;
    for (fnn_int b = first; b < end && !conv_failed(&J->status); b++) {
        const fnn_int n0 = b * J->rows, n1 = n0 + J->rows < G->n ? n0 + J->rows : G->n;
        if (GEMM((n1 - n0) * image_rows, K, F, J->dy + n0 * image_rows * F, F, 1, J->kernel, 1, F, dcol, K, NULL, 0,
                 NULL, 0)) {
            conv_fail(&J->status);
            continue;
        }
        J->col2im(G, dcol, J->mask, n0, n1, J->out);
    }
}

int FN(fastnn_conv2d_input_grad)(const fnn_int *geometry, const real *dy, const real *kernel, const real *mask,
                                 real *dx, real *scratch) {
    (void)scratch;
    FN(conv_job) J = {.G = conv_geom_read(geometry), .dy = dy, .kernel = kernel, .mask = mask, .out = dx};
    const conv_geom *G = &J.G;
    const fnn_int M = conv_rows(G), K = conv_depth(G), F = G->f;
    if (K == 0 || G->n * G->h * G->w == 0) return 0;
    if (M == 0 || F == 0) {
        memset(dx, 0, (size_t)(G->n * G->h * G->w * G->c) * sizeof(real));
        return 0;
    }
    if (conv_is_pointwise(G)) return GEMM(M, K, F, dy, F, 1, kernel, 1, F, dx, K, NULL, 0, mask, K);
    const fnn_int image_rows = G->oh * G->ow;
    J.rows = BLOCK_BYTES / (image_rows * K * (fnn_int)sizeof(real));
    if (J.rows < 1) J.rows = 1;
    const fnn_int blocks = (G->n + J.rows - 1) / J.rows;
    const int nt = conv_threads(2.0 * (double)M * (double)K * (double)F, blocks);
    J.per_thread = (size_t)(J.rows * image_rows * K);
    J.buffers = malloc(sizeof(real) * (size_t)nt * J.per_thread);
    if (!J.buffers) return -1;
    J.col2im = FNN_PICK(FN(col2im_portable), FN(col2im_avx2));
    fastnn_parallel_for(blocks, nt, FN(input_grad_blocks), &J);
    free(J.buffers);
    return atomic_load(&J.status);
}

/* Kernel-gradient chunks [first, end): each chunk's partial sums into its part of scratch. */
static void FN(kgrad_chunks)(void *ctx, fnn_int first, fnn_int end, int slot) {
    FN(conv_job) *J = ctx;
    const conv_geom *G = &J->G;
    const fnn_int M = conv_rows(G), K = conv_depth(G), F = G->f;
    real *col = J->buffers + (size_t)slot * J->per_thread;
    for (fnn_int c = first; c < end && !conv_failed(&J->status); c++) {
        const fnn_int r0 = M * c / J->chunks, r1 = M * (c + 1) / J->chunks;
        real *part = J->scratch + c * K * F;
        double *bias = J->dbias ? J->bias_parts + c * F : NULL;
        const real *a = J->x + r0 * K;
        if (J->direct) {
            J->direct_kgrad(G, J->x, J->dy, r0, r1, part, bias, col);
            continue;
        }
        if (!J->pointwise) {
            FN(im2col_rows)(G, J->x, r0, r1, col);
            a = col;
        }
        if (GEMM(K, F, r1 - r0, a, 1, K, J->dy + r0 * F, F, 1, part, F, NULL, 0, NULL, 0)) conv_fail(&J->status);
        if (bias) J->bias_rows(J->dy, F, r0, r1, bias);
    }
}

/* dkernel elements [first, end): the chunks' partial sums in chunk order. */
static void FN(kgrad_total)(void *ctx, fnn_int first, fnn_int end, int slot) {
    (void)slot;
    const FN(conv_job) *J = ctx;
    const fnn_int elems = conv_depth(&J->G) * J->G.f;
    for (fnn_int e = first; e < end; e++) {
        real sum = J->scratch[e];
        for (fnn_int c = 1; c < J->chunks; c++) sum += J->scratch[c * elems + e];
        J->out[e] = sum;
    }
}

int FN(fastnn_conv2d_kernel_grad)(const fnn_int *geometry, const real *x, const real *dy, real *dkernel,
                                  real *dbias, real *scratch) {
    FN(conv_job) J = {.G = conv_geom_read(geometry), .x = x, .dy = dy, .out = dkernel, .dbias = dbias,
                      .scratch = scratch};
    const conv_geom *G = &J.G;
    const fnn_int M = conv_rows(G), K = conv_depth(G), F = G->f;
    if (F == 0) return 0;
    if (M == 0) {
        memset(dkernel, 0, (size_t)(K * F) * sizeof(real));
        if (dbias) memset(dbias, 0, (size_t)F * sizeof(real));
        return 0;
    }
    J.chunks = kgrad_chunks(G);
    const fnn_int most_rows = (M + J.chunks - 1) / J.chunks;
    J.pointwise = conv_is_pointwise(G);
    J.direct = K >= 1 && K <= DIRECT_MAX_DEPTH;
    const int nt = conv_threads(2.0 * (double)M * (double)K * (double)F, J.chunks);
    J.per_thread = J.direct ? (size_t)direct_buffer_size(G) : J.pointwise ? 0 : (size_t)(most_rows * K);
    J.bias_parts = malloc(sizeof(double) * (size_t)(J.chunks * F) + sizeof(real) * (size_t)nt * J.per_thread);
    if (!J.bias_parts) return -1;
    J.buffers = (real *)(J.bias_parts + J.chunks * F);
    J.direct_kgrad = FN(pick_direct_kgrad)();
    J.bias_rows = FNN_PICK(FN(bias_rows_portable), FN(bias_rows_avx2));
    fastnn_parallel_for(J.chunks, nt, FN(kgrad_chunks), &J);
    fastnn_parallel_for(K * F, nt, FN(kgrad_total), &J);
    if (dbias)
        for (fnn_int f = 0; f < F; f++) {
            double sum = 0;
            for (fnn_int c = 0; c < J.chunks; c++) sum += J.bias_parts[c * F + f];
            dbias[f] = (real)sum;
        }
    const int error = atomic_load(&J.status);
    free(J.bias_parts);
    return error;
}

#undef real
#endif
