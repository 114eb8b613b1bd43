"""Text to word indices, as Keras's (legacy) ``keras.preprocessing.text``.

``Tokenizer`` ranks the words of a corpus by frequency (index 1 is the most
frequent; 0 is never a word) and turns texts into index sequences or into
document-term matrices; ``one_hot`` and ``hashing_trick`` index words by
hashing instead. Results equal Keras's, ties and quirks included; where Keras
would silently produce garbage (a single string passed as the list of texts, a
negative index, an unfitted tokenizer asked for its OOV token) a clear error is
raised instead.
"""
import collections
import hashlib
import json
import numbers
import warnings

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """The words of ``input_text``: lower-cased (when ``lower``), every character of
    ``filters`` turned into ``split``, split on ``split``, empty pieces dropped."""
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence: input_text must be a str. Received: {type(input_text).__name__} "
                        f"{input_text!r:.60}")
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({character: split for character in filters}))
    return [word for word in input_text.split(split) if word]


def _md5_hash(word):
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Each word of ``text`` as ``hash_function(word) % (n - 1) + 1``: an index in [1, n).

    ``hash_function`` None is Python's ``hash`` (salted per process for strings
    unless PYTHONHASHSEED is set), ``"md5"`` the stable MD5 of the UTF-8 word as
    Keras computes it, or any callable of a word returning an int. ``analyzer``,
    when given, splits the text instead of ``text_to_word_sequence``.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"hashing_trick: n must be an integer >= 2 (indices run from 1 to n - 1). Received: n={n!r}")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    elif not callable(hash_function):
        raise ValueError(f"hashing_trick: hash_function must be None, 'md5' or a callable. "
                         f"Received: hash_function={hash_function!r}")
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash``: word indices in [1, n), not one-hot vectors."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """A vocabulary ranked by word frequency, fitted on texts, and the conversions it allows.

    num_words: keep only the ``num_words - 1`` most frequent words when converting
        (None or 0: all). filters, lower, split: as ``text_to_word_sequence``.
    char_level: every character is a token (filters are then not applied).
    oov_token: when given, it takes index 1 and replaces out-of-vocabulary words.
    analyzer: a callable splitting a text into tokens, instead of the rules above.
    A text given as a list of strings is taken as its tokens, as in Keras.

    After fitting: ``word_counts`` (token -> occurrences, in order of first
    appearance), ``word_docs`` (token -> documents holding it), ``word_index``
    (token -> rank, 1 the most frequent, ties in order of first appearance),
    ``index_word``, ``index_docs`` (index -> documents) and ``document_count``.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:
            warnings.warn("Tokenizer: the `nb_words` argument has been renamed `num_words`", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {sorted(kwargs)}")
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, numbers.Integral)
                                      or num_words < 0):
            raise ValueError(f"Tokenizer: num_words must be a non-negative integer or None. "
                             f"Received: num_words={num_words!r}")
        if isinstance(document_count, bool) or not isinstance(document_count, numbers.Integral) \
                or document_count < 0:
            raise ValueError(f"Tokenizer: document_count must be a non-negative integer. "
                             f"Received: document_count={document_count!r}")
        if analyzer is not None and not callable(analyzer):
            raise ValueError(f"Tokenizer: analyzer must be a callable or None. Received: analyzer={analyzer!r}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    # ------------------------------------------------------------------ fitting

    def _tokens(self, text, position, caller):
        if isinstance(text, list):
            if not self.lower:
                return text
            for token in text:
                if not isinstance(token, str):
                    raise TypeError(f"Tokenizer.{caller}: text {position} is a list of tokens holding a "
                                    f"{type(token).__name__}, {token!r:.40}; tokens must be str (or pass lower=False)")
            return [token.lower() for token in text]
        if self.char_level or self.analyzer is None:
            if not isinstance(text, str):
                raise TypeError(f"Tokenizer.{caller}: text {position} is a {type(text).__name__}, "
                                f"not a str or a list of tokens: {text!r:.60}")
            if self.char_level:
                return text.lower() if self.lower else text
            return text_to_word_sequence(text, self.filters, self.lower, self.split)
        return self.analyzer(text)

    @staticmethod
    def _check_collection(texts, caller, what="texts"):
        if isinstance(texts, str):
            raise TypeError(f"Tokenizer.{caller}: {what} must be a list of texts, not a single string "
                            f"(each character would count as a document); wrap it in a list: [{texts!r:.40}]")
        if not hasattr(texts, "__iter__"):
            raise TypeError(f"Tokenizer.{caller}: {what} must be a list. Received: {type(texts).__name__} "
                            f"{texts!r:.40}")

    def fit_on_texts(self, texts):
        """Count the tokens of ``texts`` (a list of strings, or of token lists) and rank the vocabulary."""
        self._check_collection(texts, "fit_on_texts")
        for position, text in enumerate(texts):
            self.document_count += 1
            tokens = self._tokens(text, position, "fit_on_texts")
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable: equally frequent tokens keep their order of first appearance.
        ranked = [token for token, _ in sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)]
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + ranked
        # A token listed twice (an oov_token that also occurs in the texts) keeps its later rank.
        self.word_index = {}
        for rank, token in enumerate(vocabulary, start=1):
            self.word_index[token] = rank
        self.index_word = {rank: token for token, rank in self.word_index.items()}
        for token, documents in list(self.word_docs.items()):
            self.index_docs[self.word_index[token]] = documents

    def fit_on_sequences(self, sequences):
        """Count, for each index, the sequences holding it (for ``tfidf`` without texts)."""
        self._check_collection(sequences, "fit_on_sequences", "sequences")
        sequences = list(sequences)
        self.document_count += len(sequences)
        for position, sequence in enumerate(sequences):
            for index in set(_index_list(sequence, position, "fit_on_sequences")):
                self.index_docs[index] += 1

    # ------------------------------------------------------------------ texts <-> sequences

    def _oov_index(self, caller):
        if self.oov_token is None:
            return None
        index = self.word_index.get(self.oov_token)
        if index is None:
            raise ValueError(f"Tokenizer.{caller}: oov_token={self.oov_token!r} has no index; "
                             "fit the tokenizer on some texts first")
        return index

    def texts_to_sequences(self, texts):
        """Each text as the list of its tokens' indices (see texts_to_sequences_generator)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yield each text as a list of indices: unknown tokens, and those ranked ``num_words`` or
        later, become the OOV index when there is an oov_token and are dropped otherwise."""
        self._check_collection(texts, "texts_to_sequences")
        num_words = self.num_words
        oov_index = self._oov_index("texts_to_sequences") if self.oov_token is not None else None
        for position, text in enumerate(texts):
            indices = []
            for token in self._tokens(text, position, "texts_to_sequences"):
                index = self.word_index.get(token)
                if index is not None and not (num_words and index >= num_words):
                    indices.append(index)
                elif oov_index is not None:
                    indices.append(oov_index)
            yield indices

    def sequences_to_texts(self, sequences):
        """Each sequence of indices as the text of its tokens joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Yield each sequence as text; indices unknown or ranked ``num_words`` or later become the
        OOV token when there is one and are dropped otherwise."""
        num_words = self.num_words
        oov_word = None
        if self.oov_token is not None:
            oov_word = self.index_word.get(self._oov_index("sequences_to_texts"))
        self._check_collection(sequences, "sequences_to_texts", "sequences")
        for position, sequence in enumerate(sequences):
            words = []
            for index in _index_list(sequence, position, "sequences_to_texts"):
                word = self.index_word.get(index)
                if word is not None and not (num_words and index >= num_words):
                    words.append(word)
                elif oov_word is not None:
                    words.append(oov_word)
            yield " ".join(words)

    # ------------------------------------------------------------------ document-term matrices

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A float64 matrix, one row per sequence and one column per index below ``num_words``
        (``len(word_index) + 1`` columns when num_words is not set).

        mode: ``"binary"`` 1 where the index occurs; ``"count"`` its occurrences; ``"freq"``
        occurrences over the sequence's length (indices past the matrix included in the
        length, as Keras counts it); ``"tfidf"`` ``(1 + log(count)) * log(1 + documents /
        (1 + documents holding the index))``. Indices past the last column are ignored.
        """
        if mode not in MATRIX_MODES:
            raise ValueError(f"Tokenizer.sequences_to_matrix: unknown vectorization mode {mode!r}; "
                             f"expected one of {', '.join(MATRIX_MODES)}")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer.sequences_to_matrix: specify a dimension (the `num_words` argument), "
                             "or fit on some text data first")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer.sequences_to_matrix: fit the Tokenizer on some data before using "
                             "tfidf mode")
        matrix = np.zeros((len(sequences), num_words))
        term_weight, inverse_frequency = {}, {}
        for row, sequence in enumerate(sequences):
            indices = _as_indices(sequence, row)
            if not indices.size:
                continue
            columns, counts = np.unique(indices[indices < num_words], return_counts=True)
            if mode == "binary":
                matrix[row, columns] = 1.0
            elif mode == "count":
                matrix[row, columns] = counts
            elif mode == "freq":
                matrix[row, columns] = counts / len(indices)
            else:
                weights = [_cached(term_weight, int(c), lambda c: 1 + np.log(c)) for c in counts]
                rarity = [_cached(inverse_frequency, int(j), self._inverse_document_frequency) for j in columns]
                matrix[row, columns] = np.array(weights, dtype=np.float64) * np.array(rarity, dtype=np.float64)
        return matrix

    def _inverse_document_frequency(self, index):
        return np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))

    # ------------------------------------------------------------------ saving

    def get_config(self):
        """Keras's configuration: the arguments, then the counts and indices as JSON strings."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string Keras's ``tokenizer_from_json`` reads too (an analyzer is
        not saved). ``kwargs`` go to ``json.dumps``."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


