#include "cpu.h"

#include <pthread.h>

static fnn_cpu_features features;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    features.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    features.avx512 = features.avx2_fma && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
#endif
}

const fnn_cpu_features *fnn_cpu(void) {
    pthread_once(&probe_once, probe);
    return &features;
}
