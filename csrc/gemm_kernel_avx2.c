/* AVX2/FMA micro-kernels (6 x 16 float, 6 x 8 double) and B packing. Only these functions are
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

/* A stored by rows (unit column stride, as x in x . W): full MR-row panels are
 * transposed in registers, 8 (float) or 4 (double) k steps at a time, the rest
 * packed by the generic code. Values are copied unchanged. */
AVX2_FN static void pack_a_avx2_s(int mr, fnn_int rows, fnn_int kc, const float *a, fnn_int rs,
                                  fnn_int cs, float *dst) {
    if (cs != 1 || rs == 1) {
        gemm_pack_a_s(mr, rows, kc, a, rs, cs, dst);
        return;
    }
    enum { MR = GEMM_AVX2_S_MR };
    fnn_int full = rows / MR * MR;
    for (fnn_int r0 = 0; r0 < full; r0 += MR, dst += (fnn_int)MR * kc) {
        const float *src = a + r0 * rs;
        fnn_int p = 0;
        for (; p + 8 <= kc; p += 8) {
            __m256 r0v = _mm256_loadu_ps(src + p), r1v = _mm256_loadu_ps(src + rs + p);
            __m256 r2v = _mm256_loadu_ps(src + 2 * rs + p), r3v = _mm256_loadu_ps(src + 3 * rs + p);
            __m256 r4v = _mm256_loadu_ps(src + 4 * rs + p), r5v = _mm256_loadu_ps(src + 5 * rs + p);
            /* rows 0-3: v_t holds k steps t (low half) and t + 4 (high half) */
            __m256 u0 = _mm256_unpacklo_ps(r0v, r1v), u1 = _mm256_unpackhi_ps(r0v, r1v);
            __m256 u2 = _mm256_unpacklo_ps(r2v, r3v), u3 = _mm256_unpackhi_ps(r2v, r3v);
            __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
            __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
            /* rows 4-5: pairs for k steps 0, 1 | 4, 5 and 2, 3 | 6, 7 */
            __m256 w0 = _mm256_unpacklo_ps(r4v, r5v), w1 = _mm256_unpackhi_ps(r4v, r5v);
            float *d = dst + p * MR;
            __m128 lo[4] = {_mm256_castps256_ps128(v0), _mm256_castps256_ps128(v1),
                            _mm256_castps256_ps128(v2), _mm256_castps256_ps128(v3)};
            __m128 hi[4] = {_mm256_extractf128_ps(v0, 1), _mm256_extractf128_ps(v1, 1),
                            _mm256_extractf128_ps(v2, 1), _mm256_extractf128_ps(v3, 1)};
            __m128 w0lo = _mm256_castps256_ps128(w0), w0hi = _mm256_extractf128_ps(w0, 1);
            __m128 w1lo = _mm256_castps256_ps128(w1), w1hi = _mm256_extractf128_ps(w1, 1);
            for (int t = 0; t < 4; t++) {
                _mm_storeu_ps(d + t * MR, lo[t]);
                _mm_storeu_ps(d + (t + 4) * MR, hi[t]);
            }
            _mm_storel_pi((__m64 *)(d + 0 * MR + 4), w0lo);
            _mm_storeh_pi((__m64 *)(d + 1 * MR + 4), w0lo);
            _mm_storel_pi((__m64 *)(d + 2 * MR + 4), w1lo);
            _mm_storeh_pi((__m64 *)(d + 3 * MR + 4), w1lo);
            _mm_storel_pi((__m64 *)(d + 4 * MR + 4), w0hi);
            _mm_storeh_pi((__m64 *)(d + 5 * MR + 4), w0hi);
            _mm_storel_pi((__m64 *)(d + 6 * MR + 4), w1hi);
            _mm_storeh_pi((__m64 *)(d + 7 * MR + 4), w1hi);
        }
        for (; p < kc; p++)
            for (int i = 0; i < MR; i++) dst[p * MR + i] = src[i * rs + p];
    }
    if (full < rows) gemm_pack_a_s(mr, rows - full, kc, a + full * rs, rs, cs, dst);
}