_JSON_STATE = ("word_counts", "word_docs", "index_docs", "index_word", "word_index")


def tokenizer_from_json(json_string):
    """A Tokenizer from ``Tokenizer.to_json()`` (fastnn's or Keras's)."""
    try:
        config = dict(json.loads(json_string)["config"])
        state = {name: json.loads(config.pop(name)) for name in _JSON_STATE}
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"tokenizer_from_json: not a Tokenizer's JSON ({type(exc).__name__}: {exc})") from None
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = collections.OrderedDict(state["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, state["word_docs"])
    # JSON object keys are strings; the indices were integers.
    tokenizer.index_docs = collections.defaultdict(int, {int(k): v for k, v in state["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in state["index_word"].items()}
    tokenizer.word_index = state["word_index"]
    return tokenizer


def _cached(cache, key, compute):
    value = cache.get(key)
    if value is None:
        value = cache[key] = compute(key)
    return value


def _index_list(sequence, position, caller):
    """The integer indices of one sequence (integer-valued floats, as a float array holds them, become
    ints); TypeError naming the sequence for anything else."""
    if isinstance(sequence, (str, bytes)) or not hasattr(sequence, "__iter__"):
        raise TypeError(f"Tokenizer.{caller}: sequence {position} must be a list of integer indices. "
                        f"Received: {type(sequence).__name__} {sequence!r:.40}")
    indices = []
    for index in sequence:
        if isinstance(index, numbers.Real) and not isinstance(index, (bool, np.bool_)) and float(index).is_integer():
            indices.append(int(index))
        else:
            raise TypeError(f"Tokenizer.{caller}: sequence {position} must be a list of integer indices. "
                            f"Received: {type(index).__name__} {index!r:.40} in it")
    return indices


def _as_indices(sequence, row):
    indices = np.asarray(sequence)
    if indices.size == 0:
        return np.zeros(0, dtype=np.int64)
    if indices.ndim != 1 or indices.dtype.kind not in "iu":
        raise ValueError(f"Tokenizer.sequences_to_matrix: sequence {row} must be a list of integer indices. "
                         f"Received: {sequence!r:.60}")
    if indices.min() < 0:
        raise ValueError(f"Tokenizer.sequences_to_matrix: sequence {row} holds the negative index "
                         f"{indices.min()}")
    return indices
