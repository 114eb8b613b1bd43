"""dot and matmul: the chapter's shape rules, their errors and their gradients."""
import numpy as np
import pytest

import fastnn as fn
from fastnn.testing import gradcheck

rng = np.random.default_rng(0)

DOT_SHAPES = [
    ((5,), (5,), ()),  # vector . vector -> scalar
    ((3, 5), (5,), (3,)),  # matrix . vector -> vector
    ((5,), (5, 4), (4,)),
    ((3, 5), (5, 4), (3, 4)),  # matrix . matrix
    ((2, 3, 4, 5), (5,), (2, 3, 4)),  # (a, b, c, d) . (d,) -> (a, b, c)
    ((2, 3, 4, 5), (5, 6), (2, 3, 4, 6)),  # (a, b, c, d) . (d, e) -> (a, b, c, e)
    ((3, 5), (5, 2, 3), (3, 2, 3)),
    ((1, 1), (1, 1), (1, 1)),
    ((0, 3), (3, 2), (0, 2)),
    ((4, 0), (0, 2), (4, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, y_shape, out_shape", DOT_SHAPES)
def test_dot_shapes_and_values(x_shape, y_shape, out_shape, dtype):
    x = rng.standard_normal(x_shape).astype(dtype)
    y = rng.standard_normal(y_shape).astype(dtype)
    out = fn.dot(x, y)
    assert out.shape == out_shape and out.dtype == dtype
    tol = 16 * np.finfo(dtype).eps * max(x_shape[-1], 1)
    np.testing.assert_allclose(out.data, np.tensordot(x, y, axes=1), rtol=tol, atol=tol)
    if len(y_shape) <= 2:
        np.testing.assert_allclose(out.data, np.dot(x, y), rtol=tol, atol=tol)


@pytest.mark.parametrize("x_shape, y_shape, out_shape", [s for s in DOT_SHAPES if 0 not in s[0] + s[1]])
def test_dot_gradients(x_shape, y_shape, out_shape):
    assert gradcheck(fn.dot, rng.standard_normal(x_shape), rng.standard_normal(y_shape))


def test_dot_method_and_chapter_example():
    x = fn.Tensor([[1.0, 2.0], [3.0, 4.0]])
    y = fn.Tensor([5.0, 6.0])
    np.testing.assert_array_equal(x.dot(y).data, [17.0, 39.0])
    assert fn.dot(fn.Tensor([1.0, 2.0, 3.0]), [4.0, 5.0, 6.0]).item() == 32.0


@pytest.mark.parametrize(
    "x_shape, y_shape, message",
    [
        ((3,), (4,), r"shapes \(3,\) and \(4,\).*last axis of x \(3\).*first axis of y \(4\)"),
        ((2, 3), (2, 3), r"shapes \(2, 3\) and \(2, 3\).*last axis of x \(3\).*first axis of y \(2\)"),
        ((2, 3, 4), (5, 6), r"\(2, 3, 4\) and \(5, 6\)"),
        ((), (3,), r"at least 1 dimension"),
    ],
)
def test_dot_errors_name_the_shapes(x_shape, y_shape, message):
    with pytest.raises(ValueError, match=message):
        fn.dot(np.ones(x_shape), np.ones(y_shape))


MATMUL_SHAPES = [
    ((3, 5), (5, 4)),
    ((1, 7), (7, 1)),
    ((5,), (5, 4)),
    ((3, 5), (5,)),
    ((5,), (5,)),
    ((2, 3, 5), (5, 4)),
    ((5,), (2, 5, 3)),
    ((2, 1, 3, 5), (4, 5, 2)),
    ((97, 13), (13, 31)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, y_shape", MATMUL_SHAPES)
def test_matmul_matches_numpy(x_shape, y_shape, dtype):
    x = rng.standard_normal(x_shape).astype(dtype)
    y = rng.standard_normal(y_shape).astype(dtype)
    out = fn.Tensor(x) @ y
    expected = np.matmul(x, y)
    assert out.shape == expected.shape and out.dtype == dtype
    tol = 16 * np.finfo(dtype).eps * x_shape[-1]
    np.testing.assert_allclose(out.data, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("x_shape, y_shape", [s for s in MATMUL_SHAPES if s[0][0] != 97])
def test_matmul_gradients(x_shape, y_shape):
    assert gradcheck(fn.matmul, rng.standard_normal(x_shape), rng.standard_normal(y_shape))


def test_matmul_with_array_on_the_left():
    w = fn.Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    x = rng.standard_normal((3, 4))
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad, x.sum(axis=0)[:, None] * np.ones((4, 2)))


def test_matmul_on_noncontiguous_views():
    base = rng.standard_normal((8, 10))
    x = fn.Tensor(base, requires_grad=True)
    y = rng.standard_normal((4, 3))
    out = fn.matmul(x[::2, 1::2].T[::-1], y)  # (5, 4) view of x, reversed rows
    np.testing.assert_allclose(out.data, base[::2, 1::2].T[::-1] @ y, rtol=1e-12)
    assert gradcheck(lambda a: fn.matmul(a[::2, 1::2].T[::-1], y), base)


@pytest.mark.parametrize(
    "x_shape, y_shape, message",
    [
        ((3, 4), (5, 2), r"shapes \(3, 4\) and \(5, 2\) are not aligned: axis -1 of x \(4\).*axis -2 of y \(5\)"),
        ((3, 4), (5,), r"axis -1 of x \(4\).*axis 0 of y \(5\)"),
        ((2, 3, 4), (3, 4, 5), r"batch dimensions"),
        ((), (3,), r"at least 1 dimension"),
    ],
)
def test_matmul_errors(x_shape, y_shape, message):
    with pytest.raises(ValueError, match=message):
        fn.matmul(np.ones(x_shape), np.ones(y_shape))
