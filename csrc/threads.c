/* How many threads a kernel call uses.
 *
 * The count is the user's (fastnn_set_num_threads: used exactly, whatever the load) or automatic
 * (fastnn_set_automatic_threads: the CPUs this process may use, fewer while other processes keep
 * them busy). For the automatic count and the wait policy, the machine's load is sampled at most
 * every LOAD_SAMPLE_NS, by the kernel call that finds the last sample old: the running tasks
 * (/proc/loadavg) less this call's thread and fastnn's awake workers are the others, scaled to the
 * share of the online CPUs this process may run on (its affinity mask, read again at each sample).
 * The count drops at once when others leave fewer CPUs free than it uses, and rises again after
 * RAISE_AFTER samples in a row have found the CPUs free.
 */
#define _GNU_SOURCE
#include "fastnn.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Below this many work units a second thread costs more than it saves. */
#define FASTNN_MIN_WORK_PER_THREAD 32768.0
/* The machine's load is sampled at most this often. */
#define LOAD_SAMPLE_NS 20000000LL
/* Samples in a row that must find more CPUs free before the automatic count rises. */
#define RAISE_AFTER 3
/* How long an idle thread spins before it sleeps: on a quiet machine, and on an oversubscribed
 * one (where a spinning thread takes time from threads with work). */
#define SPIN_NS 50000LL
#define SPIN_BUSY_NS 2000LL

static atomic_int user_threads = 1;   /* > 0: the user's count; 0: automatic */
static atomic_int automatic_limit = 1; /* automatic: the most, from the CPUs this process may use */
static atomic_int automatic_now = 1;   /* automatic: the count after the last load sample */
static atomic_int oversubscribed;     /* the last sample found fewer CPUs free than the count */
static atomic_llong next_sample_ns;
static atomic_flag sampling = ATOMIC_FLAG_INIT;
static int raise_streak; /* written by the sampling thread only */

static int forked_child = 0;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child has none of the parent's workers: it runs every kernel on one thread. */
static void mark_forked_child(void) { forked_child = 1; }

static void install_atfork(void) { pthread_atfork(NULL, NULL, mark_forked_child); }

void fastnn_threads_init(void) { pthread_once(&atfork_once, install_atfork); }

int fastnn_threads_enabled(void) { return 1; }

void fastnn_set_num_threads(int n) { atomic_store(&user_threads, n < 1 ? 1 : n); }

void fastnn_set_automatic_threads(int limit) {
    if (limit < 1) limit = 1;
    atomic_store(&automatic_limit, limit);
    atomic_store(&automatic_now, limit);
    atomic_store(&next_sample_ns, 0);
    atomic_store(&user_threads, 0);
}

int fastnn_threads_automatic(void) { return atomic_load(&user_threads) == 0; }

int fastnn_get_num_threads(void) {
    int user = atomic_load(&user_threads);
    return user > 0 ? user : atomic_load(&automatic_limit);
}

static long long coarse_now_ns(void) {
    struct timespec t;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
#else
    clock_gettime(CLOCK_MONOTONIC, &t);
#endif
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Tasks running or ready to run on the whole machine, or -1 when unknown. */
static int running_tasks(void) {
#ifdef __linux__
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double l1, l5, l15;
    int running = -1, total;
    if (fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) != 5) running = -1;
    fclose(f);
    return running;
#else
    return -1;
#endif
}

/* CPUs in this process's affinity mask, or 0 when unknown. */
static int affinity_cpus(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set)) return 0;
    return CPU_COUNT(&set);
#else
    return 0;
#endif
}

static void sample_load(void) {
    int limit = atomic_load(&automatic_limit);
    int cpus = affinity_cpus(), online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 0) cpus = online > 0 ? online : limit;
    if (cpus < limit) limit = cpus;
    int running = running_tasks(), want = limit;
    if (running >= 0) {
        double others = running - 1 - fastnn_threads_awake();
        if (others < 0) others = 0;
        if (online > cpus) others = others * cpus / online;
        int free = cpus - (int)lround(others);
        want = free < 1 ? 1 : free < limit ? free : limit;
    }
    int user = atomic_load(&user_threads), count = user > 0 ? user : atomic_load(&automatic_now);
    atomic_store(&oversubscribed, want < (count < limit ? count : limit));
    int now = atomic_load(&automatic_now);
    if (want < now || (want > now && ++raise_streak >= RAISE_AFTER)) {
        atomic_store(&automatic_now, want);
        raise_streak = 0;
    } else if (want == now) {
        raise_streak = 0;
    }
}

/* Samples the load when the last sample is old (one thread at a time; the others go on). */
static void refresh_load(void) {
    long long t = coarse_now_ns();
    if (t < atomic_load_explicit(&next_sample_ns, memory_order_relaxed)) return;
    if (atomic_flag_test_and_set(&sampling)) return;
    atomic_store(&next_sample_ns, t + LOAD_SAMPLE_NS);
    sample_load();
    atomic_flag_clear(&sampling);
}

int fastnn_threads_in_use(void) {
    if (forked_child) return 1;
    refresh_load();
    int user = atomic_load(&user_threads);
    return user > 0 ? user : atomic_load(&automatic_now);
}

long long fastnn_threads_spin_ns(void) {
    return atomic_load_explicit(&oversubscribed, memory_order_relaxed) ? SPIN_BUSY_NS : SPIN_NS;
}

int fastnn_threads_for(double work) {
    if (forked_child || fastnn_in_parallel()) return 1; /* inside a loop: a unit runs on one thread */
    int useful = (int)fmin(work / FASTNN_MIN_WORK_PER_THREAD, 1e9);
    if (useful <= 1) return 1;
    int n = fastnn_threads_in_use();
    return useful < n ? useful : n;
}
