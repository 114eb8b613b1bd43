/* Helpers shared by the kernel files: run-time ISA choice and parallel blocks.
 *
 * A kernel body is written once as an FNN_INLINE function and wrapped twice:
 * a portable wrapper (the build's baseline ISA) and one compiled for AVX2/FMA (a few
 * kernels add a third, for AVX-512). fnn_use_avx2() and fnn_use_avx512() pick between
 * them at run time from the CPU probe (cpu.h); no file is compiled for one ISA as a whole.
 */
#ifndef FASTNN_DISPATCH_H
#define FASTNN_DISPATCH_H

#include "cpu.h"
#include "fastnn.h"

#define FNN_INLINE static inline __attribute__((always_inline))

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FNN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define FNN_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#else
#define FNN_TARGET_AVX2
#define FNN_TARGET_AVX512
#endif

static inline int fnn_use_avx2(void) { return fnn_cpu()->avx2_fma; }
static inline int fnn_use_avx512(void) { return fnn_cpu()->avx512; }

/* Defines `portable` and `avx2`, two fastnn_block_fn compiled from `body`. */
#define FNN_BLOCK_VARIANTS(portable, avx2, body)                                    \
    static void portable(void *ctx, fnn_int first, fnn_int end) { body(ctx, first, end); } \
    static FNN_TARGET_AVX2 void avx2(void *ctx, fnn_int first, fnn_int end) { body(ctx, first, end); }

#define FNN_PICK(portable, avx2) (fnn_use_avx2() ? (avx2) : (portable))

/* Sums kept in this many independent lanes: vectorisable without reordering,
 * so a row's sum depends only on its length, never on threads or ISA. */
#define FNN_LANES 16

#endif