AVX2_FN static void pack_a_avx2_d(int mr, fnn_int rows, fnn_int kc, const double *a, fnn_int rs,
                                  fnn_int cs, double *dst) {
    if (cs != 1 || rs == 1) {
        gemm_pack_a_d(mr, rows, kc, a, rs, cs, dst);
        return;
    }
    enum { MR = GEMM_AVX2_D_MR };
    fnn_int full = rows / MR * MR;
    for (fnn_int r0 = 0; r0 < full; r0 += MR, dst += (fnn_int)MR * kc) {
        const double *src = a + r0 * rs;
        fnn_int p = 0;
        for (; p + 4 <= kc; p += 4) {
            __m256d r0v = _mm256_loadu_pd(src + p), r1v = _mm256_loadu_pd(src + rs + p);
            __m256d r2v = _mm256_loadu_pd(src + 2 * rs + p), r3v = _mm256_loadu_pd(src + 3 * rs + p);
            __m256d r4v = _mm256_loadu_pd(src + 4 * rs + p), r5v = _mm256_loadu_pd(src + 5 * rs + p);
            __m256d u0 = _mm256_unpacklo_pd(r0v, r1v), u1 = _mm256_unpackhi_pd(r0v, r1v);
            __m256d u2 = _mm256_unpacklo_pd(r2v, r3v), u3 = _mm256_unpackhi_pd(r2v, r3v);
            /* rows 4-5: (k step 0 | 2) and (1 | 3) */
            __m256d w0 = _mm256_unpacklo_pd(r4v, r5v), w1 = _mm256_unpackhi_pd(r4v, r5v);
            double *d = dst + p * MR;
            _mm256_storeu_pd(d + 0 * MR, _mm256_permute2f128_pd(u0, u2, 0x20));
            _mm256_storeu_pd(d + 1 * MR, _mm256_permute2f128_pd(u1, u3, 0x20));
            _mm256_storeu_pd(d + 2 * MR, _mm256_permute2f128_pd(u0, u2, 0x31));
            _mm256_storeu_pd(d + 3 * MR, _mm256_permute2f128_pd(u1, u3, 0x31));
            _mm_storeu_pd(d + 0 * MR + 4, _mm256_castpd256_pd128(w0));
            _mm_storeu_pd(d + 1 * MR + 4, _mm256_castpd256_pd128(w1));
            _mm_storeu_pd(d + 2 * MR + 4, _mm256_extractf128_pd(w0, 1));
            _mm_storeu_pd(d + 3 * MR + 4, _mm256_extractf128_pd(w1, 1));
        }
        for (; p < kc; p++)
            for (int i = 0; i < MR; i++) dst[p * MR + i] = src[i * rs + p];
    }
    if (full < rows) gemm_pack_a_d(mr, rows - full, kc, a + full * rs, rs, cs, dst);
}

/* All-ones lanes where v is an infinity or a NaN (every exponent bit set). */
AVX2_FN static inline __m256i nonfinite_s(__m256 v) {
    const __m256i exponent = _mm256_set1_epi32(0x7f800000);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(v), exponent), exponent);
}

AVX2_FN static inline __m256i nonfinite_d(__m256d v) {
    const __m256i exponent = _mm256_set1_epi64x(0x7ff0000000000000LL);
    return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_castpd_si256(v), exponent), exponent);
}

/* B stored transposed (unit row stride, as for x . W^T): full panels are packed
 * with in-register transposes of 8 x 8 floats or 4 x 4 doubles; edge panels of
 * row-major B with masked loads; the rest by the generic packing. The values are copied unchanged, so results do not depend on it. */
