"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or negative (0).

Each review is a list of word indices, words ranked by frequency (index 1 is
the most frequent word), read from Keras's ``imdb.npz``.
"""
import numpy as np

from . import sequences
from .keras_files import dataset_file
from .npz import load_npz
from .word_index import read_word_index

NAME = "imdb"
FILENAME = "imdb.npz"
WORD_INDEX_FILENAME = "imdb_word_index.json"
# Digests Keras publishes for its copies (MD5 for the word index).
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"
ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path=FILENAME, num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.imdb.load_data`` does.

    x arrays are 1-D object arrays of lists of word indices; y arrays hold the
    0/1 labels. Each half is shuffled with ``np.random.RandomState(seed)``
    (training set first); words are shifted by ``index_from`` and each review
    starts with ``start_char``; reviews of ``maxlen`` words or more are dropped;
    words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped
    when it is None).

    ``path`` left at ``"imdb.npz"`` is looked for in ``$FASTNN_DATASETS/imdb``
    (or ``$FASTNN_DATASETS``), ``~/.fastnn/datasets/imdb`` and
    ``/usr/share/datasets/imdb``, then downloaded from Keras's storage into the
    cache with its SHA-256 checked; any other ``path`` (the file, or a folder
    holding ``imdb.npz``) is used alone. The file is read without unpickling
    anything but NumPy arrays.
    """
    caller = "imdb.load_data"
    sequences.check_options(caller, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    file = dataset_file(NAME, FILENAME, path, FILE_HASH, caller=caller)
    x_train, y_train, x_test, y_test = _read(file)

    rng = np.random.RandomState(seed)
    x_train, y_train = sequences.shuffle(rng, x_train, y_train)
    x_test, y_test = sequences.shuffle(rng, x_test, y_test)
    x_train = sequences.shift(x_train, start_char, index_from)
    x_test = sequences.shift(x_test, start_char, index_from)
    x_train, y_train = sequences.drop_long(maxlen, x_train, y_train)
    x_test, y_test = sequences.drop_long(maxlen, x_test, y_test)
    if maxlen and not (x_train and x_test):
        raise ValueError(f"{caller}: no {'training' if not x_train else 'test'} review is shorter "
                         f"than maxlen={maxlen}; increase maxlen")

    limited = sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    x_train, x_test = limited[:len(x_train)], limited[len(x_train):]
    return ((sequences.as_object_array(x_train), y_train),
            (sequences.as_object_array(x_test), y_test))


def get_word_index(path=WORD_INDEX_FILENAME):
    """Return the dict mapping each word to its frequency rank (1 = most frequent).

    Add ``index_from`` (3 by default) to a rank to find the word in load_data's
    sequences. ``path`` is looked up like load_data's.
    """
    file = dataset_file(NAME, WORD_INDEX_FILENAME, path, WORD_INDEX_HASH, caller="imdb.get_word_index")
    return read_word_index(file)


def _read(file):
    arrays = load_npz(file)
    missing = [name for name in ARRAYS if name not in arrays]
    if missing:
        raise ValueError(f"{file}: missing array(s) {', '.join(missing)}; an IMDB file holds "
                         f"{', '.join(ARRAYS)}")
    x_train = sequences.as_integer_sequences(arrays["x_train"], f"{file}, x_train")
    x_test = sequences.as_integer_sequences(arrays["x_test"], f"{file}, x_test")
    y_train = sequences.check_labels(arrays["y_train"], len(x_train), f"{file}, y_train")
    y_test = sequences.check_labels(arrays["y_test"], len(x_test), f"{file}, y_test")
    return x_train, y_train, x_test, y_test
