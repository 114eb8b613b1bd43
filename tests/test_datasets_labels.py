"""Labels as the chapter-3 listings use them: to_categorical under both editions' names."""
import numpy as np
import pytest

import fastnn
from fastnn.utils import np_utils, to_categorical


def test_first_edition_spelling_is_the_same_function():
    from fastnn.utils.np_utils import to_categorical as first_edition

    assert first_edition is to_categorical is np_utils.to_categorical
    assert fastnn.utils.np_utils.to_categorical is to_categorical
    np.testing.assert_array_equal(first_edition([3, 0], num_classes=46)[:, [0, 3]], [[0, 1], [1, 0]])


@pytest.mark.parametrize("labels", [["cat", "dog", "cat"], np.array(["cat", "dog"]),
                                    np.array([b"cat", b"dog"]), np.array(["cat", 1], dtype=object),
                                    [["cat"], ["dog"]]])
def test_string_labels_get_a_clear_error(labels):
    with pytest.raises(ValueError, match="labels must be integer class indices, got strings \\(dtype .*\\) such as .*'cat'.*"
                                         "map each class name to an index first"):
        to_categorical(labels)


def test_suggested_mapping_works():
    names = np.array(["dog", "cat", "dog"])
    indices = np.unique(names, return_inverse=True)[1]
    np.testing.assert_array_equal(to_categorical(indices), [[0, 1], [1, 0], [0, 1]])


def test_other_non_numeric_labels_keep_their_message():
    with pytest.raises(ValueError, match="labels must be integers, got an array of dtype object"):
        to_categorical(np.array([None, 1], dtype=object))
