"""add and sum_to_shape on Hypothesis-generated broadcast shapes and layouts, against the oracles."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from fastnn import kernels, reference

dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def laid_out(draw, shape, dtype):
    """An array of shape with random values, possibly transposed, strided or reversed along axes."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    steps = [draw(st.sampled_from([1, 2, -1, -2])) for _ in shape]
    big = np.asarray(rng.standard_normal([n * abs(s) for n, s in zip(shape, steps)]), dtype=dtype)
    view = big[tuple(slice(None, None, s) for s in steps)] if shape else big
    if shape and draw(st.booleans()):
        view = np.asfortranarray(view)
    assert view.shape == tuple(shape)
    return view


@settings(max_examples=150, deadline=None)
@given(data=st.data(), shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5, max_side=6),
       dtype=dtypes)
def test_add_matches_oracle(data, shapes, dtype):
    a = data.draw(laid_out(shapes.input_shapes[0], dtype))
    b = data.draw(laid_out(shapes.input_shapes[1], dtype))
    got = kernels.add(a, b)
    assert got.shape == shapes.result_shape
    np.testing.assert_array_equal(got, reference.add(a, b))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), shapes=mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=5, max_side=7),
       dtype=dtypes)
def test_sum_to_shape_matches_oracle(data, shapes, dtype):
    target = shapes.input_shapes[0]
    x = data.draw(laid_out(shapes.result_shape, dtype))
    got = kernels.sum_to_shape(x, target)
    want = reference.sum_to_shape(x, target)
    assert got.shape == want.shape == target
    terms = max(1, x.size // max(1, want.size))
    tol = 4 * np.finfo(dtype).eps * terms
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(x).sum(initial=0.0))))


def test_add_into_one_of_its_inputs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 300)).astype(np.float32)
    b = rng.standard_normal(300).astype(np.float32)
    want = a + b
    assert kernels.add(a, b, out=a) is a
    np.testing.assert_array_equal(a, want)


def test_add_into_an_overlapping_view_of_an_input():
    base = np.arange(12.0)
    want = base[2:] + base[:-2]
    kernels.add(base[2:], base[:-2], out=base[:-2])
    np.testing.assert_array_equal(base[:-2], want)


def test_relu_and_relu_grad_in_place():
    x = np.linspace(-2, 2, 1001)
    assert kernels.relu(x, out=x) is x
    assert (x >= 0).all()
    dy = np.ones_like(x)
    kernels.relu_grad(dy, x, out=dy)
    np.testing.assert_array_equal(dy, (x > 0).astype(float))


def test_relu_keeps_nan_and_relu_grad_is_zero_at_zero():
    x = np.array([np.nan, -1.0, 0.0, 2.0], np.float32)
    np.testing.assert_array_equal(kernels.relu(x), [np.nan, 0, 0, 2])
    np.testing.assert_array_equal(kernels.relu_grad(np.ones(4), np.array([np.nan, -1.0, 0.0, 2.0])), [0, 0, 0, 1])


def test_sum_to_shape_column_sums_have_a_fixed_order():
    """Column sums accumulate in double row by row: exact for values whose sums are exact."""
    x = np.tile(np.array([1e8, 1.0, -1e8], np.float32), (1000, 1)).T.copy()  # (3, 1000)
    np.testing.assert_array_equal(kernels.sum_to_shape(x, (1000,)), np.ones(1000, np.float32))
