"""Building a model whose weights a file is about to give: layers made inside
``weights_from_file()`` start their weights as zeros instead of running their initializers, which
for a large model costs more than reading the file. The loaders check that the file gives every
weight before assigning any, so no zero is left behind in a model they return."""
from contextlib import contextmanager
from contextvars import ContextVar

_from_file = ContextVar("fastnn_weights_from_file", default=False)


@contextmanager
def weights_from_file():
    token = _from_file.set(True)
    try:
        yield
    finally:
        _from_file.reset(token)


def initializers_skipped():
    """True inside weights_from_file()."""
    return _from_file.get()
