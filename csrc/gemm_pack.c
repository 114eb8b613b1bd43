/* Packing for the GEMM driver: copies blocks of A and B, from any element
 * strides (negative included), into the contiguous panels the micro-kernels read. */
#include "gemm.h"

#include <string.h>

/* Loops are ordered so that the source is read along its unit stride when it has one. */
#define DEFINE_PACK(T, SUFFIX)                                                              \
    /* Row copies of a width known at compile time, so they become vector moves. */        \
    static inline void copy_rows_##SUFFIX(const int width, fnn_int kc, const T *b,          \
                                          fnn_int rs, T *dst) {                             \
        for (fnn_int p = 0; p < kc; p++)                                                    \
            for (int j = 0; j < width; j++) dst[p * width + j] = b[p * rs + j];             \
    }                                                                                       \
                                                                                            \
    void gemm_pack_a_##SUFFIX(int mr, fnn_int rows, fnn_int kc, const T *a, fnn_int rs,     \
                              fnn_int cs, T *dst) {                                         \
        for (fnn_int r0 = 0; r0 < rows; r0 += mr, dst += (fnn_int)mr * kc) {                \
            const T *src = a + r0 * rs;                                                     \
            fnn_int live = rows - r0 < mr ? rows - r0 : mr;                                 \
            if (live < mr) memset(dst, 0, sizeof(T) * (size_t)mr * (size_t)kc);            \
            if (rs == 1 && live == mr) {                                                    \
                for (fnn_int p = 0; p < kc; p++)                                            \
                    for (int i = 0; i < mr; i++) dst[p * mr + i] = src[p * cs + i];         \
            } else if (cs == 1) {                                                           \
                for (fnn_int i = 0; i < live; i++)                                          \
                    for (fnn_int p = 0; p < kc; p++) dst[p * mr + i] = src[i * rs + p];     \
            } else {                                                                        \
                for (fnn_int p = 0; p < kc; p++)                                            \
                    for (fnn_int i = 0; i < live; i++) dst[p * mr + i] = src[i * rs + p * cs]; \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
                                                                                            \
    int gemm_pack_b_##SUFFIX(int nr, fnn_int cols, fnn_int kc, const T *b, fnn_int rs,      \
                             fnn_int cs, T *dst) {                                          \
        if (cols < nr) memset(dst, 0, sizeof(T) * (size_t)nr * (size_t)kc);                 \
        if (cs == 1 && cols == nr && (nr == 8 || nr == 16)) {                               \
            if (nr == 8) copy_rows_##SUFFIX(8, kc, b, rs, dst);                             \
            else copy_rows_##SUFFIX(16, kc, b, rs, dst);                                    \
        } else if (cs == 1) {                                                               \
            for (fnn_int p = 0; p < kc; p++)                                                \
                for (fnn_int j = 0; j < cols; j++) dst[p * nr + j] = b[p * rs + j];         \
        } else if (rs == 1) {                                                               \
            for (fnn_int j = 0; j < cols; j++)                                              \
                for (fnn_int p = 0; p < kc; p++) dst[p * nr + j] = b[j * cs + p];           \
        } else {                                                                            \
            for (fnn_int p = 0; p < kc; p++)                                                \
                for (fnn_int j = 0; j < cols; j++) dst[p * nr + j] = b[p * rs + j * cs];    \
        }                                                                                   \
        return gemm_all_finite_##SUFFIX(dst, kc * nr);                                      \
    }

DEFINE_PACK(float, s)
DEFINE_PACK(double, d)
