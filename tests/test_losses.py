import numpy as np
import pytest

import fastnn
from fastnn import losses, ops
from fastnn.tensor import Tensor
from fastnn.testing import gradcheck

EPS = losses.EPSILON
rng = np.random.default_rng(0)


def _probs(n, k, seed=0):
    z = np.random.default_rng(seed).normal(size=(n, k))
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _onehot(labels, k):
    return np.eye(k)[labels]


LABELS = np.array([0, 2, 1, 4, 3, 2, 0])


def test_categorical_crossentropy_matches_numpy():
    p = _probs(7, 5)
    y = _onehot(LABELS, 5)
    got = np.asarray(losses.categorical_crossentropy(y, Tensor(p)))
    np.testing.assert_allclose(got, -np.log(p[np.arange(7), LABELS]), rtol=1e-12)


def test_categorical_crossentropy_normalises_and_clips_like_keras():
    p = np.array([[0.0, 2.0, 2.0]])
    y = np.array([[1.0, 0.0, 0.0]])
    assert np.isclose(float(losses.categorical_crossentropy(y, p)[0].item()), -np.log(EPS))


def test_sparse_categorical_crossentropy_matches_numpy():
    p = _probs(7, 5, seed=1)
    got = np.asarray(losses.sparse_categorical_crossentropy(LABELS, Tensor(p)))
    np.testing.assert_allclose(got, -np.log(p[np.arange(7), LABELS]), rtol=1e-12)
    col = np.asarray(losses.sparse_categorical_crossentropy(LABELS[:, None], p))
    np.testing.assert_allclose(col, got)


def test_crossentropies_from_logits():
    z = rng.normal(size=(7, 5)) * 4
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(7), LABELS]
    np.testing.assert_allclose(np.asarray(losses.sparse_categorical_crossentropy(LABELS, z, from_logits=True)),
                               expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(losses.categorical_crossentropy(_onehot(LABELS, 5), z, from_logits=True)),
                               expected, rtol=1e-12)


def test_binary_crossentropy_matches_numpy():
    p = np.random.default_rng(2).uniform(0.05, 0.95, size=(6, 3))
    y = (np.random.default_rng(3).uniform(size=(6, 3)) > 0.5).astype(float)
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=1)
    np.testing.assert_allclose(np.asarray(losses.binary_crossentropy(y, p)), expected, rtol=1e-12)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(np.asarray(losses.binary_crossentropy(y, z, from_logits=True)), expected, rtol=1e-10)


def test_binary_crossentropy_is_finite_at_saturated_outputs():
    values = np.asarray(losses.binary_crossentropy(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]])))
    assert np.all(np.isfinite(values)) and np.allclose(values, -np.log(EPS), rtol=1e-6)
    big = np.asarray(losses.binary_crossentropy(np.array([[0.0]]), np.array([[1000.0]]), from_logits=True))
    assert np.isclose(big[0], 1000.0)


def test_binary_crossentropy_accepts_labels_without_the_unit_axis():
    p = np.array([[0.2], [0.9]])
    np.testing.assert_allclose(np.asarray(losses.binary_crossentropy(np.array([0.0, 1.0]), p)),
                               -np.log([0.8, 0.9]), rtol=1e-12)


def test_mean_squared_and_absolute_error_match_numpy():
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(np.asarray(losses.mse(a, b)), ((a - b) ** 2).mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(losses.mae(a, b)), np.abs(a - b).mean(axis=1), rtol=1e-12)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
                                  "mean_absolute_error"])
def test_loss_gradients_by_finite_differences(name):
    fn = losses.get(name)
    p = _probs(5, 4, seed=4) * 0.9 + 0.02
    if name == "categorical_crossentropy":
        y = _onehot(np.array([0, 3, 1, 2, 1]), 4)
    else:
        y = np.random.default_rng(5).uniform(size=(5, 4))
        if name == "mean_absolute_error":
            y = p + np.sign(y - 0.5) * 0.1  # keep away from the kink at 0
    assert gradcheck(lambda t: fn(y, t), p)


def test_sparse_crossentropy_gradient_by_finite_differences():
    p = _probs(7, 5, seed=6)
    assert gradcheck(lambda t: losses.sparse_categorical_crossentropy(LABELS, t), p)
    z = np.random.default_rng(7).normal(size=(7, 5))
    assert gradcheck(lambda t: losses.sparse_categorical_crossentropy(LABELS, t, from_logits=True), z)


@pytest.mark.parametrize("sparse", [False, True])
def test_fused_softmax_crossentropy_equals_the_composed_loss(sparse):
    z = np.random.default_rng(8).normal(size=(7, 5)) * 2
    target = LABELS if sparse else _onehot(LABELS, 5)
    composed_fn = losses.sparse_categorical_crossentropy if sparse else losses.categorical_crossentropy

    fused_in = Tensor(z.copy(), requires_grad=True)
    fused = ops.softmax_cross_entropy(fused_in, target)
    fused.backward()
    composed_in = Tensor(z.copy(), requires_grad=True)
    composed = composed_fn(target, fastnn.softmax(composed_in)).mean()
    composed.backward()

    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-12)
    np.testing.assert_allclose(fused_in.grad, composed_in.grad, rtol=1e-10, atol=1e-14)


def test_fused_loss_stays_finite_where_the_composed_one_clips():
    z = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    fused = ops.softmax_cross_entropy(Tensor(z), np.array([2]))
    assert np.isclose(fused.item(), 2000.0)
    # a softmax output remembers its logits: the loss of it is the fused one
    of_softmax = losses.sparse_categorical_crossentropy(np.array([2]), fastnn.softmax(Tensor(z)))
    assert np.isclose(of_softmax.item(), 2000.0)
    # bare probabilities are clipped before the log, as in Keras
    probabilities = Tensor(fastnn.softmax(Tensor(z)).data)
    composed = losses.sparse_categorical_crossentropy(np.array([2]), probabilities)
    assert np.isclose(composed.item(), -np.log(EPS), rtol=1e-3)


def test_loss_classes_average_over_samples():
    p = _probs(7, 5, seed=9)
    per_sample = np.asarray(losses.sparse_categorical_crossentropy(LABELS, p))
    assert np.isclose(losses.SparseCategoricalCrossentropy()(LABELS, p).item(), per_sample.mean())
    z = np.log(p)
    assert np.isclose(losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, z).item(), per_sample.mean())


def test_get_and_serialize():
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    with pytest.raises(ValueError, match="Unknown loss: 'hinge'.*categorical_crossentropy"):
        losses.get("hinge")
    loss = losses.CategoricalCrossentropy(from_logits=True)
    again = losses.get(losses.serialize(loss))
    assert isinstance(again, losses.CategoricalCrossentropy) and again.options == {"from_logits": True}
    assert losses.serialize(losses.mae) == "mean_absolute_error"
    assert losses.serialize(lambda y, p: p) is None


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"y_true.shape=\(3, 4\), y_pred.shape=\(3, 5\)"):
        losses.categorical_crossentropy(np.zeros((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 5\)"):
        losses.sparse_categorical_crossentropy(np.array([5]), np.ones((1, 5)) / 5)
