/* Dropout, and normal samples, with a counter-based generator: each element's draw is a hash
 * of (seed, counter, index), so masks and samples are reproducible and the same at any thread
 * count.
 *
 * The part after #else is typed: this file includes itself twice, once with
 * real = float and once with real = double.
 */
#ifndef FNN_REAL
#include <math.h>
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

/* The 64-bit key of a (seed, counter) state. */
FNN_INLINE uint64_t state_key(const unsigned long long *state) {
    return mix64(mix64((uint64_t)state[0]) ^ ((uint64_t)state[1] * 0x9e3779b97f4a7c15ull));
}

/* A standard normal sample for element i: Box-Muller on the draws 2i and 2i + 1, in double. */
FNN_INLINE double normal_draw(uint64_t key, fnn_int i) {
    double u1 = ((double)draw(key, 2 * i) + 0.5) * (1.0 / 4294967296.0); /* in (0, 1) */
    double u2 = (double)draw(key, 2 * i + 1) * (1.0 / 4294967296.0);     /* in [0, 1) */
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
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
    J.key = state_key(state);
    J.threshold = (uint64_t)(rate * 4294967296.0);
    fnn_int blocks = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    fastnn_parallel_blocks(blocks, fastnn_threads_for(4.0 * (double)n),
                           FNN_PICK(FN(dropout_portable), FN(dropout_avx2)), &J);
    state[1] += 1;
}

typedef struct {
    real *out;
    uint64_t key;
    double mean, stddev;
    fnn_int n;
} FN(normal_job);

FNN_INLINE void FN(normal_body)(void *ctx, fnn_int first, fnn_int end) {
    const FN(normal_job) *J = ctx;
    fnn_int lo = first * DROPOUT_BLOCK, hi = end * DROPOUT_BLOCK < J->n ? end * DROPOUT_BLOCK : J->n;
    for (fnn_int i = lo; i < hi; i++)
        J->out[i] = (real)(J->mean + J->stddev * normal_draw(J->key, i));
}

FNN_BLOCK_VARIANTS(FN(normal_portable), FN(normal_avx2), FN(normal_body))

void FN(fastnn_random_normal)(fnn_int n, real *out, double mean, double stddev, unsigned long long *state) {
    FN(normal_job) J = {out, state_key(state), mean, stddev, n};
    fnn_int blocks = (n + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
    fastnn_parallel_blocks(blocks, fastnn_threads_for(40.0 * (double)n),
                           FNN_PICK(FN(normal_portable), FN(normal_avx2)), &J);
    state[1] += 1;
}

#undef real
#endif
