/* One time step of a recurrent cell after its two matrix products: the gate nonlinearities
 * and the state update of SimpleRNN, LSTM and GRU, fused in one pass over the batch rows, and
 * the backward of that pass.
 *
 * xz = x W + b and hz = h_prev U (+ the recurrent bias) come in with the gates side by side in
 * Keras's order (LSTM i, f, c, o; GRU z, r, h). A step writes a record per row that its
 * backward reads: SimpleRNN [h], LSTM [i f g o c h], GRU [z r hh hn h] (gates after their
 * activations, hn = the h part of hz). A row whose mask value is 0 skips the step: its state
 * is the previous record's, its gates are 0, and its backward passes the state gradient
 * through unchanged. The activations are those whose derivative follows from their output.
 *
 * The typed part after #else is compiled twice through typed_twice.h.
 */
#ifndef FNN_REAL
#include <math.h>

#include "activation_math.h"
#include "dispatch.h"
#include "expmath.h"

/* The rows a loop reads and the row it writes never overlap: no run-time alias checks. */
#if defined(__GNUC__) && !defined(__clang__)
#define FNN_IVDEP _Pragma("GCC ivdep")
#else
#define FNN_IVDEP
#endif

/* The cells also get an AVX-512 variant: their gate math is long per element, and 16 lanes
 * halve its instructions. */
#define CELL_VARIANTS(portable, avx2, avx512, body)                                              \
    FNN_BLOCK_VARIANTS(portable, avx2, body)                                                       \
    static FNN_TARGET_AVX512 void avx512(void *ctx, fnn_int first, fnn_int end) { body(ctx, first, end); }
#define CELL_PICK(portable, avx2, avx512) (fnn_use_avx512() ? (avx512) : FNN_PICK(portable, avx2))

/* Asks for the cache lines of bytes at row, to be read soon. Two uses: a backward runs the steps
 * in reverse, so the record a step reads as the previous one is the next step's own record,
 * long out of cache (each row is requested while its row is worked on); and a forward step's
 * rows of x W + b lie one sequence apart (the row ROWS_AHEAD on is requested). */
FNN_INLINE void prefetch_record(const void *row, size_t bytes) {
#if defined(__GNUC__)
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch((const char *)row + off, 0, 3);
#else
    (void)row;
    (void)bytes;
#endif
}

#define ROWS_AHEAD 4

FNN_INLINE float rnn_tanh_f32(float x) { return tanh_f32(x); }
FNN_INLINE double rnn_tanh_f64(double x) { return tanh(x); } /* as fastnn_map1's tanh in double */

typedef struct {
    int act, ract;
    fnn_int n, u;
    const void *xz, *hz, *prev, *mask, *dh, *dy;
    void *out, *carry, *dhz;
    fnn_int xz_rs, hz_rs, prev_rs, mask_stride, out_rs, dh_rs, dy_rs, carry_rs, dhz_rs;
} cell_job;

#define FNN_TYPED_FILE "recurrent.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

/* The activation and its derivative given its output y. */
FNN_INLINE real FN(cell_act)(int a, real x) {
    switch (a) {
    case FASTNN_RNN_TANH: return FN(rnn_tanh)(x);
    case FASTNN_RNN_SIGMOID: return FN(sigmoid)(x);
    case FASTNN_RNN_RELU: return x < 0 ? (real)0 : x;
    case FASTNN_RNN_HARD_SIGMOID: return FN(hard_sigmoid)(x);
    default: return x;
    }
}

FNN_INLINE real FN(cell_slope)(int a, real y) {
    switch (a) {
    case FASTNN_RNN_TANH: return (real)1 - y * y;
    case FASTNN_RNN_SIGMOID: return y * ((real)1 - y);
    case FASTNN_RNN_RELU: return y > 0 ? (real)1 : (real)0;
    case FASTNN_RNN_HARD_SIGMOID: return (y > 0 && y < 1) ? (real)1 / (real)6 : (real)0;
    default: return (real)1;
    }
}

FNN_INLINE int FN(skips)(const cell_job *J, fnn_int i) {
    return J->mask && ((const real *)J->mask)[i * J->mask_stride] == 0;
}

