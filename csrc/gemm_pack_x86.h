/* In-register transposes and lane-wise helpers shared by the x86 packing templates
 * (gemm_pack_x86.inc). They need only AVX2, so kernels compiled for AVX2 or for
 * AVX-512 both inline them. */
#ifndef FASTNN_GEMM_PACK_X86_H
#define FASTNN_GEMM_PACK_X86_H

#include "gemm.h"

#include <immintrin.h>

#define X86_PACK_FN static inline __attribute__((target("avx2,fma"), always_inline))

/* One register of each dtype, named by the suffix the templates use. */
typedef __m256 vec_s;
typedef __m256d vec_d;

/* out[t] := the 8 values of step t (src[t]) of rows 0..7 (row i at src + i * ld); rows past
 * `rows` repeat the last one. */
X86_PACK_FN void transpose_block_s(const float *src, fnn_int ld, int rows, __m256 out[8]) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (i < rows ? i : rows - 1) * ld);
    /* pairs of rows interleaved, then groups of four, then 128-bit halves */
    __m256 u0 = _mm256_unpacklo_ps(r[0], r[1]), u1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 u2 = _mm256_unpacklo_ps(r[2], r[3]), u3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 u4 = _mm256_unpacklo_ps(r[4], r[5]), u5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 u6 = _mm256_unpacklo_ps(r[6], r[7]), u7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
    __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
    __m256 v4 = _mm256_shuffle_ps(u4, u6, 0x44), v5 = _mm256_shuffle_ps(u4, u6, 0xEE);
    __m256 v6 = _mm256_shuffle_ps(u5, u7, 0x44), v7 = _mm256_shuffle_ps(u5, u7, 0xEE);
    out[0] = _mm256_permute2f128_ps(v0, v4, 0x20);
    out[1] = _mm256_permute2f128_ps(v1, v5, 0x20);
    out[2] = _mm256_permute2f128_ps(v2, v6, 0x20);
    out[3] = _mm256_permute2f128_ps(v3, v7, 0x20);
    out[4] = _mm256_permute2f128_ps(v0, v4, 0x31);
    out[5] = _mm256_permute2f128_ps(v1, v5, 0x31);
    out[6] = _mm256_permute2f128_ps(v2, v6, 0x31);
    out[7] = _mm256_permute2f128_ps(v3, v7, 0x31);
}

X86_PACK_FN void transpose_block_d(const double *src, fnn_int ld, int rows, __m256d out[4]) {
    __m256d r[4];
    for (int i = 0; i < 4; i++) r[i] = _mm256_loadu_pd(src + (i < rows ? i : rows - 1) * ld);
    __m256d u0 = _mm256_unpacklo_pd(r[0], r[1]), u1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d u2 = _mm256_unpacklo_pd(r[2], r[3]), u3 = _mm256_unpackhi_pd(r[2], r[3]);
    out[0] = _mm256_permute2f128_pd(u0, u2, 0x20);
    out[1] = _mm256_permute2f128_pd(u1, u3, 0x20);
    out[2] = _mm256_permute2f128_pd(u0, u2, 0x31);
    out[3] = _mm256_permute2f128_pd(u1, u3, 0x31);
}

/* Stores the first `lanes` values of v at dst (lanes is a constant once inlined). */
X86_PACK_FN void store_lanes_s(float *dst, __m256 v, int lanes) {
    if (lanes == 8) {
        _mm256_storeu_ps(dst, v);
        return;
    }
    __m128 lo = _mm256_castps256_ps128(v);
    if (lanes >= 4) {
        _mm_storeu_ps(dst, lo);
        dst += 4;
        lanes -= 4;
        lo = _mm256_extractf128_ps(v, 1);
    }
    if (lanes >= 2) {
        _mm_storel_pi((__m64 *)dst, lo);
        dst += 2;
        lanes -= 2;
        lo = _mm_movehl_ps(lo, lo);
    }
    if (lanes) _mm_store_ss(dst, lo);
}

X86_PACK_FN void store_lanes_d(double *dst, __m256d v, int lanes) {
    if (lanes == 4) {
        _mm256_storeu_pd(dst, v);
        return;
    }
    __m128d lo = _mm256_castpd256_pd128(v);
    if (lanes >= 2) {
        _mm_storeu_pd(dst, lo);
        dst += 2;
        lanes -= 2;
        lo = _mm256_extractf128_pd(v, 1);
    }
    if (lanes) _mm_store_sd(dst, lo);
}

/* Lanes 0..live-1 of the 8 floats (4 doubles) at src, zeros in the others; reads only those. */
X86_PACK_FN __m256 load_live_s(const float *src, int live) {
    if (live >= 8) return _mm256_loadu_ps(src);
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(src, _mm256_cmpgt_epi32(_mm256_set1_epi32(live), lane));
}

X86_PACK_FN __m256d load_live_d(const double *src, int live) {
    if (live >= 4) return _mm256_loadu_pd(src);
    __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_maskload_pd(src, _mm256_cmpgt_epi64(_mm256_set1_epi64x(live), lane));
}

/* All-ones lanes where v is an infinity or a NaN (every exponent bit set). */
X86_PACK_FN __m256i nonfinite_s(__m256 v) {
    const __m256i exponent = _mm256_set1_epi32(0x7f800000);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(v), exponent), exponent);
}

X86_PACK_FN __m256i nonfinite_d(__m256d v) {
    const __m256i exponent = _mm256_set1_epi64x(0x7ff0000000000000LL);
    return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_castpd_si256(v), exponent), exponent);
}

#endif
