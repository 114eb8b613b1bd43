"""Zero skipping in 2-row slivers (the AVX2 kernels, float and double, which skipping products use
with AVX-512 as the limit too): each 2-row sliver of a packed 6-row panel drops the k steps that
are zero in both its rows and meets two B panels at once.

The left operands here are zero in whole (row pair, step) blocks, so slivers drop steps that a whole
6-row panel keeps; every result is compared bit for bit with zero skipping switched off and with
the NumPy oracle, on edge tiles, odd pairs of B panels, epilogues, strided operands, B holding
infinities and NaNs, and every thread count.
"""
import numpy as np
import pytest

import fastnn
from fastnn import kernels, reference
from test_matmul_zero_skip import assert_same_bits, matmul_both_ways

DTYPES = [np.float32, np.float64]
ROWS = [1, 2, 3, 5, 6, 7, 11, 13, 31, 97, 101]
# one B panel, an odd and an even number of them, edge panels (NR is 16 floats, 8 doubles)
COLS = [9, 65, 97, 101, 144]
DEPTHS = [1, 7, 31, 97, 300]


def pair_sparse(rng, m, k, dtype, density):
    """Normal values zeroed in whole blocks of 2 rows x 1 step (the slivers' pairs of rows), each
    block kept with probability density."""
    keep = np.repeat(rng.random(((m + 1) // 2, k)) < density, 2, axis=0)[:m]
    return (rng.standard_normal((m, k)) * keep).astype(dtype)


def tolerance(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [0.0, 0.3, 0.7])
def test_odd_shapes_same_bits_as_without_skipping(isa, dtype, density):
    rng = np.random.default_rng(int(density * 10))
    for m in ROWS:
        for n in COLS:
            for k in DEPTHS:
                a, b = pair_sparse(rng, m, k, dtype, density), rng.standard_normal((k, n)).astype(dtype)
                dense, skipped = matmul_both_ways(a, b)
                assert_same_bits(dense, skipped)
                np.testing.assert_allclose(skipped, reference.matmul(a, b), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_epilogues_on_sliver_tiles(isa, dtype):
    rng = np.random.default_rng(1)
    for m, n, k in [(7, 97, 31), (13, 144, 300), (101, 65, 97), (2, 101, 7)]:
        a, b = pair_sparse(rng, m, k, dtype, 0.4), rng.standard_normal((k, n)).astype(dtype)
        bias, mask = rng.standard_normal(n).astype(dtype), rng.standard_normal((m, n)).astype(dtype)
        dense, skipped = matmul_both_ways(a, b, bias=bias, activation="relu")
        assert_same_bits(dense, skipped)
        want = np.maximum(reference.matmul(a, b) + bias, 0)
        np.testing.assert_allclose(skipped, want, **tolerance(dtype))
        dense, skipped = matmul_both_ways(a, b, bias=bias, relu_mask=mask)
        assert_same_bits(dense, skipped)
        np.testing.assert_allclose(skipped, np.where(mask > 0, reference.matmul(a, b) + bias, 0),
                                   **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_and_transposed_operands(isa, dtype):
    rng = np.random.default_rng(2)
    for m, n, k in [(31, 101, 97), (97, 144, 31), (6, 65, 300)]:
        a, b = pair_sparse(rng, 2 * m, k, dtype, 0.4), rng.standard_normal((k, 2 * n)).astype(dtype)
        views = [(a[::2], False), (np.ascontiguousarray(a[:m].T), True), (np.asfortranarray(a[:m]), False)]
        for a_view, trans_a in views:
            for b_view, trans_b in [(b[:, ::2], False), (np.ascontiguousarray(b[:, :n].T), True)]:
                dense, skipped = matmul_both_ways(a_view, b_view, trans_a=trans_a, trans_b=trans_b)
                assert_same_bits(dense, skipped)
                a_used = a_view.T if trans_a else a_view
                b_used = b_view.T if trans_b else b_view
                np.testing.assert_allclose(skipped, reference.matmul(a_used, b_used), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_size_operands(isa, dtype):
    rng = np.random.default_rng(3)
    for m, n, k in [(0, 97, 31), (13, 0, 31), (13, 97, 0), (0, 0, 0)]:
        a, b = np.zeros((m, k), dtype), rng.standard_normal((k, n)).astype(dtype)
        dense, skipped = matmul_both_ways(a, b)
        assert_same_bits(dense, skipped)
        np.testing.assert_array_equal(skipped, np.zeros((m, n), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_zero_panels_and_slivers(isa, dtype):
    """Whole 6-row panels zero, single slivers zero and rows left dense, side by side."""
    rng = np.random.default_rng(4)
    for m, n, k in [(31, 101, 97), (101, 144, 300), (13, 65, 7)]:
        a = rng.standard_normal((m, k)).astype(dtype)
        a[6:12] = 0
        a[14:16] = 0
        a[m - 1] = 0
        a[:, ::3] = 0
        b = rng.standard_normal((k, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        dense, skipped = matmul_both_ways(a, b, bias=bias)
        assert_same_bits(dense, skipped)
        np.testing.assert_array_equal(skipped[6:12], np.broadcast_to(bias, (6, n)))
        np.testing.assert_allclose(skipped, reference.matmul(a, b) + bias, **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_of_b_against_zero_slivers_give_nan(isa, dtype, bad):
    """0 * inf is NaN: a B panel holding one must not meet a sliver that dropped the step, whether
    it is the first or the second panel of a pair or a panel left over."""
    rng = np.random.default_rng(5)
    for m, n, k in [(13, 101, 97), (31, 144, 300), (7, 65, 31)]:
        for column in (0, 20, n - 1):
            a = pair_sparse(rng, m, k, dtype, 0.5)
            step = int(np.flatnonzero(~a[:2].any(axis=0))[0])
            b = rng.standard_normal((k, n)).astype(dtype)
            b[step, column] = bad
            dense, skipped = matmul_both_ways(a, b)
            assert np.isnan(skipped[:2, column]).all()
            with np.errstate(invalid="ignore"):
                want = reference.matmul(a, b)
            np.testing.assert_array_equal(np.isnan(skipped), np.isnan(want))
            assert_same_bits(dense, skipped)


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_for_any_thread_count(isa, threads, dtype):
    rng = np.random.default_rng(6)
    for m, n, k in [(97, 144, 300), (101, 101, 97), (784, 512, 128), (31, 65, 31)]:
        a, b = pair_sparse(rng, m, k, dtype, 0.4), rng.standard_normal((k, n)).astype(dtype)
        results = []
        for count in (1, 2, 3):
            threads(count)
            results.append(kernels.matmul(a, b, activation="relu"))
        for other in results[1:]:
            assert_same_bits(results[0], other)
