/* AVX2/FMA micro-kernels (6 x 16 float, 6 x 8 double). Only these functions are
 * compiled for AVX2; gemm.c calls them only after checking the CPU has it. */
#include "gemm.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2,fma")))

_Static_assert(GEMM_AVX2_S_MR == 6 && GEMM_AVX2_S_NR == 16, "the float kernel is 6 x 16");
_Static_assert(GEMM_AVX2_D_MR == 6 && GEMM_AVX2_D_NR == 8, "the double kernel is 6 x 8");

#define T float
#define SUFFIX s
#define VT __m256
#define VLEN 8
#define VZERO _mm256_setzero_ps
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VBCAST _mm256_broadcast_ss
#define VFMA _mm256_fmadd_ps
#define VADD _mm256_add_ps
#define VMAX _mm256_max_ps
#define VAND _mm256_and_ps
#define VGT(x, y) _mm256_cmp_ps(x, y, _CMP_GT_OQ)
#include "gemm_kernel_avx2.inc"
#undef T
#undef SUFFIX
#undef VT
#undef VLEN
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VADD
#undef VMAX
#undef VAND
#undef VGT

#define T double
#define SUFFIX d
#define VT __m256d
#define VLEN 4
#define VZERO _mm256_setzero_pd
#define VLOAD _mm256_loadu_pd
#define VSTORE _mm256_storeu_pd
#define VBCAST _mm256_broadcast_sd
#define VFMA _mm256_fmadd_pd
#define VADD _mm256_add_pd
#define VMAX _mm256_max_pd
#define VAND _mm256_and_pd
#define VGT(x, y) _mm256_cmp_pd(x, y, _CMP_GT_OQ)
#include "gemm_kernel_avx2.inc"

const int gemm_avx2_compiled = 1;
const gemm_isa gemm_isa_avx2 = {
    "avx2-fma",
    {GEMM_AVX2_S_MR, GEMM_AVX2_S_NR, GEMM_AVX2_S_MC, GEMM_AVX2_S_KC, GEMM_AVX2_S_NC, kernel_avx2_s},
    {GEMM_AVX2_D_MR, GEMM_AVX2_D_NR, GEMM_AVX2_D_MC, GEMM_AVX2_D_KC, GEMM_AVX2_D_NC, kernel_avx2_d},
};

#else

const int gemm_avx2_compiled = 0;
const gemm_isa gemm_isa_avx2 = {"avx2-fma", {0}, {0}};

#endif
