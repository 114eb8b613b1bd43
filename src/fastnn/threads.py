"""How many threads the compiled kernels use, and how long idle ones spin."""
import os
import warnings

ENV_VARS = ("FASTNN_NUM_THREADS", "OMP_NUM_THREADS")

# libgomp's idle threads spin 300,000 times (milliseconds) before sleeping. A training step
# leaves only microseconds between kernel calls, so a short spin keeps the threads awake
# through a step; on a busy machine the long default has a waiting thread burn its time
# slice while its partner is descheduled, and a 1 s epoch takes 10 s or more.
SPIN_COUNT = 1000
WAIT_ENV_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def _openmp_loaded():
    try:
        with open("/proc/self/maps") as maps:
            return "libgomp" in maps.read()
    except OSError:
        return False


def _load_kernels_with_short_spin():
    """Imports the compiled kernels with GOMP_SPINCOUNT=SPIN_COUNT in effect unless the user set
    OMP_WAIT_POLICY or GOMP_SPINCOUNT, or libgomp was already loaded (then nothing can change it).
    The environment is left as it was. Returns the setting applied, or None."""
    if any(var in os.environ for var in WAIT_ENV_VARS) or _openmp_loaded():
        from . import _C  # noqa: F401
        return None
    os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    try:
        from . import _C  # noqa: F401  (libgomp reads its environment when it is loaded)
    finally:
        del os.environ["GOMP_SPINCOUNT"]
    return {"GOMP_SPINCOUNT": str(SPIN_COUNT)}


wait_setting = _load_kernels_with_short_spin()

from . import _C  # noqa: E402


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
        if n >= 1:
            return n
        warnings.warn(f"fastnn: ignoring {var}={os.environ[var]!r}: expected a positive integer")
    return available_cpus()


def set_num_threads(n):
    """Sets the number of threads the kernels may use (a positive integer).

    Results do not depend on it: every kernel gives bitwise identical output for any count.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, received: {n!r}")
    _C._set_num_threads(n)


def get_num_threads():
    """The number of threads the kernels may use (1 when built without OpenMP)."""
    return _C._get_num_threads()


def openmp_enabled():
    """True when the kernels were built with OpenMP."""
    return _C.openmp_enabled()


set_num_threads(default_num_threads())
