"""The distribution in effect, and the hooks fit, evaluate and predict call: each does the
single-process thing when no distribution is set."""
_active = [None]


def set_distribution(value):
    """Trains every later fit/evaluate/predict with `value` (a DataParallel), or on this
    process alone with None."""
    from .data_parallel import DataParallel

    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(f"set_distribution expects a fastnn.distribution.DataParallel or None. Received: {value!r}")
    if value is not None:
        value.activate()
    _active[0] = value


def distribution():
    """The distribution set with set_distribution, or None."""
    return _active[0]


def process_id():
    """This process's rank in the job (0 without a distribution)."""
    return 0 if _active[0] is None else _active[0].process_id


def num_processes():
    """How many processes train together (1 without a distribution)."""
    return 1 if _active[0] is None else _active[0].num_processes


def is_chief():
    """True on the process that prints progress and writes files (process 0)."""
    return process_id() == 0


def shared_order(order, shuffle):
    return order if _active[0] is None else _active[0].shared_order(order, shuffle)


def local_rows(indices):
    return indices if _active[0] is None else _active[0].local_rows(indices)


def begin_fit(model, batches, epochs):
    if _active[0] is not None:
        _active[0].begin_fit(model, batches, epochs)


def compute_gradients(model, gradients, x, y, sample_weight=None):
    if _active[0] is None:
        return gradients(x, y, sample_weight)
    return _active[0].compute_gradients(model, gradients, x, y, sample_weight)


def global_trackers(trackers):
    return trackers if _active[0] is None else _active[0].global_trackers(trackers)


def gather_predictions(outputs, local_count, batch_size):
    return outputs if _active[0] is None else _active[0].gather_predictions(outputs, local_count, batch_size)
