#include "fastnn.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void fastnn_parallel_blocks(fnn_int nblocks, int nthreads, fastnn_block_fn fn, void *ctx) {
    if (nblocks <= 0) return;
    if (nthreads > nblocks) nthreads = (int)nblocks;
#ifdef _OPENMP
    if (nthreads > 1) {
#pragma omp parallel num_threads(nthreads)
        {
            fnn_int team = omp_get_num_threads(), t = omp_get_thread_num();
            fnn_int first = nblocks * t / team, end = nblocks * (t + 1) / team;
            if (first < end) fn(ctx, first, end);
        }
        return;
    }
#endif
    fn(ctx, 0, nblocks);
}
