"""fastnn.preprocessing.text: Tokenizer, one_hot, hashing_trick, text_to_word_sequence.

Hand-computed expectations first (they run without Keras), then the same calls
against Keras's own legacy implementation on many random corpora.
"""
import json
import math
import os
import random
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.preprocessing import text
from fastnn.preprocessing.text import (Tokenizer, hashing_trick, one_hot, text_to_word_sequence,
                                       tokenizer_from_json)

CORPUS = ["The cat sat.", "the DOG", "The cat, the end!"]


def fitted(**kwargs):
    tokenizer = Tokenizer(**kwargs)
    tokenizer.fit_on_texts(CORPUS)
    return tokenizer


def test_reachable_as_in_keras():
    assert fastnn.preprocessing.text.Tokenizer is Tokenizer
    assert fastnn.preprocessing.sequence.pad_sequences is fastnn.utils.pad_sequences


# ---------------------------------------------------------------- words

def test_text_to_word_sequence_by_hand():
    assert text_to_word_sequence("Hello, World!  It's\tme\n") == ["hello", "world", "it's", "me"]
    assert text_to_word_sequence("Hello, World", lower=False) == ["Hello", "World"]
    assert text_to_word_sequence("a-b_c", filters="-") == ["a", "b_c"]
    assert text_to_word_sequence("a,b;c", filters="", split=",") == ["a", "b;c"]
    assert text_to_word_sequence("a b", split="|", filters=" ") == ["a", "b"]
    assert text_to_word_sequence("!!!") == []
    with pytest.raises(TypeError, match="input_text must be a str"):
        text_to_word_sequence(["a list"])


def test_hashing_trick_md5_is_stable_and_pinned():
    # int(md5(word).hexdigest(), 16) % (n - 1) + 1, the values Keras computes for these words.
    assert hashing_trick("Hello world, cat", 10, hash_function="md5") == [8, 9, 3]
    assert hashing_trick("hello world cat", 1000, hash_function="md5") == [800, 90, 759]
    assert hashing_trick("a b", 2, hash_function="md5") == [1, 1]
    assert hashing_trick("x y", 7, hash_function=len) == [2, 2]
    assert hashing_trick("ignored", 5, hash_function=len, analyzer=lambda t: ["ab", "abcdef"]) == [3, 3]


def test_one_hot_uses_python_hash_and_stays_in_range():
    indices = one_hot("the cat the dog", 50)
    assert indices == [hash("the") % 49 + 1, hash("cat") % 49 + 1, hash("the") % 49 + 1, hash("dog") % 49 + 1]
    assert all(1 <= i < 50 for i in indices) and indices[0] == indices[2]


@pytest.mark.parametrize("n", [1, 0, -3, 2.5, True, "10"])
def test_hashing_trick_refuses_a_bad_n(n):
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        hashing_trick("a b", n, hash_function="md5")


def test_hashing_trick_refuses_an_unknown_hash_function():
    with pytest.raises(ValueError, match="hash_function must be None, 'md5' or a callable"):
        hashing_trick("a", 5, hash_function="sha1")


# ---------------------------------------------------------------- fitting

def test_fit_on_texts_by_hand():
    tokenizer = fitted()
    assert tokenizer.document_count == 3
    assert list(tokenizer.word_counts.items()) == [("the", 4), ("cat", 2), ("sat", 1), ("dog", 1), ("end", 1)]
    # Ranked by count; equal counts keep their order of first appearance.
    assert tokenizer.word_index == {"the": 1, "cat": 2, "sat": 3, "dog": 4, "end": 5}
    assert tokenizer.index_word == {1: "the", 2: "cat", 3: "sat", 4: "dog", 5: "end"}
    assert dict(tokenizer.word_docs) == {"the": 3, "cat": 2, "sat": 1, "dog": 1, "end": 1}
    assert dict(tokenizer.index_docs) == {1: 3, 2: 2, 3: 1, 4: 1, 5: 1}


