/* fastnn's own worker threads and the parallel loops the kernels run on them.
 *
 * A loop's units [0, units) are taken in claims by whichever thread is free: the calling thread
 * and up to nthreads - 1 workers. A claim takes a share of what is left (1 / (CLAIM_SHARE * nthreads),
 * at least one unit), so claims shrink towards the end and a thread slowed down or stopped by
 * another process holds up only the units it claimed. The caller waits for the claimed units
 * alone: a worker that wakes late, or finds no free core, finds nothing left and is never waited
 * for. The kernels give every unit a computation fixed by the sizes, so which thread runs a unit,
 * and how the claims fall, never changes a result.
 *
 * Wait policy: an idle worker spins (a pause loop) for a short time waiting for the next loop,
 * then sleeps on a futex; the caller waiting for units claimed elsewhere does the same. The spin
 * is shorter when threads.c finds the machine oversubscribed (fastnn_threads_spin_ns).
 *
 * One loop runs at a time: a caller that finds the workers busy (another Python thread's
 * kernel) runs its loop alone. Workers are started when a loop first needs them, end at exit
 * (atexit) and do not exist in a forked child, which runs every loop alone (threads.c).
 */
#include "fastnn.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* A claim takes 1 / (CLAIM_SHARE * nthreads) of the units left, at least one. */
#define CLAIM_SHARE 4
/* Workers fastnn starts at most (more threads than this are never useful on a CPU). */
#define MAX_WORKERS 1023

typedef struct {
    _Atomic(fastnn_range_fn) fn;
    _Atomic(void *) ctx;
    atomic_uint units;
    atomic_int nthreads;
} loop_params;

static struct {
    pthread_mutex_t lock; /* held by the caller whose loop the workers run */
    /* Even: the tag of the loop published last (0: none yet); odd: a loop being published. */
    atomic_uint seq;
    loop_params loop; /* written under the seq lock, read by the workers */
    /* (tag << 32) | count: the next unit to claim, and the threads that joined the loop. */
    atomic_ullong claim, join;
    atomic_uint done;     /* units finished */
    atomic_int sleeping;  /* workers asleep on seq */
    atomic_int awake;     /* workers not asleep (spinning or working) */
    atomic_int caller_asleep;
    atomic_int shutdown;
    int workers;          /* started; read and written under lock */
    pthread_t threads[MAX_WORKERS];
} P = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local int in_loop; /* this thread runs units of a loop (or is a worker) */

int fastnn_in_parallel(void) { return in_loop; }

int fastnn_threads_awake(void) { return atomic_load_explicit(&P.awake, memory_order_relaxed); }

/* ---- sleeping and waking ------------------------------------------------------------ */

static void futex_wait(atomic_uint *word, unsigned value) {
#ifdef __linux__
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
    (void)word;
    (void)value;
    struct timespec nap = {0, 50000};
    nanosleep(&nap, NULL);
#endif
}

