/* GEMM entry points: picks the micro-kernel for this CPU once, then runs the
 * blocked driver (gemm_driver.inc) with one OpenMP parallel region per call. */
#include "gemm.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
static inline int gemm_thread_id(void) { return omp_get_thread_num(); }
#else
static inline int gemm_thread_id(void) { return 0; }
#endif

/* Work units handed to fastnn_threads_for: a GEMM flop costs ~1/16 of the element
 * operation its threshold was set for, so a second thread starts from ~1 MFLOP
 * (about 12 us on one core), where it beats the cost of waking it. */
#define GEMM_WORK(m, n, k) (2.0 * (double)(m) * (double)(n) * (double)(k) / 16.0)

#define T float
#define SUFFIX s
#include "gemm_driver.inc"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX d
#include "gemm_driver.inc"
#undef T
#undef SUFFIX

static int force_portable = 0;
static int skip_zeros = 1;

static const gemm_isa *detect_isa(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (gemm_avx2_compiled && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return &gemm_isa_avx2;
#endif
    return &gemm_isa_portable;
}

static const gemm_isa *current_isa(void) {
    static const gemm_isa *detected = NULL;
    if (force_portable) return &gemm_isa_portable;
    if (!detected) detected = detect_isa();
    return detected;
}

const char *fastnn_gemm_kernel_name(void) { return current_isa()->name; }

void fastnn_gemm_force_portable(int force) { force_portable = force != 0; }

void fastnn_gemm_skip_zeros(int skip) { skip_zeros = skip != 0; }

int fastnn_sgemm(fnn_int m, fnn_int n, fnn_int k, const float *a, fnn_int a_rs, fnn_int a_cs,
                 const float *b, fnn_int b_rs, fnn_int b_cs, float *c, fnn_int c_rs,
                 const float *bias, int activation, const float *mask, fnn_int mask_rs) {
    return gemm_s(&current_isa()->s, m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias,
                  activation, mask, mask_rs, skip_zeros);
}

int fastnn_dgemm(fnn_int m, fnn_int n, fnn_int k, const double *a, fnn_int a_rs, fnn_int a_cs,
                 const double *b, fnn_int b_rs, fnn_int b_cs, double *c, fnn_int c_rs,
                 const double *bias, int activation, const double *mask, fnn_int mask_rs) {
    return gemm_d(&current_isa()->d, m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias,
                  activation, mask, mask_rs, skip_zeros);
}
