"""The backward engine, the fused primitives and an MLP's gradients end to end."""
import numpy as np
import pytest

import fastnn as fn
from fastnn import kernels, ops
from fastnn.tensor import Function
from fastnn.testing import gradcheck

rng = np.random.default_rng(0)


# -- engine ------------------------------------------------------------------------------------
def test_long_chain_runs_backward_without_recursion():
    x = fn.Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(3, 1.0001**10_000), rtol=1e-9)


def test_no_grad_records_nothing():
    x = fn.Tensor(np.ones(3), requires_grad=True)
    with fn.no_grad():
        y = (x * 2).sum()
        with fn.no_grad():
            pass
        z = x * 3  # still inside the outer block after the inner one exits
    assert not y.requires_grad and y._fn is None and not z.requires_grad
    assert (x * 2).requires_grad  # recording resumes after the block
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator():
    @fn.no_grad()
    def predict(w):
        return w * 2

    assert not predict(fn.Tensor([1.0], requires_grad=True)).requires_grad
    assert fn.tensor.is_grad_enabled()


def test_non_scalar_backward_needs_a_gradient():
    y = fn.Tensor(np.ones((2, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="needs a gradient argument"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the tensor has shape \(2, 2\)"):
        y.backward(np.ones(3))


def test_gradient_accumulates_when_a_tensor_is_used_twice():
    x = fn.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data + 1)
    (x * 4).sum().backward()  # a second graph adds to .grad
    np.testing.assert_array_equal(x.grad, 2 * x.data + 5)
    x.zero_grad()
    assert x.grad is None


def test_diamond_graph_sums_both_paths():
    x = fn.Tensor([2.0], requires_grad=True)
    a = x * 3
    b = fn.exp(a)
    c = a * b  # a reaches c directly and through b
    c.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, 3 * np.exp(6.0) + 6 * 3 * np.exp(6.0))


def test_zero_grad_on_a_list():
    ws = [fn.Tensor([1.0], requires_grad=True) for _ in range(3)]
    sum(w * 2 for w in ws).backward(np.ones(1))
    assert all(w.grad is not None for w in ws)
    fn.zero_grad(ws)
    assert all(w.grad is None for w in ws)


def test_graph_is_freed_after_backward():
    x = fn.Tensor(rng.standard_normal(4), requires_grad=True)
    hidden = fn.exp(x)
    loss = hidden.sum()
    loss.backward()
    assert hidden.grad is None and loss.grad is None  # no gradients kept on intermediates
    assert hidden._fn is None and loss._fn is None  # parents and saved arrays released
    with pytest.raises(RuntimeError, match="already freed"):
        loss.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (hidden * 2).sum().backward()


def test_leaf_backward_and_untouched_leaves():
    x = fn.Tensor([1.0, 2.0], requires_grad=True)
    unused = fn.Tensor([5.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 5.0])
    assert unused.grad is None


def test_constant_inputs_get_no_gradient():
    x = fn.Tensor([1.0, 2.0], requires_grad=True)
    c = fn.Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_engine_sums_broadcast_gradients_to_the_input_shape():
    b = fn.Tensor(np.zeros((1, 3), np.float32), requires_grad=True)
    (b + np.ones((4, 5, 3), np.float32)).sum().backward()
    assert b.grad.shape == (1, 3) and b.grad.dtype == np.float32
    np.testing.assert_array_equal(b.grad, np.full((1, 3), 20.0))


def test_gradient_of_a_function():
    grad_f = fn.gradient(lambda w: (w * w).sum())
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_array_equal(grad_f(w0), 2 * w0)
    np.testing.assert_array_equal(fn.gradient(lambda w: fn.dot(w, w))([1, 2, 3]), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(fn.gradient(lambda w: fn.Tensor(1.0))(w0), np.zeros_like(w0))
    with pytest.raises(ValueError, match="single-element Tensor"):
        fn.gradient(lambda w: w * 2)(w0)


class _CubeWithWrongGradient(Function):
    """x ** 3 whose backward is off by 0.5 at position (1, 2)."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        g = grad * 3 * self.x**2
        g[1, 2] += 0.5
        return (g,)


def test_gradcheck_reports_the_worst_element():
    x = rng.standard_normal((3, 4))
    assert gradcheck(lambda t: t**3, x)
    with pytest.raises(AssertionError, match=r"input 0 at position \(1, 2\).*analytic .* numeric"):
        gradcheck(lambda t: _CubeWithWrongGradient.apply(t), x)


def test_gradcheck_needs_a_float_input():
    with pytest.raises(ValueError, match="no floating-point input"):
        gradcheck(lambda t: t * 2, np.arange(3))


# -- fused primitives ------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_dense_gradients(activation, with_bias, x_requires_grad):
    x, kernel, bias = rng.standard_normal((7, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    if x_requires_grad:
        f = lambda x, k, *b: ops.dense(x, k, *b, activation=activation)  # noqa: E731
        assert gradcheck(f, x, kernel, *([bias] if with_bias else []))
    else:
        f = lambda k, *b: ops.dense(x, k, *b, activation=activation)  # noqa: E731
        assert gradcheck(f, kernel, *([bias] if with_bias else []))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_matches_the_composed_version(activation, with_bias, dtype):
    data = [rng.standard_normal(s).astype(dtype) for s in ((13, 9), (9, 6), (6,))]
    fused = [fn.Tensor(a.copy(), requires_grad=True) for a in data]
    plain = [fn.Tensor(a.copy(), requires_grad=True) for a in data]
    bias_f, bias_p = (fused[2], plain[2]) if with_bias else (None, None)

    y_fused = ops.dense(fused[0], fused[1], bias_f, activation=activation)
    y_plain = fn.matmul(plain[0], plain[1])
    if with_bias:
        y_plain = y_plain + bias_p
    if activation == "relu":
        y_plain = fn.relu(y_plain)
    tol = 32 * np.finfo(dtype).eps * 9
    np.testing.assert_allclose(y_fused.data, y_plain.data, rtol=tol, atol=tol)
    assert y_fused.dtype == dtype

    g = rng.standard_normal(y_fused.shape).astype(dtype)
    y_fused.backward(g)
    y_plain.backward(g)
    for a, b in zip(fused if with_bias else fused[:2], plain):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad, b.grad, rtol=tol * 13, atol=tol * 13)
    if not with_bias:
        assert fused[2].grad is None


def test_dense_skips_the_input_gradient_when_not_needed(monkeypatch):
    calls = []
    matmul = kernels.matmul

    def counting_matmul(*args, **kwargs):
        calls.append(kwargs)
        return matmul(*args, **kwargs)

    monkeypatch.setattr(kernels, "matmul", counting_matmul)
    kernel = fn.Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    ops.dense(rng.standard_normal((3, 4)), kernel, activation="relu").sum().backward()
    assert len(calls) == 2  # forward + d kernel
    assert calls[0].get("activation") == "relu" and calls[1].get("trans_a")
    calls.clear()
    ops.dense(fn.Tensor(rng.standard_normal((3, 4)), requires_grad=True), kernel).sum().backward()
    assert len(calls) == 3 and any(c.get("trans_b") for c in calls)  # forward, d x, d kernel


@pytest.mark.parametrize(
    "args, message",
    [
        (((3, 4), (5, 2)), r"x has 4 features"),
        (((3, 4, 1), (4, 2)), r"must be 2-D"),
    ],
)
def test_dense_shape_errors(args, message):
    with pytest.raises(ValueError, match=message):
        ops.dense(np.ones(args[0]), np.ones(args[1]))


def test_dense_rejects_unknown_activation():
    with pytest.raises(ValueError, match=r"Received: activation='tanh'"):
        ops.dense(np.ones((2, 2)), np.ones((2, 2)), activation="tanh")


def _onehot(labels, k):
    return np.eye(k)[labels]


@pytest.mark.parametrize("target_kind", ["onehot", "integer", "soft"])
def test_softmax_cross_entropy_gradients(target_kind):
    labels = np.array([0, 3, 1, 1, 2])
    target = {"onehot": _onehot(labels, 4), "integer": labels,
              "soft": rng.dirichlet(np.ones(4), size=5)}[target_kind]
    logits = rng.standard_normal((5, 4)) * 3
    assert gradcheck(lambda z: ops.softmax_cross_entropy(z, target), logits)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("integer_target", [True, False])
def test_softmax_cross_entropy_matches_log_softmax_and_mean(integer_target, dtype):
    labels = rng.integers(0, 10, size=17)
    target = labels if integer_target else _onehot(labels, 10).astype(dtype)
    data = (rng.standard_normal((17, 10)) * 5).astype(dtype)
    fused_in = fn.Tensor(data.copy(), requires_grad=True)
    plain_in = fn.Tensor(data.copy(), requires_grad=True)

    loss = ops.softmax_cross_entropy(fused_in, target)
    plain = -fn.mean(fn.sum(fn.log_softmax(plain_in) * _onehot(labels, 10).astype(dtype), axis=1))
    tol = 64 * np.finfo(dtype).eps * 10
    assert loss.shape == () and loss.dtype == dtype
    np.testing.assert_allclose(loss.data, plain.data, rtol=tol)
    np.testing.assert_allclose(loss.probs, fn.softmax(data).data, rtol=tol, atol=tol)
    assert loss.probs.dtype == dtype

    loss.backward()
    plain.backward()
    assert fused_in.grad.dtype == dtype
    np.testing.assert_allclose(fused_in.grad, plain_in.grad, rtol=tol, atol=tol / 17)


def test_softmax_cross_entropy_with_probs_and_without_grad():
    logits = rng.standard_normal((3, 4))
    with fn.no_grad():
        loss, probs = ops.softmax_cross_entropy_with_probs(fn.Tensor(logits, requires_grad=True), [0, 1, 2])
    assert not loss.requires_grad
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    expected = -np.mean(np.log(probs[np.arange(3), [0, 1, 2]]))
    np.testing.assert_allclose(loss.item(), expected)


@pytest.mark.parametrize(
    "logits_shape, target, error, message",
    [
        ((0, 3), np.zeros(0, int), ValueError, r"n > 0"),
        ((4,), np.zeros(4, int), ValueError, r"must be 2-D"),
        ((2, 3), np.array([0, 3]), ValueError, r"class indices must be in \[0, 3\)"),
        ((2, 3), np.array([0.0, 1.0]), TypeError, r"must be integer"),
        ((2, 3), np.zeros((2, 4)), ValueError, r"target has shape \(2, 4\)"),
    ],
)
def test_softmax_cross_entropy_bad_input(logits_shape, target, error, message):
    with pytest.raises(error, match=message):
        ops.softmax_cross_entropy(np.zeros(logits_shape), target)


# -- a whole MLP -------------------------------------------------------------------------------------
def _mlp_params():
    return [rng.standard_normal((6, 8)) * 0.5, rng.standard_normal(8) * 0.1,
            rng.standard_normal((8, 4)) * 0.5, rng.standard_normal(4) * 0.1]


X = rng.standard_normal((9, 6))
LABELS = rng.integers(0, 4, size=9)


def _composed_mlp_loss(w1, b1, w2, b2):
    hidden = fn.relu(fn.matmul(X, w1) + b1)
    probs = fn.softmax(fn.matmul(hidden, w2) + b2)
    return -fn.mean(fn.sum(_onehot(LABELS, 4) * fn.log(probs), axis=1))


def _fused_mlp_loss(w1, b1, w2, b2):
    hidden = ops.dense(X, w1, b1, activation="relu")
    return ops.softmax_cross_entropy(ops.dense(hidden, w2, b2), LABELS)


@pytest.mark.parametrize("loss_fn", [_composed_mlp_loss, _fused_mlp_loss], ids=["composed", "fused"])
def test_mlp_gradients_end_to_end(loss_fn):
    assert gradcheck(loss_fn, *_mlp_params())


def test_fused_and_composed_mlp_agree():
    params = _mlp_params()
    grads = []
    for loss_fn in (_composed_mlp_loss, _fused_mlp_loss):
        tensors = [fn.Tensor(p.copy(), requires_grad=True) for p in params]
        loss = loss_fn(*tensors)
        loss.backward()
        grads.append((loss.item(), [t.grad for t in tensors]))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    for a, b in zip(grads[0][1], grads[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_mlp_in_float32_trains_with_float32_gradients():
    params = [fn.Tensor(p.astype(np.float32), requires_grad=True) for p in _mlp_params()]
    x = X.astype(np.float32)
    losses = []
    for _ in range(30):
        hidden = ops.dense(x, params[0], params[1], activation="relu")
        loss = ops.softmax_cross_entropy(ops.dense(hidden, params[2], params[3]), LABELS)
        loss.backward()
        losses.append(loss.item())
        for p in params:
            assert p.grad.dtype == np.float32
            p.data -= 0.5 * p.grad
            p.zero_grad()
    assert loss.dtype == np.float32
    assert losses[-1] < 0.5 * losses[0]


def test_backward_adds_in_place_into_an_existing_grad_array():
    buffer = np.full(3, 10.0)
    x = fn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.grad = buffer  # e.g. a view into a model's flat gradient buffer
    (x * x).sum().backward()
    assert x.grad is buffer
    np.testing.assert_array_equal(buffer, [12.0, 14.0, 16.0])