/* ---- forward: rows [first, end) ---- */
FNN_INLINE void FN(simple_rows)(const cell_job *J, fnn_int first, fnn_int end, int act) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict x = (const real *)J->xz + i * J->xz_rs;
        const real *restrict h = (const real *)J->hz + i * J->hz_rs;
        const real *restrict p = (const real *)J->prev + i * J->prev_rs;
        real *restrict o = (real *)J->out + i * J->out_rs;
        if (i + ROWS_AHEAD < end) prefetch_record(x + ROWS_AHEAD * J->xz_rs, (size_t)u * sizeof(real));
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < u; j++) o[j] = p[j];
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) o[j] = FN(cell_act)(act, x[j] + h[j]);
    }
}

FNN_INLINE void FN(lstm_rows)(const cell_job *J, fnn_int first, fnn_int end, int act, int ract) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict x = (const real *)J->xz + i * J->xz_rs;
        const real *restrict h = (const real *)J->hz + i * J->hz_rs;
        const real *restrict p = (const real *)J->prev + i * J->prev_rs;
        real *restrict o = (real *)J->out + i * J->out_rs;
        if (i + ROWS_AHEAD < end) prefetch_record(x + ROWS_AHEAD * J->xz_rs, 4 * (size_t)u * sizeof(real));
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < 4 * u; j++) o[j] = 0;
            for (fnn_int j = 4 * u; j < 6 * u; j++) o[j] = p[j];
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) {
            real ig = FN(cell_act)(ract, x[j] + h[j]);
            real fg = FN(cell_act)(ract, x[u + j] + h[u + j]);
            real gg = FN(cell_act)(act, x[2 * u + j] + h[2 * u + j]);
            real og = FN(cell_act)(ract, x[3 * u + j] + h[3 * u + j]);
            real c = fg * p[4 * u + j] + ig * gg;
            o[j] = ig;
            o[u + j] = fg;
            o[2 * u + j] = gg;
            o[3 * u + j] = og;
            o[4 * u + j] = c;
            o[5 * u + j] = og * FN(cell_act)(act, c);
        }
    }
}

FNN_INLINE void FN(gru_rows)(const cell_job *J, fnn_int first, fnn_int end, int act, int ract) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict x = (const real *)J->xz + i * J->xz_rs;
        const real *restrict h = (const real *)J->hz + i * J->hz_rs;
        const real *restrict p = (const real *)J->prev + i * J->prev_rs;
        real *restrict o = (real *)J->out + i * J->out_rs;
        if (i + ROWS_AHEAD < end) prefetch_record(x + ROWS_AHEAD * J->xz_rs, 3 * (size_t)u * sizeof(real));
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < 4 * u; j++) o[j] = 0;
            for (fnn_int j = 4 * u; j < 5 * u; j++) o[j] = p[j];
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) {
            real zg = FN(cell_act)(ract, x[j] + h[j]);
            real rg = FN(cell_act)(ract, x[u + j] + h[u + j]);
            real hn = h[2 * u + j];
            real hh = FN(cell_act)(act, x[2 * u + j] + rg * hn);
            o[j] = zg;
            o[u + j] = rg;
            o[2 * u + j] = hh;
            o[3 * u + j] = hn;
            o[4 * u + j] = zg * p[4 * u + j] + ((real)1 - zg) * hh;
        }
    }
}

/* ---- backward: the state gradient Dh = carry + dh + dy, then the pre-activation gradients ---- */
FNN_INLINE void FN(gather_dh)(const cell_job *J, fnn_int i, real *restrict cr) {
    const fnn_int u = J->u;
    if (J->dh) {
        const real *restrict dh = (const real *)J->dh + i * J->dh_rs;
        for (fnn_int j = 0; j < u; j++) cr[j] += dh[j];
    }
    if (J->dy) {
        const real *restrict dy = (const real *)J->dy + i * J->dy_rs;
        for (fnn_int j = 0; j < u; j++) cr[j] += dy[j];
    }
}

FNN_INLINE void FN(simple_grad_rows)(const cell_job *J, fnn_int first, fnn_int end, int act) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict rec = (const real *)J->xz + i * J->xz_rs;
        real *restrict cr = (real *)J->carry + i * J->carry_rs;
        real *restrict dz = (real *)J->out + i * J->out_rs;
        FN(gather_dh)(J, i, cr);
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < u; j++) dz[j] = 0;
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) {
            dz[j] = cr[j] * FN(cell_slope)(act, rec[j]);
            cr[j] = 0;
        }
    }
}

