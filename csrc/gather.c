/* Batch gather: rows of the training set, picked by index, into a float buffer. */
#include <stdint.h>

#include "dispatch.h"

typedef struct {
    fnn_int row, x_rs, out_rs;
    const void *x;
    const fnn_int *idx;
    void *out;
} gather_job;

/* Rows picked at random from a large training set come from DRAM: while one row is copied,
 * the rows about PREFETCH_BYTES further on are requested, so their cache lines are on their way. */
#define PREFETCH_BYTES 8192
#define CACHE_LINE 64

static inline fnn_int prefetch_distance(size_t row_bytes) {
    size_t rows = PREFETCH_BYTES / (row_bytes ? row_bytes : 1);
    return rows < 2 ? 2 : rows > 16 ? 16 : (fnn_int)rows;
}

static inline void prefetch_row(const void *start, size_t bytes) {
#if defined(__GNUC__)
    const char *p = start;
    for (size_t off = 0; off < bytes; off += CACHE_LINE) __builtin_prefetch(p + off, 0, 0);
#else
    (void)start;
    (void)bytes;
#endif
}

/* Defines fastnn_gather_rows_<SRC>_<DST> for source element type S, output type D. */
#define DEFINE_GATHER(SRC, S, DST, D)                                                        \
    static void gather_##SRC##_##DST(void *ctx, fnn_int first, fnn_int end) {                \
        const gather_job *J = ctx;                                                           \
        const fnn_int row = J->row;                                                          \
        const size_t row_bytes = (size_t)row * sizeof(S);                                    \
        const fnn_int ahead = prefetch_distance(row_bytes);                                  \
        for (fnn_int i = first; i < end && i < first + ahead; i++)                           \
            prefetch_row((const S *)J->x + J->idx[i] * J->x_rs, row_bytes);                 \
        for (fnn_int i = first; i < end; i++) {                                              \
            if (i + ahead < end)                                                             \
                prefetch_row((const S *)J->x + J->idx[i + ahead] * J->x_rs, row_bytes);      \
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
