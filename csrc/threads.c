/* How many threads a kernel call uses.
 *
 * The count is the user's (fastnn_set_num_threads: used exactly, whatever the load) or automatic
 * (fastnn_set_automatic_threads: at most the CPUs this process may use). Both are looked after by a
 * sample taken at most every SAMPLE_NS, by the kernel call that finds the last one old:
 *
 * - the automatic count follows the affinity mask (read again at each sample), and drops by one
 *   when the loops of the last sample period ran slower with the workers than the calling thread
 *   alone would have (parallel.c measures each loop: the caller's own pace times all the units,
 *   against the loop's time; fastnn_threads_report). It tries one more again after PROBE_NS. A
 *   busy machine alone does not lower it: each runnable thread gets its share of the CPUs, and
 *   the loops do not wait for a thread that has none, so threads keep paying beside busy
 *   processes unless the OS keeps them from running while they hold units.
 * - the wait policy: when the running tasks (/proc/loadavg, less this thread and fastnn's awake
 *   workers, scaled to this process's share of the online CPUs) leave fewer CPUs free than the
 *   count, idle threads spin only briefly (SPIN_BUSY_NS) before they sleep.
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
/* The sample's period. */
#define SAMPLE_NS 20000000LL
/* The automatic count is lowered only on this many loops' evidence in a period. */
#define MIN_LOOPS 8
/* After a drop, the automatic count tries one thread more after this long. */
#define PROBE_NS 500000000LL
/* How long an idle thread spins before it sleeps: on a quiet machine, and on an oversubscribed
 * one (where a spinning thread takes time from threads with work). */
#define SPIN_NS 50000LL
#define SPIN_BUSY_NS 2000LL

static atomic_llong spin_quiet_ns = SPIN_NS, spin_busy_ns = SPIN_BUSY_NS;
static atomic_int user_threads = 1;    /* > 0: the user's count; 0: automatic */
static atomic_int automatic_limit = 1; /* automatic: the most, from the CPUs this process may use */
static atomic_int automatic_now = 1;   /* automatic: the count now */
static atomic_int oversubscribed;      /* the last sample found fewer CPUs free than the count */
static atomic_llong next_sample_ns;
static atomic_flag sampling = ATOMIC_FLAG_INIT;
/* The period's multi-threaded loops and the time their workers saved (negative: cost). */
static atomic_llong period_saved_ns;
static atomic_int period_loops;
static long long probe_at_ns; /* written by the sampling thread only */

static int forked_child = 0;

#if defined(_MSC_VER)
#define FNN_THREAD_LOCAL __declspec(thread)
#else
#define FNN_THREAD_LOCAL _Thread_local
#endif
static FNN_THREAD_LOCAL int this_thread_cap = 0; /* 0: no cap */
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
    atomic_store(&period_saved_ns, 0);
    atomic_store(&period_loops, 0);
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

void fastnn_threads_report(long long saved_ns) {
    atomic_fetch_add_explicit(&period_saved_ns, saved_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&period_loops, 1, memory_order_relaxed);
}

void fastnn_cap_this_thread(int n) { this_thread_cap = n < 0 ? 0 : n; }

/* The automatic count after a period whose loops' workers saved `saved` ns over `loops` loops. */
static int next_automatic(int now, int limit, long long saved, int loops, long long t) {
    if (now > limit) return limit;
    if (loops >= MIN_LOOPS && saved < 0 && now > 1) {
        probe_at_ns = t + PROBE_NS;
        return now - 1;
    }
    if (now < limit && t >= probe_at_ns) {
        probe_at_ns = t + PROBE_NS;
        return now + 1;
    }
    return now;
}

static void sample(long long t) {
    int cpus = affinity_cpus(), online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 0) cpus = online > 0 ? online : 1;
    int limit = atomic_load(&automatic_limit);
    if (cpus < limit) limit = cpus;
    long long saved = atomic_exchange(&period_saved_ns, 0);
    int loops = atomic_exchange(&period_loops, 0);
    int now = next_automatic(atomic_load(&automatic_now), limit, saved, loops, t);
    atomic_store(&automatic_now, now);
    int user = atomic_load(&user_threads), count = user > 0 ? user : now;
    int running = running_tasks(), busy = 0;
    if (running >= 0) {
        double others = running - 1 - fastnn_threads_awake();
        if (others < 0) others = 0;
        if (online > cpus) others = others * cpus / online;
        busy = cpus - (int)lround(others) < count;
    }
    atomic_store(&oversubscribed, busy);
}

/* Samples when the last sample is old (one thread at a time; the others go on). */
static void refresh(void) {
    long long t = coarse_now_ns();
    if (t < atomic_load_explicit(&next_sample_ns, memory_order_relaxed)) return;
    if (atomic_flag_test_and_set(&sampling)) return;
    atomic_store(&next_sample_ns, t + SAMPLE_NS);
    sample(t);
    atomic_flag_clear(&sampling);
}

int fastnn_threads_in_use(void) {
    if (forked_child) return 1;
    refresh();
    int user = atomic_load(&user_threads);
    return user > 0 ? user : atomic_load(&automatic_now);
}

long long fastnn_threads_spin_ns(void) {
    return atomic_load_explicit(atomic_load_explicit(&oversubscribed, memory_order_relaxed) ? &spin_busy_ns : &spin_quiet_ns,
                                memory_order_relaxed);
}

void fastnn_threads_set_spin_ns(long long quiet, long long busy) {
    atomic_store(&spin_quiet_ns, quiet < 0 ? SPIN_NS : quiet);
    atomic_store(&spin_busy_ns, busy < 0 ? SPIN_BUSY_NS : busy);
}

int fastnn_threads_for(double work) {
    if (forked_child || fastnn_in_parallel()) return 1; /* inside a loop: a unit runs on one thread */
    int useful = (int)fmin(work / FASTNN_MIN_WORK_PER_THREAD, 1e9);
    if (useful <= 1) return 1;
    if (this_thread_cap > 0 && useful > this_thread_cap) useful = this_thread_cap;
    int n = fastnn_threads_in_use();
    return useful < n ? useful : n;
}