FNN_INLINE void FN(lstm_grad_rows)(const cell_job *J, fnn_int first, fnn_int end, int act, int ract) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict r = (const real *)J->xz + i * J->xz_rs;
        const real *restrict p = (const real *)J->prev + i * J->prev_rs;
        real *restrict cr = (real *)J->carry + i * J->carry_rs;
        real *restrict dz = (real *)J->out + i * J->out_rs;
        prefetch_record(p, 6 * (size_t)u * sizeof(real));
        FN(gather_dh)(J, i, cr);
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < 4 * u; j++) dz[j] = 0;
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) {
            real ig = r[j], fg = r[u + j], gg = r[2 * u + j], og = r[3 * u + j];
            real tc = FN(cell_act)(act, r[4 * u + j]), dh = cr[j];
            real dc = cr[u + j] + dh * og * FN(cell_slope)(act, tc);
            dz[j] = dc * gg * FN(cell_slope)(ract, ig);
            dz[u + j] = dc * p[4 * u + j] * FN(cell_slope)(ract, fg);
            dz[2 * u + j] = dc * ig * FN(cell_slope)(act, gg);
            dz[3 * u + j] = dh * tc * FN(cell_slope)(ract, og);
            cr[u + j] = dc * fg;
            cr[j] = 0;
        }
    }
}

FNN_INLINE void FN(gru_grad_rows)(const cell_job *J, fnn_int first, fnn_int end, int act, int ract) {
    const fnn_int u = J->u;
    for (fnn_int i = first; i < end; i++) {
        const real *restrict r = (const real *)J->xz + i * J->xz_rs;
        const real *restrict p = (const real *)J->prev + i * J->prev_rs;
        real *restrict cr = (real *)J->carry + i * J->carry_rs;
        real *restrict dx = (real *)J->out + i * J->out_rs;
        real *restrict dr = (real *)J->dhz + i * J->dhz_rs;
        prefetch_record(p, 5 * (size_t)u * sizeof(real));
        FN(gather_dh)(J, i, cr);
        if (FN(skips)(J, i)) {
            for (fnn_int j = 0; j < 3 * u; j++) dx[j] = dr[j] = 0;
            continue;
        }
        FNN_IVDEP
        for (fnn_int j = 0; j < u; j++) {
            real zg = r[j], rg = r[u + j], hh = r[2 * u + j], hn = r[3 * u + j], dh = cr[j];
            real dhp = dh * ((real)1 - zg) * FN(cell_slope)(act, hh);
            real dzp = dh * (p[4 * u + j] - hh) * FN(cell_slope)(ract, zg);
            real drp = dhp * hn * FN(cell_slope)(ract, rg);
            dx[j] = dr[j] = dzp;
            dx[u + j] = dr[u + j] = drp;
            dx[2 * u + j] = dhp;
            dr[2 * u + j] = dhp * rg;
            cr[j] = dh * zg;
        }
    }
}

/* Each body runs its rows with the usual activations as constants (so that the loop
 * vectorises), or with the job's. */
FNN_INLINE void FN(simple_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH) FN(simple_rows)(J, first, end, FASTNN_RNN_TANH);
    else if (J->act == FASTNN_RNN_RELU) FN(simple_rows)(J, first, end, FASTNN_RNN_RELU);
    else FN(simple_rows)(J, first, end, J->act);
}

FNN_INLINE void FN(lstm_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH && J->ract == FASTNN_RNN_SIGMOID)
        FN(lstm_rows)(J, first, end, FASTNN_RNN_TANH, FASTNN_RNN_SIGMOID);
    else FN(lstm_rows)(J, first, end, J->act, J->ract);
}

FNN_INLINE void FN(gru_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH && J->ract == FASTNN_RNN_SIGMOID)
        FN(gru_rows)(J, first, end, FASTNN_RNN_TANH, FASTNN_RNN_SIGMOID);
    else FN(gru_rows)(J, first, end, J->act, J->ract);
}

FNN_INLINE void FN(simple_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH) FN(simple_grad_rows)(J, first, end, FASTNN_RNN_TANH);
    else if (J->act == FASTNN_RNN_RELU) FN(simple_grad_rows)(J, first, end, FASTNN_RNN_RELU);
    else FN(simple_grad_rows)(J, first, end, J->act);
}

FNN_INLINE void FN(lstm_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH && J->ract == FASTNN_RNN_SIGMOID)
        FN(lstm_grad_rows)(J, first, end, FASTNN_RNN_TANH, FASTNN_RNN_SIGMOID);
    else FN(lstm_grad_rows)(J, first, end, J->act, J->ract);
}

