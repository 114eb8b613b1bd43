/* AVX-512 micro-kernels (14 x 32 float, 14 x 16 double; for C at most one vector wide,
 * 8 x 16 float and 8 x 8 double) and packing. Only these functions are
 * compiled for AVX-512 (F, BW, DQ, VL); gemm.c calls them only after the CPU probe found it. */
#include "gemm.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include "gemm_pack_x86.h"

#define AVX512_FN __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))

_Static_assert(GEMM_AVX512_S_NR == 32 && GEMM_AVX512_D_NR == 16, "the kernels are two vectors wide");
_Static_assert(GEMM_AVX512_NARROW_S_NR == 16 && GEMM_AVX512_NARROW_D_NR == 8, "the narrow ones one vector");

#define T float
#define SUFFIX s
#define MR GEMM_AVX512_S_MR
#define VT __m512
#define MASK_T __mmask16
#define VLEN 16
#define VZERO _mm512_setzero_ps
#define VLOAD _mm512_loadu_ps
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VFMA _mm512_fmadd_ps
#define VADD _mm512_add_ps
#define VMAX _mm512_max_ps
#define VGT(x, y) _mm512_cmp_ps_mask(x, y, _CMP_GT_OQ)
#define VMASKMOV _mm512_mask_mov_ps
#define VMASKLOAD _mm512_maskz_loadu_ps
#define VMASKSTORE _mm512_mask_storeu_ps
#define VLIVE(n) ((n) >= 16 ? (__mmask16)0xffff : (n) <= 0 ? (__mmask16)0 : (__mmask16)((1u << (n)) - 1))
#define NAME avx512_s
#define NV 2
#include "gemm_kernel_avx512.inc"
#undef NAME
#undef NV
#undef MR
#define MR GEMM_AVX512_NARROW_S_MR
#define NAME avx512_narrow_s
#define NV 1
#include "gemm_kernel_avx512.inc"
#include "gemm_template_end.h"

#define T double
#define SUFFIX d
#define MR GEMM_AVX512_D_MR
#define VT __m512d
#define MASK_T __mmask8
#define VLEN 8
#define VZERO _mm512_setzero_pd
#define VLOAD _mm512_loadu_pd
#define VBCAST(p) _mm512_set1_pd(*(p))
#define VFMA _mm512_fmadd_pd
#define VADD _mm512_add_pd
#define VMAX _mm512_max_pd
#define VGT(x, y) _mm512_cmp_pd_mask(x, y, _CMP_GT_OQ)
#define VMASKMOV _mm512_mask_mov_pd
#define VMASKLOAD _mm512_maskz_loadu_pd
#define VMASKSTORE _mm512_mask_storeu_pd
#define VLIVE(n) ((n) >= 8 ? (__mmask8)0xff : (n) <= 0 ? (__mmask8)0 : (__mmask8)((1u << (n)) - 1))
#define NAME avx512_d
#define NV 2
#include "gemm_kernel_avx512.inc"
#undef NAME
#undef NV
#undef MR
#define MR GEMM_AVX512_NARROW_D_MR
#define NAME avx512_narrow_d
#define NV 1
#include "gemm_kernel_avx512.inc"
#include "gemm_template_end.h"

#define PACK_FN AVX512_FN

#define ISA avx512
#define T float
#define SUFFIX s
#define MR GEMM_AVX512_S_MR
#define NR GEMM_AVX512_S_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#define T double
#define SUFFIX d
#define MR GEMM_AVX512_D_MR
#define NR GEMM_AVX512_D_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#undef ISA

#define ISA avx512_narrow
#define T float
#define SUFFIX s
#define MR GEMM_AVX512_NARROW_S_MR
#define NR GEMM_AVX512_NARROW_S_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#define T double
#define SUFFIX d
#define MR GEMM_AVX512_NARROW_D_MR
#define NR GEMM_AVX512_NARROW_D_NR
#include "gemm_pack_x86.inc"
#include "gemm_template_end.h"
#undef ISA
#undef PACK_FN

static const gemm_isa avx512 = {
    "avx512",
    {GEMM_AVX512_S_MR, GEMM_AVX512_S_NR, GEMM_AVX512_S_MC, GEMM_AVX512_S_KC, GEMM_AVX512_S_NC,
     kernel_avx512_s, pack_a_avx512_s, pack_b_avx512_s},
    {GEMM_AVX512_D_MR, GEMM_AVX512_D_NR, GEMM_AVX512_D_MC, GEMM_AVX512_D_KC, GEMM_AVX512_D_NC,
     kernel_avx512_d, pack_a_avx512_d, pack_b_avx512_d},
    {sparse_kernel_avx512_s, gemm_compact_a_s, NULL, NULL},
    {sparse_kernel_avx512_d, gemm_compact_a_d, NULL, NULL},
    {GEMM_AVX512_NARROW_S_MR, GEMM_AVX512_NARROW_S_NR, GEMM_AVX512_NARROW_S_MC, GEMM_AVX512_S_KC,
     GEMM_AVX512_NARROW_S_NR, kernel_avx512_narrow_s, pack_a_avx512_narrow_s, pack_b_avx512_narrow_s},
    {GEMM_AVX512_NARROW_D_MR, GEMM_AVX512_NARROW_D_NR, GEMM_AVX512_NARROW_D_MC, GEMM_AVX512_D_KC,
     GEMM_AVX512_NARROW_D_NR, kernel_avx512_narrow_d, pack_a_avx512_narrow_d, pack_b_avx512_narrow_d},
};
const gemm_isa *const gemm_isa_avx512 = &avx512;

#else

const gemm_isa *const gemm_isa_avx512 = NULL;

#endif
