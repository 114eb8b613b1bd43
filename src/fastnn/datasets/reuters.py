"""Reuters newswires: 11,228 short articles labelled with one of 46 topics.

Each newswire is a list of word indices, words ranked by frequency (index 1 is
the most frequent word), read from Keras's ``reuters.npz``.
"""
import numpy as np

from . import sequences
from .keras_files import dataset_file
from .npz import load_npz
from .word_index import read_word_index

NAME = "reuters"
FILENAME = "reuters.npz"
WORD_INDEX_FILENAME = "reuters_word_index.json"
# Digests Keras publishes for its copies (MD5 for the word index).
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
# Topic names in label order.
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path=FILENAME, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.reuters.load_data`` does.

    x arrays are 1-D object arrays of lists of word indices; y arrays hold the
    topic labels 0-45 (see get_label_names). All newswires are shuffled with
    ``np.random.RandomState(seed)``; words are shifted by ``index_from`` and each
    newswire starts with ``start_char``; newswires of ``maxlen`` words or more
    are dropped; words outside ``[skip_top, num_words)`` become ``oov_char`` (or
    are dropped when it is None); the last ``test_split`` of them is the test set.

    ``path`` left at ``"reuters.npz"`` is looked for in ``$FASTNN_DATASETS/reuters``
    (or ``$FASTNN_DATASETS``), ``~/.fastnn/datasets/reuters`` and
    ``/usr/share/datasets/reuters``, then downloaded from Keras's storage into
    the cache with its SHA-256 checked; any other ``path`` (the file, or a
    folder holding ``reuters.npz``) is used alone. The file is read without
    unpickling anything but NumPy arrays.
    """
    caller = "reuters.load_data"
    sequences.check_options(caller, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    test_split = sequences.check_test_split(caller, test_split, allow_one=True)
    file = dataset_file(NAME, FILENAME, path, FILE_HASH, caller=caller)
    xs, labels = _read(file)

    xs, labels = sequences.shuffle(np.random.RandomState(seed), xs, labels)
    xs = sequences.shift(xs, start_char, index_from)
    xs, labels = sequences.drop_long(maxlen, xs, labels)
    if not xs:
        raise ValueError(f"{caller}: no newswire is shorter than maxlen={maxlen}; increase maxlen")
    xs = sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)

    split = int(len(xs) * (1 - test_split))
    return ((sequences.as_object_array(xs[:split]), labels[:split].copy()),
            (sequences.as_object_array(xs[split:]), labels[split:].copy()))


def get_word_index(path=WORD_INDEX_FILENAME):
    """Return the dict mapping each word to its frequency rank (1 = most frequent).

    Add ``index_from`` (3 by default) to a rank to find the word in load_data's
    sequences. ``path`` is looked up like load_data's.
    """
    file = dataset_file(NAME, WORD_INDEX_FILENAME, path, WORD_INDEX_HASH, caller="reuters.get_word_index")
    return read_word_index(file)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES


def _read(file):
    arrays = load_npz(file)
    missing = [name for name in ("x", "y") if name not in arrays]
    if missing:
        raise ValueError(f"{file}: missing array(s) {', '.join(missing)}; a Reuters file holds x and y")
    xs = sequences.as_integer_sequences(arrays["x"], f"{file}, x")
    return xs, sequences.check_labels(arrays["y"], len(xs), f"{file}, y")
