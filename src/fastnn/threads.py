"""How many threads the compiled kernels use.

Importing fastnn changes nothing outside fastnn: it reads FASTNN_NUM_THREADS / OMP_NUM_THREADS
but never writes the environment, so how long OpenMP's idle threads spin before they sleep is
the OpenMP runtime's own setting. With libgomp (GCC) that is OMP_WAIT_POLICY or GOMP_SPINCOUNT,
read once when libgomp loads: to have idle threads sleep soon (on a machine shared with other
work), start Python with e.g. GOMP_SPINCOUNT=1000 in its environment.
"""
import os
import warnings

from . import _C

ENV_VARS = ("FASTNN_NUM_THREADS", "OMP_NUM_THREADS")
# More threads than this are refused: no machine fastnn runs on has that many cores.
MAX_THREADS = 65536


def available_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_num_threads():
    """FASTNN_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs this process may run on."""
    for var in ENV_VARS:
        value = os.environ.get(var, "").split(",")[0].strip()
        if not value:
            continue
        try:
            n = int(value)
        except ValueError:
            n = 0
        if 1 <= n <= MAX_THREADS:
            return n
        warnings.warn(f"fastnn: ignoring {var}={os.environ[var]!r}: expected a positive integer (at most {MAX_THREADS})")
    return available_cpus()


def set_num_threads(n):
    """Sets the number of threads the kernels may use (a positive integer, at most MAX_THREADS).

    Results do not depend on it: every kernel gives bitwise identical output for any count.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"set_num_threads expects a positive integer, received: {n!r} (the most is {MAX_THREADS})")
    _C._set_num_threads(n)


def get_num_threads():
    """The number of threads the kernels may use (1 when built without OpenMP)."""
    return _C._get_num_threads()


def openmp_enabled():
    """True when the kernels were built with OpenMP."""
    return _C.openmp_enabled()


set_num_threads(default_num_threads())
