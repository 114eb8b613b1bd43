import numpy as np
import pytest

from fastnn import metrics
from fastnn.metrics import Mean, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy

PRED = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])


def test_categorical_accuracy_per_sample():
    onehot = np.eye(3)[[1, 0, 1, 2]]
    out = categorical_accuracy(onehot, PRED)
    np.testing.assert_array_equal(out, [1, 1, 0, 0])
    assert out.dtype == np.float32


def test_categorical_accuracy_rejects_sparse_labels():
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        categorical_accuracy([1, 0, 1, 2], PRED)


@pytest.mark.parametrize("labels", [[1, 0, 1, 2], [[1], [0], [1], [2]], [1.0, 0.0, 1.0, 2.0]])
def test_sparse_categorical_accuracy(labels):
    np.testing.assert_array_equal(sparse_categorical_accuracy(labels, PRED), [1, 1, 0, 0])


def test_sparse_categorical_accuracy_shape_error():
    with pytest.raises(ValueError, match=r"y_true of shape \(3,\).*\(4, 3\)"):
        sparse_categorical_accuracy([1, 0, 1], PRED)


def test_binary_accuracy_column_and_flat():
    y_true = np.array([[1], [0], [1], [0]])
    y_pred = np.array([[0.9], [0.6], [0.4], [0.1]])
    np.testing.assert_array_equal(binary_accuracy(y_true, y_pred), [1, 0, 0, 1])
    np.testing.assert_array_equal(binary_accuracy(y_true.ravel(), y_pred), [1, 0, 0, 1])
    np.testing.assert_array_equal(binary_accuracy(y_true.ravel(), y_pred.ravel(), threshold=0.3), [1, 0, 1, 1])


def test_binary_accuracy_multi_label_averages_last_axis():
    y_true = np.array([[1, 0, 1, 1], [0, 0, 0, 0]])
    y_pred = np.array([[0.8, 0.2, 0.3, 0.9], [0.1, 0.7, 0.6, 0.2]])
    np.testing.assert_allclose(binary_accuracy(y_true, y_pred), [0.75, 0.5])


def test_get_resolves_accuracy_from_loss():
    assert metrics.get("accuracy", "sparse_categorical_crossentropy", (4, 10)) == (
        "accuracy", sparse_categorical_accuracy)
    assert metrics.get("accuracy", "SparseCategoricalCrossentropy")[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", "binary_crossentropy", (4, 3))[1] is binary_accuracy
    assert metrics.get("accuracy", "categorical_crossentropy", (4, 10))[1] is categorical_accuracy


def test_get_resolves_accuracy_from_label_shape():
    assert metrics.get("accuracy", "mse", (8,))[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", None, (8, 1), y_pred_shape=(8, 10))[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", None, (8, 1), y_pred_shape=(8, 1))[1] is binary_accuracy
    assert metrics.get("accuracy", "mse", (8, 5), y_pred_shape=(8, 5))[1] is categorical_accuracy
    assert metrics.get("accuracy")[1] is categorical_accuracy


def test_get_keeps_display_name():
    assert metrics.get("acc", "categorical_crossentropy", (4, 10)) == ("acc", categorical_accuracy)
    assert metrics.get("Accuracy")[0] == "Accuracy"
    assert metrics.get("binary_accuracy") == ("binary_accuracy", binary_accuracy)
    assert metrics.get("sparse_categorical_accuracy", "categorical_crossentropy")[1] is sparse_categorical_accuracy


def test_get_accepts_callables():
    def top_score(y_true, y_pred):
        return y_pred.max(axis=-1)

    assert metrics.get(top_score) == ("top_score", top_score)


def test_get_unknown_lists_known_names():
    with pytest.raises(ValueError, match="accuracy, acc, categorical_accuracy, sparse_categorical_accuracy"):
        metrics.get("precision")
    with pytest.raises(ValueError, match="Received: 5"):
        metrics.get(5)


def test_mean_running_average():
    m = Mean()
    assert m.result() == 0.0
    m.update([1.0, 2.0, 3.0])
    m.update(10.0, weight=3)
    assert m.result() == pytest.approx((6 + 30) / 6)
    m.update([0.0, 4.0], weight=[1.0, 3.0])
    assert m.result() == pytest.approx((36 + 12) / 10)
    m.reset()
    assert m.result() == 0.0


def test_mean_batch_means_weighted_by_batch_size_equal_sample_mean():
    rng = np.random.default_rng(0)
    losses = rng.random(103)
    m = Mean()
    for start in range(0, 103, 32):
        batch = losses[start:start + 32]
        m.update(batch.mean(), weight=batch.size)
    assert m.result() == pytest.approx(losses.mean(), rel=1e-12)


def test_mean_rejects_bad_weights():
    with pytest.raises(ValueError, match="Received: weight=-1"):
        Mean().update(1.0, weight=-1)
    with pytest.raises(ValueError, match="shape"):
        Mean().update([1.0, 2.0], weight=[1.0, 2.0, 3.0])
