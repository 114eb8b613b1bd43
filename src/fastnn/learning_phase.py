"""The learning phase: whether layers called without `training=` behave as in training
(dropout active) or inference. 0 (inference) unless set; the backend's set_learning_phase
sets it for the whole process, as in Keras."""
_phase = [0]


def get():
    return _phase[0]


def set(value):  # noqa: A001  (the backend's name for it)
    if value not in (0, 1, True, False):
        raise ValueError(f"The learning phase must be 0 (inference) or 1 (training). Received: {value!r}")
    _phase[0] = int(value)


def training():
    return bool(_phase[0])
