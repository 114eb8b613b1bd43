"""Softmax and softmax-cross-entropy at extreme inputs; their exp against the C library's."""
import numpy as np
import pytest

from fastnn import kernels


@pytest.mark.parametrize("shape", [(4, 10), (3, 97), (2, 1024), (64, 33)])
def test_softmax_is_finite_and_normalised_for_inputs_up_to_1e4(shape):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1e4, 1e4, shape).astype(np.float32)
    x[0, 0], x[-1, -1] = 1e4, -1e4
    p = kernels.softmax(x)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=0, atol=shape[-1] * np.finfo(np.float32).eps)
    loss, probs = kernels.softmax_cross_entropy(x, np.zeros(shape[0], np.int64))
    assert np.isfinite(loss).all() and np.isfinite(probs).all()
    assert (loss >= 0).all()


def test_softmax_of_equal_inputs_is_uniform():
    for k in (1, 7, 16, 100):
        np.testing.assert_allclose(kernels.softmax(np.full((2, k), 1e4, np.float32)), 1 / k, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_accuracy_over_the_whole_range(dtype):
    """softmax over [x, 0] rows gives exp(x) / (1 + exp(x)): checks the exp on many arguments."""
    lowest = -87.0 if dtype == np.float32 else -708.0
    x = np.linspace(lowest, 0, 200_001).astype(dtype)
    rows = np.stack([x, np.zeros_like(x)], axis=1)
    got = kernels.softmax(rows)[:, 0]
    e = np.exp(x.astype(np.float64))
    want = e / (1 + e)
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_softmax_propagates_nan_and_handles_minus_infinity():
    p = kernels.softmax(np.array([[0.0, -np.inf, 0.0], [np.nan, 1.0, 2.0]]))
    np.testing.assert_array_equal(p[0], [0.5, 0, 0.5])
    assert np.isnan(p[1]).all()


def test_cross_entropy_of_a_confident_correct_prediction_is_tiny_not_zero_or_negative():
    loss, _ = kernels.softmax_cross_entropy(np.array([[30.0, 0.0, 0.0]]), np.array([0]))
    assert 0 < loss[0] < 1e-12
