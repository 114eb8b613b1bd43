"""Sliding windows over a series as batches: Keras's ``timeseries_dataset_from_array`` on NumPy."""
import numbers

import numpy as np


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Batches of windows over ``data`` (axis 0 is time), as Keras's function, as NumPy arrays.

    Window ``i`` starts at row ``start_index + p_i`` with ``p_i = i * sequence_stride`` and holds
    ``sequence_length`` rows ``sampling_rate`` apart; its target is
    ``targets[start_index + p_i]`` (pass ``targets=None`` for windows alone). Only rows in
    ``[start_index, end_index)`` are used (default: all). Windows come ``batch_size`` at a time,
    the last batch possibly smaller (``batch_size=None``: one window at a time).

    Returns a TimeseriesDataset: iterate it once per epoch (each pass yields ``(x, y)`` batches,
    or ``x`` alone without targets), or index it like a Sequence. With ``shuffle`` the windows
    are permuted by ``np.random.RandomState(seed)`` (the first pass in the order Keras's
    ``start_positions`` take before its shuffle buffer) and again after each full pass; Keras's
    further TensorFlow shuffle buffer is not reproduced.
    """
    data = np.asarray(data)
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {length}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index}")
        if end_index >= length:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {length}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        _check_integer(name, value)
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= length:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={value}, "
                             f"for data of length {length}")
    _check_integer("sequence_length", sequence_length)
    if sequence_length < 1:
        raise ValueError(f"`sequence_length` must be at least 1. Received: sequence_length={sequence_length}")
    if batch_size is not None:
        _check_integer("batch_size", batch_size)
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be at least 1 or None. Received: batch_size={batch_size}")

    start = 0 if start_index is None else int(start_index)
    end = length if end_index is None else int(end_index)
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), sequence_stride, dtype=np.int64)
    if targets is not None and positions.size and start + positions[-1] >= len(targets):
        raise ValueError(f"targets has {len(targets)} entries, but the window starting at row "
                         f"{start + positions[-1]} needs targets[{start + positions[-1]}]")
    rng = None
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        rng = np.random.RandomState(seed)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    return TimeseriesDataset(data, targets, start + positions, offsets, batch_size, rng)


def _check_integer(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")


class TimeseriesDataset:
    """The windows of ``timeseries_dataset_from_array``: ``len()`` batches, ``ds[i]`` batch ``i`` of
    the current pass, iteration one full pass (re-iterable; shuffled again after each pass)."""

    def __init__(self, data, targets, first_rows, offsets, batch_size, rng):
        self.data = data
        self.targets = targets
        self.first_rows = first_rows
        self.offsets = offsets
        self.batch_size = batch_size
        self._rng = rng
        self._order = first_rows.copy()
        if rng is not None:
            rng.shuffle(self._order)

    @property
    def num_windows(self):
        return len(self.first_rows)

    def __len__(self):
        if self.batch_size is None:
            return self.num_windows
        return -(-self.num_windows // self.batch_size)

    def __getitem__(self, index):
        count = len(self)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"TimeseriesDataset indices must be integers. Received: {index!r}")
        if not -count <= index < count:
            raise IndexError(f"TimeseriesDataset: batch {index} out of range (there are {count})")
        index %= count
        if self.batch_size is None:
            rows = self._order[index]
        else:
            rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        windows = self.data[np.asarray(rows)[..., None] + self.offsets]
        if self.targets is None:
            return windows
        return windows, self.targets[rows]

    def on_epoch_end(self):
        """Draw the next pass's order (when shuffling)."""
        if self._rng is not None:
            self._rng.shuffle(self._order)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()
