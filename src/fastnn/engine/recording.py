"""Recording a step: every kernel call the step makes is appended to a Tape."""
import threading
from contextlib import contextmanager

from .. import _C

_lock = threading.Lock()


@contextmanager
def recording():
    """Yields a Tape that receives the kernel calls this thread makes inside the block."""
    tape = _C.Tape()
    with _lock:
        _C._begin_recording(tape)
        try:
            yield tape
        finally:
            _C._end_recording()