def test_fitting_twice_accumulates():
    tokenizer = fitted()
    tokenizer.fit_on_texts(["end end end end end"])
    assert tokenizer.document_count == 4
    assert tokenizer.word_index == {"end": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5}
    assert tokenizer.index_docs[1] == 2 and tokenizer.word_docs["end"] == 2


def test_oov_token_takes_index_one():
    tokenizer = Tokenizer(oov_token="<unk>")
    tokenizer.fit_on_texts(["b a b", "c"])
    assert tokenizer.word_index == {"<unk>": 1, "b": 2, "a": 3, "c": 4}
    assert tokenizer.texts_to_sequences(["a z b"]) == [[3, 1, 2]]
    tokenizer.num_words = 3
    assert tokenizer.texts_to_sequences(["a z b"]) == [[1, 1, 2]]
    assert tokenizer.sequences_to_texts([[3, 1, 2, 9]]) == ["<unk> <unk> b <unk>"]


def test_oov_token_that_also_occurs_keeps_its_later_rank_as_keras():
    tokenizer = Tokenizer(oov_token="a")
    tokenizer.fit_on_texts(["b a b"])
    assert tokenizer.word_index == {"a": 3, "b": 2}
    assert tokenizer.index_word == {3: "a", 2: "b"}


def test_char_level_ignores_filters():
    tokenizer = Tokenizer(char_level=True)
    tokenizer.fit_on_texts(["aba", "Ab!"])
    assert tokenizer.word_index == {"a": 1, "b": 2, "!": 3}
    assert tokenizer.texts_to_sequences(["b!a?"]) == [[2, 3, 1]]
    assert tokenizer.sequences_to_texts([[2, 3]]) == ["b !"]


def test_texts_given_as_token_lists_and_an_analyzer():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts([["Hello", "world"], ["hello"]])
    assert tokenizer.word_index == {"hello": 1, "world": 2}
    analyzed = Tokenizer(analyzer=lambda t: t.split("|"))
    analyzed.fit_on_texts(["x|y|x", "y|y"])
    assert analyzed.word_index == {"y": 1, "x": 2}
    assert analyzed.texts_to_sequences(["x|q|y"]) == [[2, 1]]


def test_fit_on_sequences_counts_documents_per_index():
    tokenizer = Tokenizer()
    tokenizer.fit_on_sequences([[1, 2, 2], [2, 3], []])
    assert tokenizer.document_count == 3 and dict(tokenizer.index_docs) == {1: 1, 2: 2, 3: 1}


# ---------------------------------------------------------------- conversions

def test_texts_to_sequences_drops_unknown_and_rare_words():
    tokenizer = fitted()
    assert tokenizer.texts_to_sequences(["the the cat unknown", "", "END"]) == [[1, 1, 2], [], [5]]
    assert list(tokenizer.texts_to_sequences_generator(["dog"])) == [[4]]
    tokenizer.num_words = 3
    assert tokenizer.texts_to_sequences(["the sat dog cat"]) == [[1, 2]]
    assert tokenizer.sequences_to_texts([[1, 3, 2, 0, 17]]) == ["the cat"]


def test_matrices_by_hand():
    tokenizer = fitted()
    rows = ["the the cat unknown", "", "sat"]
    expected_columns = {"binary": {1: 1.0, 2: 1.0}, "count": {1: 2.0, 2: 1.0},
                        # len 3: the unknown word is not in the sequence
                        "freq": {1: 2 / 3, 2: 1 / 3},
                        "tfidf": {1: (1 + math.log(2)) * math.log(1 + 3 / 4), 2: math.log(1 + 3 / 3)}}
    for mode, columns in expected_columns.items():
        matrix = tokenizer.texts_to_matrix(rows, mode=mode)
        assert matrix.shape == (3, 6) and matrix.dtype == np.float64
        expected = np.zeros((3, 6))
        for column, value in columns.items():
            expected[0, column] = value
        expected[2, 3] = {"binary": 1, "count": 1, "freq": 1, "tfidf": math.log(1 + 3 / 2)}[mode]
        np.testing.assert_allclose(matrix, expected, rtol=1e-15, atol=0)