static void futex_wake(atomic_uint *word, int count) {
#ifdef __linux__
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
#else
    (void)word;
    (void)count;
#endif
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Spins until *word != value or the spin time is over; returns the last value read. */
static unsigned spin_while_equal(atomic_uint *word, unsigned value) {
    long long deadline = 0;
    for (unsigned i = 0;; i++) {
        unsigned now = atomic_load_explicit(word, memory_order_acquire);
        if (now != value) return now;
        if ((i & 63) == 0) {
            long long t = now_ns();
            if (!deadline) deadline = t + fastnn_threads_spin_ns();
            else if (t >= deadline) return now;
        }
        cpu_relax();
    }
}

/* ---- claiming units ------------------------------------------------------------------ */

static inline uint32_t tag_of(unsigned long long word) { return (uint32_t)(word >> 32); }

/* Claims units of the loop tagged `tag`: 1 and [*first, *end), or 0 when none are left. */
static int claim_units(uint32_t tag, uint32_t units, int nthreads, uint32_t *first, uint32_t *end) {
    unsigned long long c = atomic_load_explicit(&P.claim, memory_order_relaxed);
    for (;;) {
        uint32_t next = (uint32_t)c;
        if (tag_of(c) != tag || next >= units) return 0;
        uint32_t take = (units - next) / (uint32_t)(CLAIM_SHARE * nthreads);
        if (take < 1) take = 1;
        if (atomic_compare_exchange_weak_explicit(&P.claim, &c, c + take, memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            *first = next;
            *end = next + take;
            return 1;
        }
    }
}

/* Runs claims of the loop until none are left; slot is this thread's index in [0, nthreads).
 * Returns the units it ran. */
static uint32_t run_claims(uint32_t tag, fastnn_range_fn fn, void *ctx, uint32_t units, int nthreads, int slot) {
    uint32_t first, end, ran = 0;
    while (claim_units(tag, units, nthreads, &first, &end)) {
        ran += end - first;
        fn(ctx, first, end, slot);
        uint32_t done = atomic_fetch_add_explicit(&P.done, end - first, memory_order_seq_cst) + (end - first);
        if (done == units && atomic_load_explicit(&P.caller_asleep, memory_order_seq_cst)) futex_wake(&P.done, 1);
    }
    return ran;
}

/* ---- the workers ------------------------------------------------------------------------ */

/* Waits for a loop published after `seen` (or for shutdown); returns its tag. */
static uint32_t wait_for_loop(uint32_t seen) {
    unsigned s = spin_while_equal(&P.seq, seen);
    for (;;) {
        if ((s != seen && !(s & 1)) || atomic_load_explicit(&P.shutdown, memory_order_relaxed)) return s;
        if (s & 1) { /* being published: done in a moment */
            cpu_relax();
            s = atomic_load_explicit(&P.seq, memory_order_acquire);
            continue;
        }
        atomic_fetch_sub_explicit(&P.awake, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&P.sleeping, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&P.seq, memory_order_seq_cst) == seen &&
            !atomic_load_explicit(&P.shutdown, memory_order_seq_cst))
            futex_wait(&P.seq, seen);
        atomic_fetch_sub_explicit(&P.sleeping, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&P.awake, 1, memory_order_relaxed);
        s = spin_while_equal(&P.seq, seen);
    }
}

static void *worker_main(void *arg) {
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    in_loop = 1; /* a kernel called from a unit runs on this thread alone */
    for (;;) {
        uint32_t tag = wait_for_loop(seen);
        if (atomic_load_explicit(&P.shutdown, memory_order_relaxed)) break;
        seen = tag;
        fastnn_range_fn fn = atomic_load_explicit(&P.loop.fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&P.loop.ctx, memory_order_relaxed);
        uint32_t units = atomic_load_explicit(&P.loop.units, memory_order_relaxed);
        int nthreads = atomic_load_explicit(&P.loop.nthreads, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&P.seq, memory_order_relaxed) != tag) continue; /* over already */
        unsigned long long j = atomic_load_explicit(&P.join, memory_order_relaxed);
        int slot = -1;
        while (tag_of(j) == tag && (int)(uint32_t)j < nthreads) {
            if (atomic_compare_exchange_weak_explicit(&P.join, &j, j + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                slot = (int)(uint32_t)j;
                break;
            }
        }
        if (slot > 0) run_claims(tag, fn, ctx, units, nthreads, slot);
    }
    atomic_fetch_sub_explicit(&P.awake, 1, memory_order_relaxed);
    return NULL;
}

static void stop_workers(void) {
    pthread_mutex_lock(&P.lock);
    atomic_store_explicit(&P.shutdown, 1, memory_order_seq_cst);
    futex_wake(&P.seq, INT_MAX);
    for (int w = 0; w < P.workers; w++) pthread_join(P.threads[w], NULL);
    P.workers = 0;
    atomic_store_explicit(&P.shutdown, 0, memory_order_seq_cst);
    pthread_mutex_unlock(&P.lock);
}

/* In a forked child only the forking thread exists: no workers, nothing locked. */
static void forget_workers(void) {
    pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    P.lock = unlocked;
    P.workers = 0;
    atomic_store(&P.sleeping, 0);
    atomic_store(&P.awake, 0);
    atomic_store(&P.caller_asleep, 0);
}

static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void install_handlers(void) {
    atexit(stop_workers);
    pthread_atfork(NULL, NULL, forget_workers);
}

/* Starts workers up to `want` (under lock); returns how many exist. Workers block every signal. */
static int start_workers(int want) {
    if (want > MAX_WORKERS) want = MAX_WORKERS;
    if (P.workers >= want) return P.workers;
    pthread_once(&exit_once, install_handlers);
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    uint32_t seen = atomic_load_explicit(&P.seq, memory_order_relaxed);
    while (P.workers < want) {
        atomic_fetch_add_explicit(&P.awake, 1, memory_order_relaxed);
        if (pthread_create(&P.threads[P.workers], NULL, worker_main, (void *)(uintptr_t)seen)) {
            atomic_fetch_sub_explicit(&P.awake, 1, memory_order_relaxed);
            break;
        }
        P.workers++;
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    return P.workers;
}

/* ---- the loops --------------------------------------------------------------------------- */

/* Waits until `units` units are done: spins, then sleeps until the thread finishing the last one
 * wakes it. */
static void wait_for_units(uint32_t units) {
    long long deadline = 0;
    for (unsigned i = 0;; i++) {
        if (atomic_load_explicit(&P.done, memory_order_acquire) == units) return;
        if ((i & 63) == 0) {
            long long t = now_ns();
            if (!deadline) deadline = t + fastnn_threads_spin_ns();
            else if (t >= deadline) break;
        }
        cpu_relax();
    }
    for (;;) {
        atomic_store_explicit(&P.caller_asleep, 1, memory_order_seq_cst);
        unsigned done = atomic_load_explicit(&P.done, memory_order_seq_cst);
        if (done == units) break;
        futex_wait(&P.done, done);
    }
    atomic_store_explicit(&P.caller_asleep, 0, memory_order_relaxed);
    atomic_load_explicit(&P.done, memory_order_acquire); /* every unit's writes are visible */
}

/* The caller's side of one loop on the workers (P.lock held). The loop's time is reported against
 * the caller's own pace times all the units: what the workers saved. */
static void run_on_workers(fastnn_range_fn fn, void *ctx, uint32_t units, int nthreads) {
    long long start = now_ns();
    uint32_t tag = atomic_load_explicit(&P.seq, memory_order_relaxed) + 2;
    atomic_store_explicit(&P.seq, tag - 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&P.loop.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&P.loop.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&P.loop.units, units, memory_order_relaxed);
    atomic_store_explicit(&P.loop.nthreads, nthreads, memory_order_relaxed);
    atomic_store_explicit(&P.join, (unsigned long long)tag << 32 | 1, memory_order_relaxed);
    atomic_store_explicit(&P.claim, (unsigned long long)tag << 32, memory_order_relaxed);
    atomic_store_explicit(&P.done, 0, memory_order_relaxed);
    atomic_store_explicit(&P.seq, tag, memory_order_seq_cst);
    if (atomic_load_explicit(&P.sleeping, memory_order_seq_cst) > 0) futex_wake(&P.seq, nthreads - 1);

    uint32_t mine = run_claims(tag, fn, ctx, units, nthreads, 0);
    long long own_end = now_ns();
    wait_for_units(units);
    long long end = now_ns();
    if (mine > 0) fastnn_threads_report((long long)((double)(own_end - start) * units / mine) - (end - start));
}

/* A loop of more units than a claim word counts runs in groups of units. */
typedef struct {
    fastnn_range_fn fn;
    void *ctx;
    fnn_int units, groups;
} grouped_loop;

static void run_groups(void *ctx, fnn_int first, fnn_int end, int slot) {
    const grouped_loop *G = ctx;
    G->fn(G->ctx, G->units * first / G->groups, G->units * end / G->groups, slot);
}

void fastnn_parallel_for(fnn_int units, int nthreads, fastnn_range_fn fn, void *ctx) {
    if (units <= 0) return;
    if (nthreads > units) nthreads = (int)units;
    if (nthreads <= 1 || in_loop || pthread_mutex_trylock(&P.lock)) {
        fn(ctx, 0, units, 0);
        return;
    }
    int workers = start_workers(nthreads - 1);
    if (workers + 1 < nthreads) nthreads = workers + 1;
    if (nthreads <= 1) {
        pthread_mutex_unlock(&P.lock);
        fn(ctx, 0, units, 0);
        return;
    }
    in_loop = 1;
    const fnn_int most = (fnn_int)1 << 30;
    if (units <= most) {
        run_on_workers(fn, ctx, (uint32_t)units, nthreads);
    } else {
        grouped_loop G = {fn, ctx, units, most};
        run_on_workers(run_groups, &G, (uint32_t)most, nthreads);
    }
    in_loop = 0;
    pthread_mutex_unlock(&P.lock);
}

/* ---- contiguous blocks --------------------------------------------------------------------- */

typedef struct {
    fastnn_block_fn fn;
    void *ctx;
} block_loop;

static void run_blocks(void *ctx, fnn_int first, fnn_int end, int slot) {
    (void)slot;
    const block_loop *B = ctx;
    B->fn(B->ctx, first, end);
}

void fastnn_parallel_blocks(fnn_int nblocks, int nthreads, fastnn_block_fn fn, void *ctx) {
    block_loop B = {fn, ctx};
    fastnn_parallel_for(nblocks, nthreads, run_blocks, &B);
}
