"""The preparation Keras applies to word-index sequences (IMDB, Reuters), step by step.

Each step reproduces ``keras.datasets``'s rules exactly, quirks included, so
the same file and arguments give the same arrays in the same order.
"""
import numbers

import numpy as np


def check_options(caller, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    """Refuse option values Keras's rules are not defined for, naming the argument."""
    for arg, value, allow_none in (("num_words", num_words, True), ("skip_top", skip_top, False),
                                   ("maxlen", maxlen, True), ("start_char", start_char, True),
                                   ("oov_char", oov_char, True), ("index_from", index_from, False)):
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            expected = "a non-negative integer" + (" or None" if allow_none else "")
            raise ValueError(f"{caller}: {arg} must be {expected}. Received: {arg}={value!r}")
    check_seed(caller, seed)


def check_seed(caller, seed):
    """Refuse a seed np.random.RandomState would not take."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"{caller}: seed must be an integer in [0, 2**32). Received: seed={seed!r}")


def check_test_split(caller, test_split, *, allow_one):
    """``test_split`` as a float in [0, 1) (or [0, 1] when ``allow_one``)."""
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real):
        raise ValueError(f"{caller}: test_split must be a number. Received: test_split={test_split!r}")
    if not (0 <= test_split < 1 or (allow_one and test_split == 1)):
        bound = "1]" if allow_one else "1)"
        raise ValueError(f"{caller}: test_split must be in [0, {bound}. Received: test_split={test_split!r}")
    return float(test_split)


def as_integer_sequences(stored, where):
    """The stored sequences as int64 arrays, refusing anything that is not a list of integers."""
    sequences = []
    for position, sequence in enumerate(stored):
        try:
            array = np.asarray(sequence)
        except ValueError:
            array = None
        if array is None or array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise ValueError(f"{where}: sequence {position} is not a list of integers")
        if array.size and array.min() < 0:
            raise ValueError(f"{where}: sequence {position} holds the negative word index {array.min()}")
        sequences.append(array.astype(np.int64))
    return sequences


def check_labels(labels, count, where):
    """``labels`` as a 1-D integer array of ``count`` entries."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: labels must be a 1-D integer array, found {labels.dtype} "
                         f"of shape {labels.shape}")
    if len(labels) != count:
        raise ValueError(f"{where}: {count} sequences but {len(labels)} labels")
    return labels


def shuffle(rng, sequences, labels):
    """One permutation drawn from ``rng`` (a RandomState), applied to both."""
    indices = np.arange(len(sequences))
    rng.shuffle(indices)
    return [sequences[i] for i in indices], labels[indices]


def shift(sequences, start_char, index_from):
    """Add ``index_from`` to every word and prepend ``start_char`` when it is not None."""
    if start_char is None:
        return [sequence + index_from for sequence in sequences]
    head = np.array([start_char], dtype=np.int64)
    return [np.concatenate([head, sequence + index_from]) for sequence in sequences]


def drop_long(maxlen, sequences, labels):
    """Keep the sequences shorter than ``maxlen`` (strictly) and their labels; 0 or None keeps all."""
    if not maxlen:
        return sequences, labels
    keep = np.array([len(sequence) < maxlen for sequence in sequences], dtype=bool)
    return [s for s, kept in zip(sequences, keep) if kept], labels[keep]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char``, or vanish when it is None.

    ``num_words`` None (or 0) means the largest index present, which, as in
    Keras, itself falls outside the half-open range.
    """
    if not num_words:
        num_words = max((int(s.max()) for s in sequences if s.size), default=0)
    limited = []
    for sequence in sequences:
        inside = (sequence >= skip_top) & (sequence < num_words)
        if oov_char is None:
            limited.append(sequence[inside])
        else:
            limited.append(np.where(inside, sequence, oov_char))
    return limited


def as_object_array(sequences):
    """A 1-D object array of lists of Python ints, one per sequence (even if all are the same length)."""
    result = np.empty(len(sequences), dtype=object)
    for position, sequence in enumerate(sequences):
        result[position] = sequence.tolist()
    return result
