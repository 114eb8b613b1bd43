/* Scratch memory that each calling thread keeps from one kernel call to the next.
 *
 * A GEMM packs its operands into buffers of up to several MB. Allocated afresh at every call,
 * such buffers come from mmap and every page is faulted in and zeroed by the OS again. Kept
 * per calling thread, they are allocated once; the memory goes when the thread ends.
 */
#include <pthread.h>
#include <stdlib.h>

#include "fastnn.h"

/* A buffer larger than this is not kept between calls. */
#define WORKSPACE_KEEP_BYTES ((size_t)64 << 20)

typedef struct {
    void *ptr;
    size_t size;
    int lent;
} workspace;

static pthread_key_t workspace_key;
static pthread_once_t workspace_once = PTHREAD_ONCE_INIT;

static void workspace_free(void *p) {
    workspace *w = p;
    free(w->ptr);
    free(w);
}

static void workspace_make_key(void) { pthread_key_create(&workspace_key, workspace_free); }

void *fastnn_workspace_take(size_t bytes, size_t align) {
    pthread_once(&workspace_once, workspace_make_key);
    workspace *w = pthread_getspecific(workspace_key);
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w || pthread_setspecific(workspace_key, w)) {
            free(w);
            w = NULL;
        }
    }
    void *p = NULL;
    if (!w || w->lent || bytes > WORKSPACE_KEEP_BYTES) { /* not kept: a buffer of its own */
        return posix_memalign(&p, align, bytes ? bytes : 1) ? NULL : p;
    }
    if (w->size < bytes) {
        free(w->ptr);
        w->ptr = NULL;
        w->size = 0;
        if (posix_memalign(&w->ptr, align, bytes)) return NULL;
        w->size = bytes;
    }
    w->lent = 1;
    return w->ptr;
}

void fastnn_workspace_give(void *p) {
    workspace *w = pthread_getspecific(workspace_key);
    if (w && w->lent && p == w->ptr) {
        w->lent = 0;
        return;
    }
    free(p);
}
