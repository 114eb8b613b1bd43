cdef extern from "fastnn.h":
    int fastnn_openmp_enabled() nogil
    void fastnn_set_num_threads(int n) nogil
    int fastnn_get_num_threads() nogil
    void fastnn_threads_init() nogil


fastnn_threads_init()


def openmp_enabled():
    """True when the kernels were built with OpenMP."""
    return bool(fastnn_openmp_enabled())


def _set_num_threads(int n):
    fastnn_set_num_threads(n)


def _get_num_threads():
    return fastnn_get_num_threads()