FNN_INLINE void FN(gru_grad_body)(void *ctx, fnn_int first, fnn_int end) {
    const cell_job *J = ctx;
    if (J->act == FASTNN_RNN_TANH && J->ract == FASTNN_RNN_SIGMOID)
        FN(gru_grad_rows)(J, first, end, FASTNN_RNN_TANH, FASTNN_RNN_SIGMOID);
    else FN(gru_grad_rows)(J, first, end, J->act, J->ract);
}

CELL_VARIANTS(FN(simple_portable), FN(simple_avx2), FN(simple_avx512), FN(simple_body))
CELL_VARIANTS(FN(lstm_portable), FN(lstm_avx2), FN(lstm_avx512), FN(lstm_body))
CELL_VARIANTS(FN(gru_portable), FN(gru_avx2), FN(gru_avx512), FN(gru_body))
CELL_VARIANTS(FN(simple_grad_portable), FN(simple_grad_avx2), FN(simple_grad_avx512), FN(simple_grad_body))
CELL_VARIANTS(FN(lstm_grad_portable), FN(lstm_grad_avx2), FN(lstm_grad_avx512), FN(lstm_grad_body))
CELL_VARIANTS(FN(gru_grad_portable), FN(gru_grad_avx2), FN(gru_grad_avx512), FN(gru_grad_body))

/* Work per element of a row, relative to an addition, for the thread count. */
static const double FN(cell_cost)[3] = {[FASTNN_CELL_SIMPLE] = 10.0, [FASTNN_CELL_LSTM] = 50.0,
                                        [FASTNN_CELL_GRU] = 40.0};

void FN(fastnn_rnn_cell)(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const real *xz,
                         fnn_int xz_rs, const real *hz, fnn_int hz_rs, const real *prev, fnn_int prev_rs,
                         const real *mask, fnn_int mask_stride, real *out, fnn_int out_rs) {
    if (n <= 0 || u <= 0) return;
    cell_job J = {.act = activation, .ract = recurrent_activation, .n = n, .u = u, .xz = xz, .hz = hz,
                  .prev = prev, .mask = mask, .out = out, .xz_rs = xz_rs, .hz_rs = hz_rs, .prev_rs = prev_rs,
                  .mask_stride = mask_stride, .out_rs = out_rs};
    fastnn_block_fn fn = cell == FASTNN_CELL_LSTM ? CELL_PICK(FN(lstm_portable), FN(lstm_avx2), FN(lstm_avx512))
                       : cell == FASTNN_CELL_GRU  ? CELL_PICK(FN(gru_portable), FN(gru_avx2), FN(gru_avx512))
                                                  : CELL_PICK(FN(simple_portable), FN(simple_avx2), FN(simple_avx512));
    fastnn_parallel_blocks(n, fastnn_threads_for((double)n * u * FN(cell_cost)[cell]), fn, &J);
}

void FN(fastnn_rnn_cell_grad)(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u,
                              const real *record, fnn_int record_rs, const real *prev, fnn_int prev_rs,
                              const real *dh, fnn_int dh_rs, const real *dy, fnn_int dy_rs, real *carry,
                              fnn_int carry_rs, const real *mask, fnn_int mask_stride, real *dxz, fnn_int dxz_rs,
                              real *dhz, fnn_int dhz_rs) {
    if (n <= 0 || u <= 0) return;
    cell_job J = {.act = activation, .ract = recurrent_activation, .n = n, .u = u, .xz = record, .prev = prev,
                  .mask = mask, .dh = dh, .dy = dy, .out = dxz, .carry = carry, .dhz = dhz, .xz_rs = record_rs,
                  .prev_rs = prev_rs, .mask_stride = mask_stride, .out_rs = dxz_rs, .dh_rs = dh_rs,
                  .dy_rs = dy_rs, .carry_rs = carry_rs, .dhz_rs = dhz_rs};
    fastnn_block_fn fn = cell == FASTNN_CELL_LSTM ? CELL_PICK(FN(lstm_grad_portable), FN(lstm_grad_avx2), FN(lstm_grad_avx512))
                       : cell == FASTNN_CELL_GRU  ? CELL_PICK(FN(gru_grad_portable), FN(gru_grad_avx2), FN(gru_grad_avx512))
                                                  : CELL_PICK(FN(simple_grad_portable), FN(simple_grad_avx2), FN(simple_grad_avx512));
    fastnn_parallel_blocks(n, fastnn_threads_for((double)n * u * FN(cell_cost)[cell] * 0.5), fn, &J);
}

#undef real
#endif
