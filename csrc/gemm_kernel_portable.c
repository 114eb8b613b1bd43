/* Plain C micro-kernels: correct on any CPU, and the reference for the SIMD ones. */
#include "gemm.h"

#define DEFINE_PORTABLE_KERNEL(T, SUFFIX, MR, NR)                                            \
    static void kernel_portable_##SUFFIX(fnn_int kc, const T *a, fnn_int a_rs, fnn_int a_cs, \
                                         const T *b, T *c, fnn_int c_rs, int rows, int cols, \
                                         int accumulate, const gemm_epilogue_##SUFFIX *ep) { \
        T acc[MR][NR] = {{0}};                                                               \
        for (fnn_int p = 0; p < kc; p++, a += a_cs, b += NR)                                 \
            for (int i = 0; i < MR; i++) {                                                   \
                T ai = a[i * a_rs];                                                          \
                for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];                         \
            }                                                                                \
        gemm_store_tile_##SUFFIX(&acc[0][0], NR, c, c_rs, rows, cols, accumulate, ep);       \
    }                                                                                        \
                                                                                             \
    static void sparse_kernel_portable_##SUFFIX(fnn_int kept, const T *a,                    \
                                                const int32_t *steps, const T *b, T *c,      \
                                                fnn_int c_rs, int rows, int cols,            \
                                                int accumulate,                              \
                                                const gemm_epilogue_##SUFFIX *ep) {          \
        T acc[MR][NR] = {{0}};                                                               \
        for (fnn_int q = 0; q < kept; q++, a += MR) {                                        \
            const T *row = b + (fnn_int)steps[q] * NR;                                       \
            for (int i = 0; i < MR; i++) {                                                   \
                T ai = a[i];                                                                 \
                for (int j = 0; j < NR; j++) acc[i][j] += ai * row[j];                       \
            }                                                                                \
        }                                                                                    \
        gemm_store_tile_##SUFFIX(&acc[0][0], NR, c, c_rs, rows, cols, accumulate, ep);       \
    }

DEFINE_PORTABLE_KERNEL(float, s, GEMM_PORTABLE_S_MR, GEMM_PORTABLE_S_NR)
DEFINE_PORTABLE_KERNEL(double, d, GEMM_PORTABLE_D_MR, GEMM_PORTABLE_D_NR)

const gemm_isa gemm_isa_portable = {
    "portable",
    {GEMM_PORTABLE_S_MR, GEMM_PORTABLE_S_NR, GEMM_PORTABLE_S_MC, GEMM_PORTABLE_S_KC, GEMM_PORTABLE_S_NC,
     kernel_portable_s, gemm_pack_a_s, gemm_pack_b_s},
    {GEMM_PORTABLE_D_MR, GEMM_PORTABLE_D_NR, GEMM_PORTABLE_D_MC, GEMM_PORTABLE_D_KC, GEMM_PORTABLE_D_NC,
     kernel_portable_d, gemm_pack_a_d, gemm_pack_b_d},
    {sparse_kernel_portable_s, gemm_compact_a_s, NULL, NULL},
    {sparse_kernel_portable_d, gemm_compact_a_d, NULL, NULL},
};
