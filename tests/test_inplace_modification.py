"""backward() refuses to run through an op whose saved tensors were modified after its forward pass.

Assigning to `.data` (`t.data = other`, or `t.data -= step`, which ends in an assignment) is a
modification; views and detached copies of a tensor share its version.
"""
import numpy as np
import pytest

import fastnn as fn
from fastnn import ops

rng = np.random.default_rng(0)


def _leaf(*shape):
    return fn.Tensor(rng.standard_normal(shape), requires_grad=True)


MODIFY = {
    "in-place step": lambda t: t.__setattr__("data", t.data - 0.01),  # what `t.data -= 0.01` does
    "rebinding": lambda t: t.__setattr__("data", np.zeros_like(t.data)),
}


OPS = {
    "mul of a view": (lambda x, w: x * w[0], r"Mul needs the values of its input 1, a float64 tensor of shape \(3,\)"),
    "matmul": (lambda x, w: x @ w, r"MatMul needs the values of its input 1, a float64 tensor of shape \(3, 3\)"),
    "dense": (lambda x, w: ops.dense(x, w, activation="relu"),
              r"Dense needs the values of its input 1, a float64 tensor of shape \(3, 3\)"),
    "pow": (lambda x, w: w ** 3, r"Pow needs the values of its input 0, a float64 tensor of shape \(3, 3\)"),
}


@pytest.mark.parametrize("modify", sorted(MODIFY))
@pytest.mark.parametrize("op", sorted(OPS))
def test_modifying_a_saved_input_is_refused(op, modify):
    x, w = _leaf(4, 3), _leaf(3, 3)
    forward, message = OPS[op]
    out = forward(x, w)
    MODIFY[modify](w)
    with pytest.raises(RuntimeError, match=r"backward\(\): " + message + r".*modified after the forward pass"):
        out.sum().backward()
    assert x.grad is None and w.grad is None  # nothing was differentiated


def test_the_in_place_operator_is_detected():
    x, w = _leaf(2, 3), _leaf(3, 2)
    loss = (x @ w).sum()
    w.data -= 0.5
    with pytest.raises(RuntimeError, match=r"MatMul needs the values of its input 1, a float64 tensor of shape \(3, 2\)"):
        loss.backward()


def test_modifying_a_saved_output_is_refused():
    x = _leaf(5)
    y = x.exp()
    y.data *= 2
    with pytest.raises(RuntimeError, match=r"Exp needs the values of its output"):
        y.sum().backward()
    r = x.relu()
    r.data = np.ones(5)
    with pytest.raises(RuntimeError, match=r"Relu needs the values of its output"):
        (r * 3).sum().backward()


def test_views_and_detached_copies_share_the_version():
    x, w = _leaf(2, 3), _leaf(2, 3)
    loss = (x @ w.T).sum()  # MatMul saves w.T, a view of w
    w.data += 1
    with pytest.raises(RuntimeError, match=r"MatMul needs the values of its input 1, a float64 tensor of shape \(3, 2\)"):
        loss.backward()
    loss = (x * w.reshape(2, 3)).sum()
    w.detach().data *= 2
    with pytest.raises(RuntimeError, match=r"Mul needs the values of its input 1"):
        loss.backward()


def test_a_modification_that_the_gradient_does_not_depend_on_is_allowed():
    x, w = _leaf(3), _leaf(3)
    loss = (x + w).sum()  # addition reads neither input in backward
    w.data = w.data * 2
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.ones(3))


def test_modifying_between_steps_is_fine_and_gives_the_right_gradients():
    w = _leaf(3)
    x = rng.standard_normal(3)
    for _ in range(3):
        loss = (w * w * x).sum()
        loss.backward()
        np.testing.assert_allclose(w.grad, 2 * w.data * x)
        w.data -= 0.1 * w.grad  # after backward: the next forward sees the new values
        w.zero_grad()
    with fn.no_grad():
        w.data = w.data + 1
    loss = (w * x).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, x)
