/* AVX2/FMA micro-kernels (6 x 16 float, 6 x 8 double), packing and zero skipping in 2-row
 * slivers (2 x 32 float, 2 x 16 double wide kernels). Only these functions are compiled for
 * AVX2; gemm.c calls them only after the CPU probe found it. */
#include "gemm.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include "gemm_pack_x86.h"

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
#define VTAIL_MASK_T __m256i
#define VTAIL_MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define VMASKLOAD _mm256_maskload_ps
#include "gemm_kernel_avx2.inc"
#include "gemm_template_end.h"

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
#define VTAIL_MASK_T __m256i
#define VTAIL_MASK(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))
#define VMASKLOAD _mm256_maskload_pd
#include "gemm_kernel_avx2.inc"
#include "gemm_template_end.h"

#define ISA avx2
#define PACK_FN AVX2_FN
#define T float
#define SUFFIX s
#define MR GEMM_AVX2_S_MR
#define NR GEMM_AVX2_S_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#define T double
#define SUFFIX d
#define MR GEMM_AVX2_D_MR
#define NR GEMM_AVX2_D_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#undef ISA
#undef PACK_FN

/* gemm_compact_slivers for double: each step's 6 values are loaded as 4 + 2, and each pair
 * is stored at its sliver's next free slot whether kept or not, so the loop has no
 * data-dependent branch. */
AVX2_FN static int compact_slivers_avx2_d(fnn_int kc, const double *panel, double *slivers, int32_t *steps,
                                          fnn_int kept[GEMM_SLIVERS]) {
    fnn_int values = kc * 6, zero_values = 0, e = 0;
    for (; e + 4 <= values; e += 4)
        zero_values += __builtin_popcount(
            (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(panel + e), _mm256_setzero_pd(), _CMP_EQ_OQ)));
    for (; e < values; e++) zero_values += panel[e] == 0;
    if (zero_values < GEMM_SLIVER_ROWS) return 0;
    const __m128i magnitude = _mm_set1_epi64x(0x7fffffffffffffffLL);
    double *s0 = slivers, *s1 = slivers + 2 * kc, *s2 = slivers + 4 * kc;
    int32_t *steps0 = steps, *steps1 = steps + kc, *steps2 = steps + 2 * kc;
    fnn_int kept0 = 0, kept1 = 0, kept2 = 0;
    for (fnn_int p = 0; p < kc; p++) {
        const double *src = panel + p * 6;
        __m256i lo = _mm256_castpd_si256(_mm256_loadu_pd(src));
        __m128i pair0 = _mm256_castsi256_si128(lo), pair1 = _mm256_extracti128_si256(lo, 1);
        __m128i pair2 = _mm_castpd_si128(_mm_loadu_pd(src + 4));
        int zero0 = _mm_testz_si128(pair0, magnitude);
        int zero1 = _mm_testz_si128(pair1, magnitude);
        int zero2 = _mm_testz_si128(pair2, magnitude);
        _mm_storeu_si128((__m128i *)(s0 + kept0 * 2), pair0);
        _mm_storeu_si128((__m128i *)(s1 + kept1 * 2), pair1);
        _mm_storeu_si128((__m128i *)(s2 + kept2 * 2), pair2);
        steps0[kept0] = (int32_t)p;
        steps1[kept1] = (int32_t)p;
        steps2[kept2] = (int32_t)p;
        kept0 += !zero0;
        kept1 += !zero1;
        kept2 += !zero2;
    }
    if (kept0 == kc && kept1 == kc && kept2 == kc) return 0;
    kept[0] = kept0;
    kept[1] = kept1;
    kept[2] = kept2;
    return 1;
}

/* gemm_compact_slivers for float: each step's 6 values are loaded as 4 + 2, and each pair
 * is stored at its sliver's next free slot whether kept or not, so the loop has no
 * data-dependent branch. */
AVX2_FN static int compact_slivers_avx2_s(fnn_int kc, const float *panel, float *slivers, int32_t *steps,
                                          fnn_int kept[GEMM_SLIVERS]) {
    fnn_int values = kc * 6, zero_values = 0, e = 0;
    for (; e + 8 <= values; e += 8)
        zero_values += __builtin_popcount(
            (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(panel + e), _mm256_setzero_ps(), _CMP_EQ_OQ)));
    for (; e < values; e++) zero_values += panel[e] == 0;
    if (zero_values < GEMM_SLIVER_ROWS) return 0;
    const __m128i low_pair = _mm_setr_epi32(0x7fffffff, 0x7fffffff, 0, 0);
    const __m128i high_pair = _mm_setr_epi32(0, 0, 0x7fffffff, 0x7fffffff);
    float *s0 = slivers, *s1 = slivers + 2 * kc, *s2 = slivers + 4 * kc;
    int32_t *steps0 = steps, *steps1 = steps + kc, *steps2 = steps + 2 * kc;
    fnn_int kept0 = 0, kept1 = 0, kept2 = 0;
    for (fnn_int p = 0; p < kc; p++) {
        const float *src = panel + p * 6;
        __m128i lo = _mm_castps_si128(_mm_loadu_ps(src));
        __m128i hi = _mm_loadl_epi64((const __m128i *)(src + 4));
        int zero0 = _mm_testz_si128(lo, low_pair);
        int zero1 = _mm_testz_si128(lo, high_pair);
        int zero2 = _mm_testz_si128(hi, low_pair);
        _mm_storel_epi64((__m128i *)(s0 + kept0 * 2), lo);
        _mm_storel_epi64((__m128i *)(s1 + kept1 * 2), _mm_unpackhi_epi64(lo, lo));
        _mm_storel_epi64((__m128i *)(s2 + kept2 * 2), hi);
        steps0[kept0] = (int32_t)p;
        steps1[kept1] = (int32_t)p;
        steps2[kept2] = (int32_t)p;
        kept0 += !zero0;
        kept1 += !zero1;
        kept2 += !zero2;
    }
    if (kept0 == kc && kept1 == kc && kept2 == kc) return 0;
    kept[0] = kept0;
    kept[1] = kept1;
    kept[2] = kept2;
    return 1;
}


static const gemm_isa avx2 = {
    "avx2-fma",
    {GEMM_AVX2_S_MR, GEMM_AVX2_S_NR, GEMM_AVX2_S_MC, GEMM_AVX2_S_KC, GEMM_AVX2_S_NC, kernel_avx2_s,
     pack_a_avx2_s, pack_b_avx2_s, rows_kernel_avx2_s},
    {GEMM_AVX2_D_MR, GEMM_AVX2_D_NR, GEMM_AVX2_D_MC, GEMM_AVX2_D_KC, GEMM_AVX2_D_NC, kernel_avx2_d,
     pack_a_avx2_d, pack_b_avx2_d, rows_kernel_avx2_d},
    {sparse_kernel_avx2_s, gemm_compact_a_s, wide_kernel_avx2_s, compact_slivers_avx2_s},
    {sparse_kernel_avx2_d, gemm_compact_a_d, wide_kernel_avx2_d, compact_slivers_avx2_d},
};
const gemm_isa *const gemm_isa_avx2 = &avx2;

#else

const gemm_isa *const gemm_isa_avx2 = NULL;

#endif
