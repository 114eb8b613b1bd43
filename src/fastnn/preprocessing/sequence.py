"""Sequence preprocessing, as Keras's ``keras.preprocessing.sequence``: ``pad_sequences`` and
``TimeseriesGenerator``."""
import numbers

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """A ``(len(sequences), maxlen) + sample_shape`` array of ``dtype``, as Keras's.

    ``maxlen`` defaults to the longest sequence. Longer sequences lose their
    first (``truncating="pre"``) or last (``"post"``) entries; shorter ones are
    filled with ``value`` before (``padding="pre"``) or after (``"post"``) them.
    The entries of each sequence may themselves be arrays (``sample_shape``,
    taken from the first non-empty sequence, must then be shared by all). A str
    ``value`` needs ``dtype=object`` or a string dtype. An unknown padding or
    truncating mode is reported, as Keras does, once a non-empty sequence meets it.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable (a list of sequences). "
                         f"Received: {type(sequences).__name__}")
    lengths, sample_shape = _lengths_and_sample_shape(sequences)
    if maxlen is None:
        if not lengths:
            raise ValueError("pad_sequences: `sequences` is empty and no maxlen was given, so the "
                             "padded length is unknown")
        maxlen = max(lengths)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral):
        raise TypeError(f"pad_sequences: maxlen must be an integer or None. Received: maxlen={maxlen!r}")
    elif maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be >= 0. Received: maxlen={maxlen}")
    maxlen = int(maxlen)
    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ValueError(f"pad_sequences: dtype {dtype} is not compatible with value's type {type(value)}; "
                         "set dtype=object for variable-length strings")

    padded = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for position, (sequence, length) in enumerate(zip(sequences, lengths)):
        if not length:
            continue
        kept = _entries(_truncate(sequence, maxlen, truncating), position, dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: the entries of the sequence at position {position} have shape "
                             f"{kept.shape[1:]}, but those of the first non-empty sequence have shape {sample_shape}")
        if padding == "post":
            padded[position, :len(kept)] = kept
        elif padding == "pre":
            padded[position, maxlen - len(kept):] = kept
        else:
            raise ValueError(f'pad_sequences: padding type "{padding}" not understood; expected "pre" or "post"')
    return padded


def _lengths_and_sample_shape(sequences):
    lengths, sample_shape = [], None
    for sequence in sequences:
        try:
            length = len(sequence)
        except TypeError:
            raise ValueError("pad_sequences: `sequences` must be a list of iterables. "
                             f"Found non-iterable: {sequence!r:.60}") from None
        lengths.append(length)
        if sample_shape is None and length:
            sample_shape = _entries(sequence, len(lengths) - 1).shape[1:]
    return lengths, sample_shape or ()


def _entries(sequence, position, dtype=None):
    """A sequence's entries as one array; ValueError naming the sequence when they are ragged or do
    not convert to dtype."""
    try:
        return np.asarray(sequence, dtype=dtype)
    except (ValueError, TypeError) as err:
        target = f" to dtype {np.dtype(dtype).name}" if dtype is not None else ""
        raise ValueError(f"pad_sequences: the sequence at position {position} cannot be converted{target} "
                         f"(its entries must be numbers, or arrays of one shape; strings need dtype=object): "
                         f"{err}") from None


def _truncate(sequence, maxlen, truncating):
    if truncating == "pre":
        if maxlen == 0:
            # Keras's s[-0:] keeps the whole sequence, which then cannot fit in a row of length 0.
            raise ValueError("pad_sequences: maxlen=0 with truncating='pre' cannot hold a non-empty sequence "
                             "(Keras fails here too); use truncating='post' for rows of length 0")
        return sequence[len(sequence) - maxlen:] if len(sequence) > maxlen else sequence
    if truncating == "post":
        return sequence[:maxlen]
    raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood; expected "pre" or "post"')


def _positive_int(owner, name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


class TimeseriesGenerator:
    """Batches of windows over a series, by index: Keras's ``TimeseriesGenerator``.

    Sample ``k`` ends before row ``r`` (its target is ``targets[r]``): it holds
    ``data[r - length : r : sampling_rate]`` (time-reversed when ``reverse``).
    The rows ``r`` run from ``start_index + length`` to ``end_index`` (default
    the last row) in steps of ``stride``, ``batch_size`` per batch; with
    ``shuffle`` each batch instead draws ``batch_size`` rows at random, with
    replacement, from NumPy's global random state (as Keras does).

    It is a Sequence of batches: ``len(generator)`` batches, ``generator[i]``
    the pair ``(samples, targets)`` of NumPy arrays, iteration in order.
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        owner = "TimeseriesGenerator"
        if len(data) != len(targets):
            raise ValueError(f"{owner}: data and targets have to be of the same length. Data length is "
                             f"{len(data)} while target length is {len(targets)}")
        self.data = data
        self.targets = targets
        self.length = _positive_int(owner, "length", length)
        self.sampling_rate = _positive_int(owner, "sampling_rate", sampling_rate)
        self.stride = _positive_int(owner, "stride", stride)
        self.batch_size = _positive_int(owner, "batch_size", batch_size)
        # Keras stores the first usable row, not the argument.
        self.start_index = _positive_int(owner, "start_index", start_index, minimum=0) + self.length
        if end_index is None:
            end_index = len(data) - 1
        self.end_index = _positive_int(owner, "end_index", end_index, minimum=0)
        if self.end_index >= len(data):
            raise ValueError(f"{owner}: end_index={end_index} is past the last row of data ({len(data) - 1})")
        self.shuffle = shuffle
        self.reverse = reverse
        if self.start_index > self.end_index:
            raise ValueError(f"{owner}: start_index+length={self.start_index} > end_index={self.end_index} is "
                             "disallowed, as no part of the sequence would be left to be used as current step")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        count = len(self)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"TimeseriesGenerator indices must be integers. Received: {index!r}")
        if not -count <= index < count:
            raise IndexError(f"TimeseriesGenerator: batch {index} out of range (there are {count} batches)")
        index %= count
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, targets

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self):
        """Called by fit after each pass; batches depend on their index only, so nothing changes."""
