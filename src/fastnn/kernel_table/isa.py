"""Running kernels on one instruction set: the tests, the fuzz suite and the selftest try every
record on each instruction set this CPU can run."""
import contextlib


@contextlib.contextmanager
def on_isa(name):
    """Runs the block with every kernel limited to the instruction set `name` (one of
    fastnn.kernels.isas_available()), then returns to the one in use before."""
    from .. import kernels

    before = kernels.isa_name()
    kernels._limit_isa(name)
    try:
        yield
    finally:
        kernels._limit_isa(before)