AVX2_FN static int pack_b_avx2_s(int nr, fnn_int cols, fnn_int kc, const float *b, fnn_int rs,
                                 fnn_int cs, float *dst) {
    __m256i infinite = _mm256_setzero_si256();
    if (cs == 1) {
        /* row-major B; in an edge panel masked loads read the live columns, zeros the rest */
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i live_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), lane);
        __m256i live_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols - 8), lane);
        int full = cols == GEMM_AVX2_S_NR;
        for (fnn_int p = 0; p < kc; p++) {
            __m256 lo = full ? _mm256_loadu_ps(b + p * rs) : _mm256_maskload_ps(b + p * rs, live_lo);
            __m256 hi = full ? _mm256_loadu_ps(b + p * rs + 8) : _mm256_maskload_ps(b + p * rs + 8, live_hi);
            infinite = _mm256_or_si256(infinite, _mm256_or_si256(nonfinite_s(lo), nonfinite_s(hi)));
            _mm256_storeu_ps(dst + p * GEMM_AVX2_S_NR, lo);
            _mm256_storeu_ps(dst + p * GEMM_AVX2_S_NR + 8, hi);
        }
        return _mm256_testz_si256(infinite, infinite);
    }
    if (rs != 1 || cols != GEMM_AVX2_S_NR) return gemm_pack_b_s(nr, cols, kc, b, rs, cs, dst);
    fnn_int p = 0;
    for (; p + 8 <= kc; p += 8) {
        for (int h = 0; h < GEMM_AVX2_S_NR; h += 8) {
            const float *src = b + h * cs + p;
            __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + cs);
            __m256 r2 = _mm256_loadu_ps(src + 2 * cs), r3 = _mm256_loadu_ps(src + 3 * cs);
            __m256 r4 = _mm256_loadu_ps(src + 4 * cs), r5 = _mm256_loadu_ps(src + 5 * cs);
            __m256 r6 = _mm256_loadu_ps(src + 6 * cs), r7 = _mm256_loadu_ps(src + 7 * cs);
            __m256i r03 = _mm256_or_si256(_mm256_or_si256(nonfinite_s(r0), nonfinite_s(r1)),
                                          _mm256_or_si256(nonfinite_s(r2), nonfinite_s(r3)));
            __m256i r47 = _mm256_or_si256(_mm256_or_si256(nonfinite_s(r4), nonfinite_s(r5)),
                                          _mm256_or_si256(nonfinite_s(r6), nonfinite_s(r7)));
            infinite = _mm256_or_si256(infinite, _mm256_or_si256(r03, r47));
            /* pairs of rows interleaved, then groups of four, then 128-bit halves */
            __m256 u0 = _mm256_unpacklo_ps(r0, r1), u1 = _mm256_unpackhi_ps(r0, r1);
            __m256 u2 = _mm256_unpacklo_ps(r2, r3), u3 = _mm256_unpackhi_ps(r2, r3);
            __m256 u4 = _mm256_unpacklo_ps(r4, r5), u5 = _mm256_unpackhi_ps(r4, r5);
            __m256 u6 = _mm256_unpacklo_ps(r6, r7), u7 = _mm256_unpackhi_ps(r6, r7);
            __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
            __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
            __m256 v4 = _mm256_shuffle_ps(u4, u6, 0x44), v5 = _mm256_shuffle_ps(u4, u6, 0xEE);
            __m256 v6 = _mm256_shuffle_ps(u5, u7, 0x44), v7 = _mm256_shuffle_ps(u5, u7, 0xEE);
            float *d = dst + p * GEMM_AVX2_S_NR + h;
            _mm256_storeu_ps(d + 0 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v0, v4, 0x20));
            _mm256_storeu_ps(d + 1 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v1, v5, 0x20));
            _mm256_storeu_ps(d + 2 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v2, v6, 0x20));
            _mm256_storeu_ps(d + 3 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v3, v7, 0x20));
            _mm256_storeu_ps(d + 4 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v0, v4, 0x31));
            _mm256_storeu_ps(d + 5 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v1, v5, 0x31));
            _mm256_storeu_ps(d + 6 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v2, v6, 0x31));
            _mm256_storeu_ps(d + 7 * GEMM_AVX2_S_NR, _mm256_permute2f128_ps(v3, v7, 0x31));
        }
    }
    fnn_int tail = p;
    for (; p < kc; p++)
        for (int j = 0; j < GEMM_AVX2_S_NR; j++) dst[p * GEMM_AVX2_S_NR + j] = b[j * cs + p];
    return _mm256_testz_si256(infinite, infinite) &&
           gemm_all_finite_s(dst + tail * GEMM_AVX2_S_NR, (kc - tail) * GEMM_AVX2_S_NR);
}

