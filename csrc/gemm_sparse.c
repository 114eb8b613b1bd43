/* Zero skipping for the GEMM driver: compaction of packed A panels, and the finiteness
 * test of packed B panels that makes dropping their zero steps exact. */
#include "gemm.h"

#include <string.h>

#define DEFINE_SPARSE(T, SUFFIX, UINT, EXPONENT)                                            \
    fnn_int gemm_compact_a_##SUFFIX(int mr, fnn_int kc, T *panel, int32_t *steps) {         \
        fnn_int zero_values = 0;                                                            \
        for (fnn_int e = 0; e < kc * mr; e++) zero_values += panel[e] == 0;                 \
        if (zero_values < mr) return -1;                                                    \
        fnn_int kept = 0;                                                                   \
        for (fnn_int p = 0; p < kc; p++) {                                                  \
            int zero = 1;                                                                   \
            for (int i = 0; i < mr; i++) zero &= panel[p * mr + i] == 0;                    \
            if (zero) continue;                                                             \
            for (int i = 0; i < mr; i++) panel[kept * mr + i] = panel[p * mr + i];          \
            steps[kept++] = (int32_t)p;                                                     \
        }                                                                                   \
        return kept < kc ? kept : -1;                                                       \
    }                                                                                       \
                                                                                            \
    int gemm_all_finite_##SUFFIX(const T *x, fnn_int n) {                                   \
        UINT infinite = 0;                                                                  \
        for (fnn_int e = 0; e < n; e++) {                                                   \
            UINT bits;                                                                      \
            memcpy(&bits, x + e, sizeof bits);                                              \
            infinite |= (bits & EXPONENT) == EXPONENT;                                      \
        }                                                                                   \
        return !infinite;                                                                   \
    }

DEFINE_SPARSE(float, s, uint32_t, UINT32_C(0x7f800000))
DEFINE_SPARSE(double, d, uint64_t, UINT64_C(0x7ff0000000000000))