def test_sequences_to_matrix_counts_past_columns_in_freq_length():
    tokenizer = Tokenizer(num_words=3)
    matrix = tokenizer.sequences_to_matrix([[1, 1, 2, 7], [5], np.array([2])], mode="freq")
    np.testing.assert_array_equal(matrix, [[0, 0.5, 0.25], [0, 0, 0], [0, 0, 1]])


def test_tfidf_after_fit_on_sequences():
    tokenizer = Tokenizer(num_words=4)
    tokenizer.fit_on_sequences([[1, 2], [2], [3]])
    matrix = tokenizer.sequences_to_matrix([[2, 2, 3]], mode="tfidf")
    np.testing.assert_allclose(matrix[0], [0, 0, (1 + math.log(2)) * math.log(1 + 3 / 3), math.log(1 + 3 / 2)],
                               rtol=1e-15)


# ---------------------------------------------------------------- saving

def test_json_round_trip_and_fitting_after_loading():
    tokenizer = fitted(num_words=4, oov_token="<unk>")
    tokenizer.fit_on_sequences([[1, 9]])
    config = json.loads(tokenizer.to_json())
    assert config["class_name"] == "Tokenizer" and config["config"]["document_count"] == 4
    loaded = tokenizer_from_json(tokenizer.to_json(indent=2))
    for name in ("word_index", "index_word", "word_counts", "word_docs", "index_docs", "num_words", "oov_token",
                 "document_count", "filters", "split", "lower", "char_level"):
        assert getattr(loaded, name) == getattr(tokenizer, name), name
    assert loaded.texts_to_sequences(["the dog sat"]) == tokenizer.texts_to_sequences(["the dog sat"])
    loaded.fit_on_texts(["brand new words"])  # Keras's loaded tokenizer raises KeyError here
    loaded.fit_on_sequences([[2, 3]])
    assert loaded.word_docs["brand"] == 1 and loaded.document_count == 6


def test_tokenizer_from_json_refuses_other_json():
    with pytest.raises(ValueError, match="not a Tokenizer's JSON"):
        tokenizer_from_json('{"class_name": "Tokenizer"}')
    with pytest.raises(ValueError, match="not a Tokenizer's JSON"):
        tokenizer_from_json("not json")


# ---------------------------------------------------------------- bad input