AVX2_FN static int pack_b_avx2_d(int nr, fnn_int cols, fnn_int kc, const double *b, fnn_int rs,
                                 fnn_int cs, double *dst) {
    __m256i infinite = _mm256_setzero_si256();
    if (cs == 1) {
        __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
        __m256i live_lo = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)cols), lane);
        __m256i live_hi = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)cols - 4), lane);
        int full = cols == GEMM_AVX2_D_NR;
        for (fnn_int p = 0; p < kc; p++) {
            __m256d lo = full ? _mm256_loadu_pd(b + p * rs) : _mm256_maskload_pd(b + p * rs, live_lo);
            __m256d hi = full ? _mm256_loadu_pd(b + p * rs + 4) : _mm256_maskload_pd(b + p * rs + 4, live_hi);
            infinite = _mm256_or_si256(infinite, _mm256_or_si256(nonfinite_d(lo), nonfinite_d(hi)));
            _mm256_storeu_pd(dst + p * GEMM_AVX2_D_NR, lo);
            _mm256_storeu_pd(dst + p * GEMM_AVX2_D_NR + 4, hi);
        }
        return _mm256_testz_si256(infinite, infinite);
    }
    if (rs != 1 || cols != GEMM_AVX2_D_NR) return gemm_pack_b_d(nr, cols, kc, b, rs, cs, dst);
    fnn_int p = 0;
    for (; p + 4 <= kc; p += 4) {
        for (int h = 0; h < GEMM_AVX2_D_NR; h += 4) {
            const double *src = b + h * cs + p;
            __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + cs);
            __m256d r2 = _mm256_loadu_pd(src + 2 * cs), r3 = _mm256_loadu_pd(src + 3 * cs);
            infinite = _mm256_or_si256(infinite, _mm256_or_si256(_mm256_or_si256(nonfinite_d(r0), nonfinite_d(r1)),
                                                                 _mm256_or_si256(nonfinite_d(r2), nonfinite_d(r3))));
            __m256d u0 = _mm256_unpacklo_pd(r0, r1), u1 = _mm256_unpackhi_pd(r0, r1);
            __m256d u2 = _mm256_unpacklo_pd(r2, r3), u3 = _mm256_unpackhi_pd(r2, r3);
            double *d = dst + p * GEMM_AVX2_D_NR + h;
            _mm256_storeu_pd(d + 0 * GEMM_AVX2_D_NR, _mm256_permute2f128_pd(u0, u2, 0x20));
            _mm256_storeu_pd(d + 1 * GEMM_AVX2_D_NR, _mm256_permute2f128_pd(u1, u3, 0x20));
            _mm256_storeu_pd(d + 2 * GEMM_AVX2_D_NR, _mm256_permute2f128_pd(u0, u2, 0x31));
            _mm256_storeu_pd(d + 3 * GEMM_AVX2_D_NR, _mm256_permute2f128_pd(u1, u3, 0x31));
        }
    }
    fnn_int tail = p;
    for (; p < kc; p++)
        for (int j = 0; j < GEMM_AVX2_D_NR; j++) dst[p * GEMM_AVX2_D_NR + j] = b[j * cs + p];
    return _mm256_testz_si256(infinite, infinite) &&
           gemm_all_finite_d(dst + tail * GEMM_AVX2_D_NR, (kc - tail) * GEMM_AVX2_D_NR);
}

/* gemm_compact_a for 6-row double panels (float ones are compacted in slivers, below): each
 * k step is loaded as 4 + 2 values and stored at the next free slot whether it is kept or not
 * (the slot is never ahead of the step), so the loop has no data-dependent branch. */
AVX2_FN static fnn_int compact_a_avx2_d(int mr, fnn_int kc, double *panel, int32_t *steps) {
    if (mr != 6) return gemm_compact_a_d(mr, kc, panel, steps);
    fnn_int values = kc * 6, zero_values = 0, e = 0;
    for (; e + 4 <= values; e += 4)
        zero_values += __builtin_popcount(
            (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(panel + e), _mm256_setzero_pd(), _CMP_EQ_OQ)));
    for (; e < values; e++) zero_values += panel[e] == 0;
    if (zero_values < 6) return -1;
    const __m128i magnitude = _mm_set1_epi64x(0x7fffffffffffffffLL);
    fnn_int kept = 0;
    for (fnn_int p = 0; p < kc; p++) {
        const double *src = panel + p * 6;
        __m256d lo = _mm256_loadu_pd(src);
        __m128d hi = _mm_loadu_pd(src + 4);
        __m128d any = _mm_or_pd(_mm_or_pd(_mm256_castpd256_pd128(lo), _mm256_extractf128_pd(lo, 1)), hi);
        int zero = _mm_testz_si128(_mm_castpd_si128(any), magnitude);
        double *dst = panel + kept * 6;
        _mm256_storeu_pd(dst, lo);
        _mm_storeu_pd(dst + 4, hi);
        steps[kept] = (int32_t)p;
        kept += !zero;
    }
    return kept < kc ? kept : -1;
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

