"""How many kernel threads each process of a job uses: the cores it may run on, shared with
the other processes of its machine that may run on the same cores."""
import os

from .. import threads


def share_cores(comm, mpi):
    """Sets this process's thread count to its CPUs divided by the processes on this machine
    whose CPUs overlap its own, unless FASTNN_NUM_THREADS or OMP_NUM_THREADS sets it.
    Returns the count set, or None."""
    if any(os.environ.get(var, "").strip() for var in threads.ENV_VARS):
        return None
    try:
        mine = frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        mine = frozenset(range(os.cpu_count() or 1))
    node = comm.Split_type(mpi.COMM_TYPE_SHARED)
    try:
        everyone = node.allgather(mine)
    finally:
        node.Free()
    sharing = sum(1 for cpus in everyone if cpus & mine)
    count = max(1, len(mine) // sharing)
    threads.set_num_threads(count)
    return count