def test_bad_input_is_named():
    tokenizer = fitted()
    with pytest.raises(TypeError, match="not a single string"):
        tokenizer.fit_on_texts("the cat")
    with pytest.raises(TypeError, match="not a single string"):
        tokenizer.texts_to_sequences("the cat")
    with pytest.raises(TypeError, match="text 1 is a int"):
        tokenizer.fit_on_texts(["ok", 3])
    with pytest.raises(ValueError, match="unknown vectorization mode 'bogus'"):
        tokenizer.sequences_to_matrix([], mode="bogus")
    with pytest.raises(ValueError, match="specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="before using tfidf"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="sequence 1 holds the negative index -1"):
        tokenizer.sequences_to_matrix([[1], [2, -1]])
    with pytest.raises(ValueError, match="sequence 0 must be a list of integer indices"):
        tokenizer.sequences_to_matrix([[1.5]])
    with pytest.raises(ValueError, match="oov_token='<unk>' has no index"):
        Tokenizer(oov_token="<unk>").texts_to_sequences(["a"])
    for kwargs in ({"num_words": -1}, {"num_words": 2.5}, {"document_count": -2}, {"analyzer": "split"}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            Tokenizer(**kwargs)
    with pytest.raises(TypeError, match="unrecognized keyword arguments: \\['num_word'\\]"):
        Tokenizer(num_word=3)


def test_nb_words_is_the_legacy_spelling():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tokenizer = Tokenizer(nb_words=7)
    assert tokenizer.num_words == 7 and "renamed `num_words`" in str(caught[0].message)


# ---------------------------------------------------------------- against Keras

@pytest.fixture
def keras_text(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    pytest.importorskip("keras")
    from keras.src.legacy.preprocessing import text as keras_text
    return keras_text


WORDS = "the cat sat on mat The Dog, ran! far away. a b c d e f don't x-ray <oov> ÉTÉ été".split()


def random_text(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12)))


def test_same_results_as_keras_on_random_corpora(keras_text):
    rng = random.Random(20)
    for _ in range(150):
        texts = [random_text(rng) for _ in range(rng.randint(1, 8))]
        options = dict(num_words=rng.choice([None, 0, 3, 5, 20]), oov_token=rng.choice([None, "<oov>", "cat"]),
                       char_level=rng.random() < 0.2, lower=rng.random() < 0.8,
                       filters=rng.choice([text.DEFAULT_FILTERS, "", ",."]), split=rng.choice([" ", "a"]))
        theirs, ours = keras_text.Tokenizer(**options), Tokenizer(**options)
        theirs.fit_on_texts(texts)
        ours.fit_on_texts(texts)
        sequences = [[rng.randint(0, 15) for _ in range(rng.randint(0, 6))] for _ in range(4)]
        theirs.fit_on_sequences(sequences)
        ours.fit_on_sequences(sequences)
        assert ours.word_index == theirs.word_index and ours.index_word == theirs.index_word
        assert list(ours.word_counts.items()) == list(theirs.word_counts.items())
        assert dict(ours.word_docs) == dict(theirs.word_docs) and dict(ours.index_docs) == dict(theirs.index_docs)
        assert ours.document_count == theirs.document_count
        new = [random_text(rng) for _ in range(3)]
        assert ours.texts_to_sequences(new) == theirs.texts_to_sequences(new)
        converted = theirs.texts_to_sequences(new) + sequences
        assert ours.sequences_to_texts(converted) == theirs.sequences_to_texts(converted)
        for mode in text.MATRIX_MODES:
            try:
                want = theirs.sequences_to_matrix(converted, mode)
            except ValueError:  # nothing fitted and no num_words: both refuse
                with pytest.raises(ValueError, match="specify a dimension"):
                    ours.sequences_to_matrix(converted, mode)
                continue
            got = ours.sequences_to_matrix(converted, mode)
            assert got.dtype == want.dtype and got.shape == want.shape
            assert got.tobytes() == want.tobytes(), mode  # bit for bit, tfidf's logarithms included
            np.testing.assert_array_equal(ours.texts_to_matrix(new, mode), theirs.texts_to_matrix(new, mode))
        # The same JSON, and each side reads the other's.
        assert ours.to_json() == theirs.to_json()
        assert tokenizer_from_json(theirs.to_json()).texts_to_sequences(new) == \
            keras_text.tokenizer_from_json(ours.to_json()).texts_to_sequences(new)


def test_same_words_and_hashes_as_keras(keras_text):
    rng = random.Random(3)
    for _ in range(200):
        sentence = random_text(rng)
        options = dict(filters=rng.choice([text.DEFAULT_FILTERS, "", "aeiou"]), lower=rng.random() < 0.5,
                       split=rng.choice([" ", "a", ", "]))
        assert text_to_word_sequence(sentence, **options) == keras_text.text_to_word_sequence(sentence, **options)
        n = rng.randint(2, 40)
        assert hashing_trick(sentence, n, "md5", **options) == keras_text.hashing_trick(sentence, n, "md5", **options)
        assert one_hot(sentence, n, **options) == keras_text.one_hot(sentence, n, **options)
