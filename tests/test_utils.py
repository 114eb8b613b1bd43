import random

import numpy as np
import pytest

import fastnn
from fastnn.utils import random as fn_random
from fastnn.utils import set_random_seed, to_categorical


def test_to_categorical_keras_example():
    out = to_categorical([0, 1, 2, 3], num_classes=4)
    np.testing.assert_array_equal(out, np.eye(4))
    assert out.dtype == np.float32


def test_to_categorical_infers_num_classes():
    out = to_categorical(np.array([2, 0, 1, 2], dtype=np.uint8))
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1, 2]])


def test_to_categorical_column_labels_drop_trailing_axis():
    out = to_categorical(np.array([[1], [0], [2]]), num_classes=4)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out, np.eye(4)[[1, 0, 2]])


def test_to_categorical_keeps_leading_dims_and_scalar():
    labels = np.array([[0, 1, 2], [2, 1, 0]])
    out = to_categorical(labels, 3)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.argmax(axis=-1), labels)
    np.testing.assert_array_equal(to_categorical(1, 3), [0, 1, 0])


def test_to_categorical_dtype_and_integral_floats():
    out = to_categorical(np.array([1.0, 0.0]), 2, dtype="float64")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 1], [1, 0]])


def test_to_categorical_empty_with_num_classes():
    assert to_categorical(np.array([], dtype=int), 5).shape == (0, 5)


@pytest.mark.parametrize(
    "labels, num_classes, match",
    [
        ([0, -1, 2], None, r"non-negative.*\[-1\]"),
        ([0, 3, 7], 5, r"below num_classes=5.*\[7\]"),
        ([0.5, 1.0], 3, r"non-integer.*0.5"),
        ([0, float("nan")], 3, r"non-integer"),
        (["a", "b"], 3, r"dtype"),
        ([], None, r"empty"),
        ([0, 1], 0, r"Received: num_classes=0"),
        ([0, 1], 2.0, r"Received: num_classes=2.0"),
    ],
)
def test_to_categorical_rejects_bad_labels(labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(labels, num_classes)


def _draws():
    return random.random(), np.random.rand(), fn_random.generator().standard_normal(3)


def test_set_random_seed_reproducible():
    set_random_seed(123)
    first = _draws()
    set_random_seed(123)
    second = _draws()
    assert first[0] == second[0] and first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    set_random_seed(124)
    third = _draws()
    assert third[0] != first[0]
    assert not np.array_equal(third[2], first[2])


def test_generator_is_stable_object_and_set_seed_alias():
    gen = fn_random.generator()
    fastnn.set_seed(7)
    a = gen.integers(0, 1 << 30, size=4)
    fastnn.set_seed(7)
    b = fn_random.generator().integers(0, 1 << 30, size=4)
    assert fn_random.generator() is gen
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "1", None, True])
def test_set_random_seed_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="Received: seed="):
        set_random_seed(seed)
