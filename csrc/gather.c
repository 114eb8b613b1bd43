/* Batch gather: rows of the training set, picked by index, into a float buffer. */
#include <stdint.h>

#include "dispatch.h"

typedef struct {
    fnn_int row, x_rs, out_rs;
    const void *x;
    const fnn_int *idx;
    void *out;
} gather_job;

/* Defines fastnn_gather_rows_<SRC>_<DST> for source element type S, output type D. */
#define DEFINE_GATHER(SRC, S, DST, D)                                                        \
    static void gather_##SRC##_##DST(void *ctx, fnn_int first, fnn_int end) {                \
        const gather_job *J = ctx;                                                           \
        const fnn_int row = J->row;                                                          \
        for (fnn_int i = first; i < end; i++) {                                              \
            const S *restrict src = (const S *)J->x + J->idx[i] * J->x_rs;                   \
            D *restrict dst = (D *)J->out + i * J->out_rs;                                   \
            for (fnn_int j = 0; j < row; j++) dst[j] = (D)src[j];                            \
        }                                                                                    \
    }                                                                                        \
    void fastnn_gather_rows_##SRC##_##DST(fnn_int count, fnn_int row, const S *x, fnn_int x_rs, \
                                          const fnn_int *idx, D *out, fnn_int out_rs) {      \
        gather_job J = {.row = row, .x_rs = x_rs, .out_rs = out_rs, .x = x, .idx = idx, .out = out}; \
        if (row <= 0) return;                                                                \
        fastnn_parallel_blocks(count, fastnn_threads_for((double)count * row), gather_##SRC##_##DST, &J); \
    }

DEFINE_GATHER(u8, unsigned char, f32, float)
DEFINE_GATHER(u8, unsigned char, f64, double)
DEFINE_GATHER(f32, float, f32, float)
DEFINE_GATHER(f32, float, f64, double)
DEFINE_GATHER(f64, double, f32, float)
DEFINE_GATHER(f64, double, f64, double)
