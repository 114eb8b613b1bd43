cdef extern from "fastnn.h":
    int fastnn_threads_enabled() nogil
    void fastnn_set_num_threads(int n) nogil
    void fastnn_set_automatic_threads(int limit) nogil
    int fastnn_threads_automatic() nogil
    int fastnn_get_num_threads() nogil
    int fastnn_threads_in_use() nogil
    void fastnn_threads_init() nogil
    void fastnn_threads_set_spin_ns(long long quiet, long long busy) nogil


fastnn_threads_init()


def threads_enabled():
    """True when the kernels can run on several threads."""
    return bool(fastnn_threads_enabled())


def _set_num_threads(int n):
    fastnn_set_num_threads(n)


def _set_automatic_threads(int limit):
    fastnn_set_automatic_threads(limit)


def _threads_automatic():
    return bool(fastnn_threads_automatic())


def _get_num_threads():
    return fastnn_get_num_threads()


def _threads_in_use():
    return fastnn_threads_in_use()


def _set_spin_ns(long long quiet, long long busy):
    """How long idle threads spin before they sleep, in ns, on a quiet and on an oversubscribed
    machine (< 0: fastnn's default)."""
    fastnn_threads_set_spin_ns(quiet, busy)
