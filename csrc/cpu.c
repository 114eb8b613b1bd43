#include "cpu.h"

#include "fastnn.h"

#include <pthread.h>
#include <string.h>

enum { ISA_AVX512, ISA_AVX2, ISA_PORTABLE, ISA_COUNT };
static const char *const isa_names[ISA_COUNT] = {"avx512", "avx2-fma", "portable"};

static fnn_cpu_features probed, allowed;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    probed.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    probed.avx512 = probed.avx2_fma && __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                    __builtin_cpu_supports("avx512vl");
#endif
    allowed = probed;
}

static const fnn_cpu_features *probed_features(void) {
    pthread_once(&probe_once, probe);
    return &probed;
}

const fnn_cpu_features *fnn_cpu(void) {
    pthread_once(&probe_once, probe);
    return &allowed;
}

static int best_of(const fnn_cpu_features *f) {
    return f->avx512 ? ISA_AVX512 : f->avx2_fma ? ISA_AVX2 : ISA_PORTABLE;
}

static int isa_index(const char *name) {
    for (int i = 0; i < ISA_COUNT; i++)
        if (name && !strcmp(name, isa_names[i])) return i;
    return -1;
}

const char *fastnn_isa_name(void) { return isa_names[best_of(fnn_cpu())]; }

int fastnn_isa_available(const char *name) {
    int isa = isa_index(name);
    return isa >= 0 && isa >= best_of(probed_features());
}

int fastnn_limit_isa(const char *name) {
    const fnn_cpu_features *cpu = probed_features();
    if (!name || !*name) {
        allowed = *cpu;
        return 0;
    }
    if (!fastnn_isa_available(name)) return -1;
    int isa = isa_index(name);
    allowed.avx512 = cpu->avx512 && isa <= ISA_AVX512;
    allowed.avx2_fma = cpu->avx2_fma && isa <= ISA_AVX2;
    return 0;
}
