"""Leaf gradient buffers and the relu mask folded into the next Dense's input gradient."""
import numpy as np
import pytest

import fastnn as fn
from fastnn import kernels, ops
from fastnn.testing import gradcheck

rng = np.random.default_rng(3)


def _leaf(shape, buffer=False, dtype=np.float64):
    t = fn.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    if buffer:
        t.grad_buffer = np.full(shape, np.nan, dtype=dtype)  # stale contents must be overwritten
    return t


def _mlp_loss(x, w1, b1, w2, b2, target):
    h = ops.dense(x, w1, b1, "relu")
    return ops.softmax_cross_entropy(ops.dense(h, w2, b2), target)


def test_backward_writes_into_the_grad_buffer_with_the_same_values():
    x = rng.standard_normal((7, 5))
    target = np.eye(3)[rng.integers(0, 3, 7)]
    plain = [_leaf(s) for s in ((5, 6), (6,), (6, 3), (3,))]
    buffered = [fn.Tensor(p.data.copy(), requires_grad=True) for p in plain]
    for t in buffered:
        t.grad_buffer = np.full(t.shape, np.nan)
    _mlp_loss(x, *plain, target).backward()
    _mlp_loss(x, *buffered, target).backward()
    for p, b in zip(plain, buffered):
        assert b.grad is b.grad_buffer
        np.testing.assert_array_equal(b.grad, p.grad)


def test_a_leaf_used_twice_sums_both_contributions_in_its_buffer():
    x = rng.standard_normal((4, 4))
    w = _leaf((4, 4), buffer=True)
    w_plain = fn.Tensor(w.data.copy(), requires_grad=True)
    for weight in (w, w_plain):
        (ops.dense(ops.dense(x, weight), weight) * 1.5).sum().backward()
    assert w.grad is w.grad_buffer
    np.testing.assert_allclose(w.grad, w_plain.grad, rtol=1e-12)
    d = np.full((4, 4), 1.5)
    np.testing.assert_allclose(w.grad, (x @ w.data).T @ d + x.T @ (d @ w.data.T), rtol=1e-12)


def test_the_same_leaf_as_two_inputs_of_one_op_gets_both_gradients():
    w = _leaf((3, 3), buffer=True)
    w_plain = fn.Tensor(w.data.copy(), requires_grad=True)
    for weight in (w, w_plain):
        ops.dense(weight, weight).sum().backward()
    np.testing.assert_allclose(w.grad, w_plain.grad, rtol=1e-12)
    np.testing.assert_allclose(w.grad, np.ones((3, 3)) @ w.data.T + w.data.T @ np.ones((3, 3)), rtol=1e-12)


def test_an_existing_grad_accumulates_rather_than_starting_in_the_buffer():
    x = rng.standard_normal((2, 3))
    w = _leaf((3, 2), buffer=True)
    ops.dense(x, w).sum().backward()
    first = w.grad.copy()
    ops.dense(x, w).sum().backward()
    assert w.grad is w.grad_buffer
    np.testing.assert_allclose(w.grad, 2 * first, rtol=1e-12)


def test_a_gradient_not_written_by_the_op_is_copied_into_the_buffer():
    w = _leaf((2, 3), buffer=True)
    (w * 3.0).sum().backward()
    assert w.grad is w.grad_buffer
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_relu_mask_folded_into_the_next_input_gradient_matches_relu_grad(dtype, monkeypatch):
    x = rng.standard_normal((9, 4)).astype(dtype)
    w1, w2 = _leaf((4, 8), dtype=dtype), _leaf((8, 5), dtype=dtype)
    target = np.eye(5, dtype=dtype)[rng.integers(0, 5, 9)]
    h_in = fn.Tensor(x, requires_grad=True)
    ops.softmax_cross_entropy(ops.dense(ops.dense(h_in, w1, activation="relu"), w2), target).backward()
    # the same gradients by hand, the relu applied as its own pass
    h = kernels.matmul(x, w1.data, activation="relu")
    _, probs = kernels.softmax_cross_entropy(kernels.matmul(h, w2.data), target)
    dz2 = kernels.softmax_cross_entropy_grad(probs, target, scale=1.0 / 9)
    dz1 = kernels.relu_grad(kernels.matmul(dz2, w2.data, trans_b=True), h)
    assert np.array_equal(w2.grad, kernels.matmul(h, dz2, trans_a=True))
    assert np.array_equal(w1.grad, kernels.matmul(x, dz1, trans_a=True))
    assert np.array_equal(h_in.grad, kernels.matmul(dz1, w1.data, trans_b=True))


def test_a_relu_output_with_a_second_consumer_is_masked_again():
    x = rng.standard_normal((6, 4))
    w1, w2 = _leaf((4, 5)), _leaf((5, 3))
    h = ops.dense(x, w1, activation="relu")
    loss = ops.dense(h, w2).sum() + (h * 2.0).sum()  # the second path's gradient is not masked
    loss.backward()
    hd = np.maximum(x @ w1.data, 0)
    dh = np.ones((6, 3)) @ w2.data.T + 2.0
    np.testing.assert_allclose(w1.grad, x.T @ (dh * (hd > 0)), rtol=1e-12)
    np.testing.assert_allclose(w2.grad, hd.T @ np.ones((6, 3)), rtol=1e-12)


def test_gradcheck_of_a_relu_stack_with_folded_masks():
    x = rng.standard_normal((5, 3))
    target = np.eye(2)[rng.integers(0, 2, 5)]
    b1 = rng.standard_normal(4) * 0.1 + 0.5  # keep pre-activations away from the kink

    def loss(w1, w2, w3):
        h1 = ops.dense(x, w1, b1, "relu")
        h2 = ops.dense(h1, w2, activation="relu")
        return ops.softmax_cross_entropy(ops.dense(h2, w3), target)

    assert gradcheck(loss, rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal((4, 2)))
