/* take_rows and scatter_add_rows: the rows of a table picked by an array of indices (an
 * embedding's lookup) and the gradient that sends rows back into the table.
 *
 * The indices arrive as float32, float64, int32 or int64 values (an embedding's input is
 * float32 after the trainer's cast). Each must be an integer in [0, rows). They are checked
 * and converted in one pass, in order, before anything is written: a bad index leaves the
 * output untouched and the report names the first one.
 *
 * The typed part after #else is compiled twice through typed_twice.h.
 */
#ifndef FNN_REAL
#include <stdint.h>

#include "dispatch.h"

/* idx[p] := the index at position p; returns -1, or the first position whose value is not an
 * integer in [0, rows) (its value then in *bad_value). */
static fnn_int convert_indices(fnn_int count, const void *indices, int type, fnn_int rows, fnn_int *idx,
                               double *bad_value) {
    const double limit = (double)rows;
    for (fnn_int p = 0; p < count; p++) {
        double v;
        switch (type) {
        case FASTNN_INDEX_F32: v = ((const float *)indices)[p]; break;
        case FASTNN_INDEX_F64: v = ((const double *)indices)[p]; break;
        case FASTNN_INDEX_I32: v = ((const int32_t *)indices)[p]; break;
        default: {
            int64_t k = ((const int64_t *)indices)[p];
            if (k < 0 || k >= rows) {
                *bad_value = (double)k;
                return p;
            }
            idx[p] = (fnn_int)k;
            continue;
        }
        }
        /* NaN fails both comparisons; the range check comes before the conversion to an integer. */
        if (!(v >= 0.0 && v < limit) || (double)(fnn_int)v != v) {
            *bad_value = v;
            return p;
        }
        idx[p] = (fnn_int)v;
    }
    return -1;
}

/* Takes the workspace for count converted indices and fills it; returns 0, -1 when out of
 * memory, FASTNN_BAD_INDEX when an index is bad (bad[0] its position, bad[1] its value). */
static int take_indices(fnn_int count, const void *indices, int type, fnn_int rows, fnn_int **idx, double *bad) {
    *idx = fastnn_workspace_take((size_t)(count > 0 ? count : 1) * sizeof(fnn_int), 64);
    if (!*idx) return -1;
    fnn_int first_bad = convert_indices(count, indices, type, rows, *idx, &bad[1]);
    if (first_bad < 0) return 0;
    bad[0] = (double)first_bad;
    fastnn_workspace_give(*idx);
    return FASTNN_BAD_INDEX;
}

typedef struct {
    fnn_int count, dim, src_rs, dst_rs;
    const fnn_int *idx;
    const void *src;
    void *dst;
} rows_job;

#define FNN_TYPED_FILE "rows.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

/* Positions [first, end): their rows of the table copied out. */
static void FN(take_block)(void *ctx, fnn_int first, fnn_int end) {
    const rows_job *J = ctx;
    for (fnn_int p = first; p < end; p++) {
        const real *restrict src = (const real *)J->src + J->idx[p] * J->src_rs;
        real *restrict dst = (real *)J->dst + p * J->dst_rs;
        for (fnn_int j = 0; j < J->dim; j++) dst[j] = src[j];
    }
}

/* Table rows [first, end): zeroed, then every position whose index falls among them adds its
 * gradient row, in position order (so each row's sum is the same at any thread count). */
static void FN(scatter_block)(void *ctx, fnn_int first, fnn_int end) {
    const rows_job *J = ctx;
    for (fnn_int r = first; r < end; r++) {
        real *restrict dst = (real *)J->dst + r * J->dst_rs;
        for (fnn_int j = 0; j < J->dim; j++) dst[j] = 0;
    }
    for (fnn_int p = 0; p < J->count; p++) {
        const fnn_int r = J->idx[p];
        if (r < first || r >= end) continue;
        const real *restrict src = (const real *)J->src + p * J->src_rs;
        real *restrict dst = (real *)J->dst + r * J->dst_rs;
        for (fnn_int j = 0; j < J->dim; j++) dst[j] += src[j];
    }
}

int FN(fastnn_take_rows)(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows,
                         const real *table, fnn_int table_rs, real *out, fnn_int out_rs, double *bad) {
    fnn_int *idx;
    int status = take_indices(count, indices, index_type, rows, &idx, bad);
    if (status) return status;
    if (dim > 0) {
        rows_job J = {.count = count, .dim = dim, .src_rs = table_rs, .dst_rs = out_rs, .idx = idx,
                      .src = table, .dst = out};
        fastnn_parallel_blocks(count, fastnn_threads_for((double)count * dim), FN(take_block), &J);
    }
    fastnn_workspace_give(idx);
    return 0;
}

int FN(fastnn_scatter_add_rows)(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows,
                                const real *grad, fnn_int grad_rs, real *out, fnn_int out_rs, double *bad) {
    fnn_int *idx;
    int status = take_indices(count, indices, index_type, rows, &idx, bad);
    if (status) return status;
    if (dim > 0) {
        rows_job J = {.count = count, .dim = dim, .src_rs = grad_rs, .dst_rs = out_rs, .idx = idx,
                      .src = grad, .dst = out};
        double work = (double)rows * dim + (double)count * dim;
        fastnn_parallel_blocks(rows, fastnn_threads_for(work), FN(scatter_block), &J);
    }
    fastnn_workspace_give(idx);
    return 0;
}

#undef real
#endif
