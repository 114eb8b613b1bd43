#include "fastnn.h"

#include <pthread.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many work units a second thread costs more than it saves. */
#define FASTNN_MIN_WORK_PER_THREAD 32768.0

static int num_threads = 1;
static int forked_child = 0;

#if defined(_MSC_VER)
#define FNN_THREAD_LOCAL __declspec(thread)
#else
#define FNN_THREAD_LOCAL _Thread_local
#endif
static FNN_THREAD_LOCAL int this_thread_cap = 0; /* 0: no cap */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* libgomp's thread pool does not survive fork(): a child that entered a
 * parallel region would wait forever for threads that no longer exist. */
static void mark_forked_child(void) { forked_child = 1; }

static void install_atfork(void) { pthread_atfork(NULL, NULL, mark_forked_child); }

void fastnn_threads_init(void) { pthread_once(&atfork_once, install_atfork); }

int fastnn_openmp_enabled(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

void fastnn_set_num_threads(int n) { num_threads = n < 1 ? 1 : n; }

void fastnn_cap_this_thread(int n) { this_thread_cap = n < 0 ? 0 : n; }

int fastnn_get_num_threads(void) { return fastnn_openmp_enabled() ? num_threads : 1; }

int fastnn_threads_for(double work) {
    if (forked_child || !fastnn_openmp_enabled()) return 1;
#ifdef _OPENMP
    if (omp_in_parallel()) return 1; /* a kernel called by one thread of a parallel region */
#endif
    int useful = (int)(work / FASTNN_MIN_WORK_PER_THREAD);
    if (useful < 1) return 1;
    if (this_thread_cap > 0 && useful > this_thread_cap) useful = this_thread_cap;
    return useful < num_threads ? useful : num_threads;
}
