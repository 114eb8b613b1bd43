"""matmul's zero skipping: k steps where a block of rows of A is all zero are dropped.

Dropping them must change nothing: the results are compared bit for bit with zero skipping
switched off, and with the NumPy oracle, including where B holds infinities or NaNs (which
zeros turn into NaN) and for every thread count.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import kernels, reference

DTYPES = [np.float32, np.float64]

# (m, n, k): few rows (A packed once, shared; with more than 4 column panels, in 2-row slivers
# against pairs of B panels, odd panels left over), many rows (A packed per block), a single
# KC slice and several, edge tiles in both directions, and chapter 2's two big products.
SHAPES = [(1, 5, 40), (7, 33, 97), (13, 101, 31), (128, 512, 784), (784, 512, 128), (300, 70, 600),
          (97, 16, 1000), (1000, 65, 64), (50, 200, 300), (6, 96, 500), (11, 77, 257)]


def sparse(rng, shape, dtype, density):
    """Normal values, each kept with probability density, whole columns zeroed as in images' borders."""
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) >= density] = 0
    x[:, rng.random(shape[1]) < 0.3] = 0
    return x


def matmul_both_ways(a, b, **kw):
    kernels._skip_zeros_gemm(False)
    try:
        dense = kernels.matmul(a, b, **kw)
    finally:
        kernels._skip_zeros_gemm(True)
    return dense, kernels.matmul(a, b, **kw)


def assert_same_bits(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [0.0, 0.02, 0.2, 0.6, 1.0])
def test_same_bits_as_without_skipping(isa, dtype, density):
    rng = np.random.default_rng(int(density * 100))
    for m, n, k in SHAPES:
        a, b = sparse(rng, (m, k), dtype, density), rng.standard_normal((k, n)).astype(dtype)
        dense, skipped = matmul_both_ways(a, b)
        assert_same_bits(dense, skipped)
        np.testing.assert_allclose(skipped, reference.matmul(a, b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_for_transposed_and_strided_operands(isa, dtype):
    rng = np.random.default_rng(1)
    for m, n, k in SHAPES:
        a = sparse(rng, (m, k), dtype, 0.2)
        b = rng.standard_normal((k, n)).astype(dtype)
        for a_view, trans_a in [(np.ascontiguousarray(a.T), True), (a[::-1], False), (np.asfortranarray(a), False)]:
            for b_view, trans_b in [(b, False), (np.ascontiguousarray(b.T), True)]:
                dense, skipped = matmul_both_ways(a_view, b_view, trans_a=trans_a, trans_b=trans_b)
                assert_same_bits(dense, skipped)


@pytest.mark.parametrize("dtype", DTYPES)
def test_epilogue_on_an_all_zero_left_operand(isa, dtype):
    rng = np.random.default_rng(2)
    for m, n, k in SHAPES:
        a = np.zeros((m, k), dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        mask = rng.standard_normal((m, n)).astype(dtype)
        got = kernels.matmul(a, b, bias=bias, activation="relu")
        np.testing.assert_array_equal(got, np.broadcast_to(np.maximum(bias, 0), (m, n)))
        got = kernels.matmul(a, b, bias=bias, relu_mask=mask)
        np.testing.assert_array_equal(got, np.where(mask > 0, bias, 0).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_zeros_times_non_finite_values_of_b_stay_nan(isa, dtype, bad):
    """0 * inf is NaN: a dropped zero step must not hide an infinity or a NaN of B."""
    rng = np.random.default_rng(3)
    for m, n, k in SHAPES:
        a = sparse(rng, (m, k), dtype, 0.1)
        zero_steps = np.flatnonzero(~a.any(axis=0))
        assert zero_steps.size, "the test needs a k step that is zero in every row"
        b = rng.standard_normal((k, n)).astype(dtype)
        b[zero_steps[len(zero_steps) // 2], n // 2] = bad
        dense, skipped = matmul_both_ways(a, b)
        assert np.isnan(skipped[:, n // 2]).all()
        with np.errstate(invalid="ignore"):
            want = reference.matmul(a, b)
        np.testing.assert_array_equal(np.isnan(skipped), np.isnan(want))
        np.testing.assert_array_equal(dense, skipped)


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
@pytest.mark.parametrize("dtype", DTYPES)
def test_bitwise_identical_for_any_thread_count(isa, threads, dtype):
    rng = np.random.default_rng(4)
    for m, n, k in SHAPES:
        a, b = sparse(rng, (m, k), dtype, 0.2), rng.standard_normal((k, n)).astype(dtype)
        results = []
        for count in (1, 2, 3):
            threads(count)
            results.append(kernels.matmul(a, b, activation="relu"))
        for other in results[1:]:
            assert_same_bits(results[0], other)


def test_concurrent_calls_from_python_threads():
    rng = np.random.default_rng(6)
    problems = [(sparse(rng, (m, k), np.float32, 0.2), rng.standard_normal((k, n)).astype(np.float32))
                for m, n, k in SHAPES * 2]
    serial = [kernels.matmul(a, b) for a, b in problems]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda ab: kernels.matmul(*ab), problems))
    for want, got in zip(serial, parallel):
        assert_same_bits(want, got)


def test_mnist_like_batches_take_less_work_not_other_results():
    """A batch of digit-like images (mostly zero background) against dense weights, as in fit."""
    rng = np.random.default_rng(5)
    images = np.zeros((128, 28, 28), np.float32)
    for image in images:
        top, left = rng.integers(4, 10, size=2)
        image[top:top + 14, left:left + 12] = rng.random((14, 12)) * (rng.random((14, 12)) < 0.6)
    x = images.reshape(128, 784)
    w = rng.standard_normal((784, 512)).astype(np.float32)
    dz = rng.standard_normal((128, 512)).astype(np.float32)
    assert_same_bits(*matmul_both_ways(x, w, bias=np.ones(512, np.float32), activation="relu"))
    assert_same_bits(*matmul_both_ways(x, dz, trans_a=True))


@st.composite
def sparse_problem(draw):
    dtype = draw(st.sampled_from(DTYPES))
    m, n, k = draw(st.integers(1, 60)), draw(st.integers(1, 120)), draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = sparse(rng, (m, k), dtype, draw(st.sampled_from([0.0, 0.05, 0.3, 0.9])))
    b = rng.standard_normal((k, n)).astype(dtype)
    if draw(st.booleans()):
        b[rng.integers(k), rng.integers(n)] = draw(st.sampled_from([np.inf, -np.inf, np.nan]))
    trans_a = draw(st.booleans())
    return (np.ascontiguousarray(a.T) if trans_a else a), b, trans_a


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sparse_problem())
def test_hypothesis_same_bits_as_without_skipping(isa, problem):
    a, b, trans_a = problem
    assert_same_bits(*matmul_both_ways(a, b, trans_a=trans_a))
