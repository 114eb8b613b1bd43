/* Dropout with a counter-based generator: each element's draw is a hash of
 * (seed, counter, index), so masks are reproducible and the same at any thread count.
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double.
 */
#ifndef FNN_REAL
#include <stdint.h>

#include "dispatch.h"

#define DROPOUT_BLOCK 4096

/* murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
FNN_INLINE uint32_t mix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

FNN_INLINE uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform 32-bit draw for element i under the 64-bit key. */
FNN_INLINE uint32_t draw(uint64_t key, fnn_int i) {
    uint32_t h = mix32((uint32_t)i + (uint32_t)key);
    return mix32(h ^ (uint32_t)(key >> 32) ^ (uint32_t)((uint64_t)i >> 32));
}

#define FNN_TYPED_FILE "dropout.c"
#include "typed_twice.h"

#else /* typed part */
#define real FNN_REAL

typedef struct {
    const real *x;
    real *out, *mask;
    uint64_t key, threshold;
    real scale;
    fnn_int n;
} FN(dropout_job);

FNN_INLINE void FN(dropout_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(dropout_job) *J = ctx;
    fnn_int lo = first * DROPOUT_BLOCK, hi = end * DROPOUT_BLOCK < J->n ? end * DROPOUT_BLOCK : J->n;
    for (fnn_int i = lo; i < hi; i++) {
        real m = (uint64_t)draw(J->key, i) >= J->threshold ? J->scale : (real)0;
        J->mask[i] = m;
        J->out[i] = J->x[i] * m;
    }
}

FNN_BLOCK_VARIANTS(FN(dropout_portable), FN(dropout_avx2), FN(dropout_body))

void FN(fastnn_dropout)(fnn_int n, const real *x, real *out, real *mask, double rate, unsigned long long *state) {
    FN(dropout_job) J = {x, out, mask, 0, 0, (real)(1.0 / (1.0 - rate)), n};
    J.key = mix64(mix64((uint64_t)state[0]) ^ ((uint64_t)state[1] * 0x9e3779b97f4a7c15ull));
    J.threshold = (uint64_t)(rate * 4294967296.0);
    fnn_int blocks = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    fastnn_parallel_blocks(blocks, fastnn_threads_for(4.0 * (double)n),
                           FNN_PICK(FN(dropout_portable), FN(dropout_avx2)), &J);
    state[1] += 1;
}

#undef real
#endif
