"""How many threads the compiled kernels use.

By default the count is automatic: at most the CPUs this process may use (its affinity mask and its
cgroup's CPU quota), and one fewer while the workers cost more time than they save (the kernels
measure their loops every 20 ms or so; results never depend on the count). FASTNN_NUM_THREADS or
OMP_NUM_THREADS in the environment, or ``set_num_threads(n)``, give a fixed count instead, used
exactly whatever the load; ``use_available_cpus()`` goes back to the automatic one.

The kernels run on fastnn's own worker threads, which spin for a few tens of microseconds when idle
and then sleep (a short spin when the machine is oversubscribed). Importing fastnn changes nothing
outside fastnn: it reads the environment variables above but never writes the environment.
"""
import math
import os
import warnings

from . import _C

ENV_VARS = ("FASTNN_NUM_THREADS", "OMP_NUM_THREADS")
# More threads than this are refused: no machine fastnn runs on has that many cores.
MAX_THREADS = 65536


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _cgroup_dirs(proc_cgroup):
    """The process's cgroup folders below the hierarchy roots: {controller: path} (v2's key is "")."""
    text = _read(proc_cgroup)
    dirs = {}
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                dirs[controller] = parts[2].lstrip("/")
    return dirs


def _quota_in(folder, v2):
    """CPUs the cgroup folder allows (a float), or None when it sets no quota (or none is readable)."""
    if v2:
        text = _read(os.path.join(folder, "cpu.max"))
        fields = (text or "").split()
        if len(fields) != 2 or fields[0] == "max":
            return None
        quota, period = fields
    else:
        quota = (_read(os.path.join(folder, "cpu.cfs_quota_us")) or "").strip()
        period = (_read(os.path.join(folder, "cpu.cfs_period_us")) or "").strip()
    try:
        quota, period = int(quota), int(period)
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def cgroup_cpu_limit(cgroup_root="/sys/fs/cgroup", proc_cgroup="/proc/self/cgroup"):
    """CPUs this process's cgroup lets it use (a float, e.g. 1.5), or None when it sets no limit.

    Reads cgroup v2's ``cpu.max`` or v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, in the process's
    own cgroup (``proc_cgroup``) and each folder above it up to ``cgroup_root``; the smallest quota wins.
    """
    dirs = _cgroup_dirs(proc_cgroup)
    candidates = []
    if "" in dirs:
        candidates.append((cgroup_root, dirs[""], True))
    for controller in ("cpu", "cpu,cpuacct"):
        if "cpu" in dirs:
            candidates.append((os.path.join(cgroup_root, controller), dirs["cpu"], False))
    limits = []
    for root, path, v2 in candidates:
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts), -1, -1):
            quota = _quota_in(os.path.join(root, *parts[:depth]), v2)
            if quota is not None:
                limits.append(quota)
    return min(limits) if limits else None


def available_cpus(cgroup_root="/sys/fs/cgroup", proc_cgroup="/proc/self/cgroup"):
    """CPUs this process may use: its affinity mask where the OS has one, at most its cgroup's CPU
    quota (rounded up)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_limit(cgroup_root, proc_cgroup)
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def environment_num_threads():
    """The count FASTNN_NUM_THREADS, else OMP_NUM_THREADS, asks for, or None when neither does."""
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
    return None


def default_num_threads():
    """FASTNN_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs this process may use."""
    n = environment_num_threads()
    return available_cpus() if n is None else n


def set_num_threads(n):
    """Sets the number of threads the kernels use (a positive integer, at most MAX_THREADS): every
    call large enough for n threads uses n, whatever the machine's load.

    Results do not depend on it: every kernel gives bitwise identical output for any count.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"set_num_threads expects a positive integer, received: {n!r} (the most is {MAX_THREADS})")
    _C._set_num_threads(n)


def use_available_cpus():
    """Makes the count automatic again: the CPUs this process may use, fewer while the workers do
    not pay (the default when no environment variable sets a count)."""
    _C._set_automatic_threads(available_cpus())


def get_num_threads():
    """The number of threads the kernels may use: the count set, or the automatic count's most."""
    return _C._get_num_threads()


def is_automatic():
    """True when the count is automatic (follows the machine), False when set by the user."""
    return _C._threads_automatic()


def threads_in_use():
    """The threads a large kernel call would use now: the count set, or the automatic count after
    its look at the machine's load."""
    return _C._threads_in_use()


def threads_enabled():
    """True when the kernels can run on several threads."""
    return _C.threads_enabled()


def openmp_enabled():
    """True when the kernels can run on several threads (the name is kept from when they ran on
    OpenMP's; they run on fastnn's own threads now)."""
    return threads_enabled()


def _setting():
    """The current setting, for _restore: ("automatic", most) or ("user", count)."""
    return ("automatic" if is_automatic() else "user", get_num_threads())


def _restore(setting):
    kind, n = setting
    if kind == "automatic":
        _C._set_automatic_threads(n)
    else:
        _C._set_num_threads(n)


_requested = environment_num_threads()
if _requested is None:
    use_available_cpus()
else:
    set_num_threads(_requested)
del _requested