#define WIDE_FMA(v, b_vector)                                          \
    do {                                                               \
        __m256 b_v = (b_vector);                                       \
        acc0_##v = _mm256_fmadd_ps(a_0, b_v, acc0_##v);                \
        acc1_##v = _mm256_fmadd_ps(a_1, b_v, acc1_##v);                \
    } while (0)

/* The 2 x 32 wide kernel: eight accumulators; per kept step, four loads of B (two from each
 * panel) and two broadcasts of A. */
AVX2_FN static void wide_kernel_avx2_s(fnn_int kept, const float *a, const int32_t *steps, const float *b0,
                                       const float *b1, float *c, fnn_int c_rs, int accumulate,
                                       const gemm_epilogue_s *ep) {
    enum { NR = GEMM_AVX2_S_NR };
    __m256 acc0_0 = _mm256_setzero_ps(), acc0_1 = acc0_0, acc0_2 = acc0_0, acc0_3 = acc0_0;
    __m256 acc1_0 = acc0_0, acc1_1 = acc0_0, acc1_2 = acc0_0, acc1_3 = acc0_0;
    for (int i = 0; i < GEMM_SLIVER_ROWS; i++) {
        _mm_prefetch((const char *)(c + i * c_rs), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * c_rs + 2 * NR - 1), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (fnn_int q = 0; q < kept; q++) {
        const float *row0 = b0 + (fnn_int)steps[q] * NR, *row1 = b1 + (fnn_int)steps[q] * NR;
        __m256 a_0 = _mm256_broadcast_ss(a + 2 * q), a_1 = _mm256_broadcast_ss(a + 2 * q + 1);
        WIDE_FMA(0, _mm256_loadu_ps(row0));
        WIDE_FMA(1, _mm256_loadu_ps(row0 + 8));
        WIDE_FMA(2, _mm256_loadu_ps(row1));
        WIDE_FMA(3, _mm256_loadu_ps(row1 + 8));
    }
    __m256 bias_0 = _mm256_setzero_ps(), bias_1 = bias_0, bias_2 = bias_0, bias_3 = bias_0;
    gemm_epilogue_s right = {0};
    if (ep) {
        right = *ep;
        if (right.bias) right.bias += NR;
        if (right.mask) right.mask += NR;
        if (ep->bias) {
            bias_0 = _mm256_loadu_ps(ep->bias);
            bias_1 = _mm256_loadu_ps(ep->bias + 8);
            bias_2 = _mm256_loadu_ps(ep->bias + NR);
            bias_3 = _mm256_loadu_ps(ep->bias + NR + 8);
        }
    }
    const gemm_epilogue_s *ep_right = ep ? &right : NULL;
    store_row_avx2_s(c, acc0_0, acc0_1, accumulate, ep, bias_0, bias_1, 0);
    store_row_avx2_s(c + NR, acc0_2, acc0_3, accumulate, ep_right, bias_2, bias_3, 0);
    store_row_avx2_s(c + c_rs, acc1_0, acc1_1, accumulate, ep, bias_0, bias_1, 1);
    store_row_avx2_s(c + c_rs + NR, acc1_2, acc1_3, accumulate, ep_right, bias_2, bias_3, 1);
}

#undef WIDE_FMA

const int gemm_avx2_compiled = 1;
const gemm_isa gemm_isa_avx2 = {
    "avx2-fma",
    {GEMM_AVX2_S_MR, GEMM_AVX2_S_NR, GEMM_AVX2_S_MC, GEMM_AVX2_S_KC, GEMM_AVX2_S_NC, kernel_avx2_s, sparse_kernel_avx2_s, pack_a_avx2_s, pack_b_avx2_s, gemm_compact_a_s, wide_kernel_avx2_s, compact_slivers_avx2_s},
    {GEMM_AVX2_D_MR, GEMM_AVX2_D_NR, GEMM_AVX2_D_MC, GEMM_AVX2_D_KC, GEMM_AVX2_D_NC, kernel_avx2_d, sparse_kernel_avx2_d, pack_a_avx2_d, pack_b_avx2_d, compact_a_avx2_d, NULL, NULL},
};

#else

const int gemm_avx2_compiled = 0;
const gemm_isa gemm_isa_avx2 = {"avx2-fma", {0}, {0}};

#endif
