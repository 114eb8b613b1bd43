"""Zero skipping when the kernels are limited to AVX-512: the products that take the zero-skipping
path run the AVX2 sliver kernels (2-row slivers against pairs of B panels), the others stay on the
AVX-512 kernels. Both instruction sets add one fused multiply-add per step in order of k, in KC
slices of the same length, so every result here must have the same bits as the AVX-512 kernels
without skipping, as AVX2 with and without skipping, and at every thread count.

The widths straddle where the choice of path changes: AVX-512's narrow kernels (C at most 16
floats or 8 doubles wide), its unpacked left operand (at most 4 NR panels, 128 floats or 64
doubles, the dense path) and AVX2's (64 floats, 32 doubles); depths cover one and several KC
slices.
"""
import numpy as np
import pytest

import fastnn
from fastnn import kernels, reference
from fastnn.kernel_table.isa import on_isa
from test_matmul_zero_skip import assert_same_bits

pytestmark = pytest.mark.skipif(not {"avx512", "avx2-fma"} <= set(kernels.isas_available()),
                                reason="needs a CPU and build with AVX-512 and AVX2")

DTYPES = [np.float32, np.float64]
ROWS = [1, 3, 7, 13, 14, 15, 29, 101]
COLS = [17, 33, 63, 65, 100, 128, 129, 144, 257]
DEPTHS = [1, 7, 97, 300, 513]


def relu_sparse(rng, m, k, dtype):
    """A relu's output: about half the values zero, scattered, so hardly any k step is zero in a
    whole 14-row AVX-512 panel while many are zero in a 2-row sliver."""
    return np.maximum(rng.standard_normal((m, k)), 0).astype(dtype)


def pair_sparse(rng, m, k, dtype, density):
    keep = np.repeat(rng.random(((m + 1) // 2, k)) < density, 2, axis=0)[:m]
    return (rng.standard_normal((m, k)) * keep).astype(dtype)


def matmul_on(isa, skip, a, b, **kw):
    with on_isa(isa):
        kernels._skip_zeros_gemm(skip)
        try:
            return kernels.matmul(a, b, **kw)
        finally:
            kernels._skip_zeros_gemm(True)


def assert_one_result_everywhere(a, b, **kw):
    """The product with AVX-512 skipping zeros, checked against the three other ways; returned."""
    skipped = matmul_on("avx512", True, a, b, **kw)
    for isa, skip in [("avx512", False), ("avx2-fma", True), ("avx2-fma", False)]:
        assert_same_bits(matmul_on(isa, skip, a, b, **kw), skipped)
    return skipped


def tolerance(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparsity", ["relu", "pairs"])
def test_odd_shapes_same_bits_as_dense_avx512_and_avx2(dtype, sparsity):
    rng = np.random.default_rng(11 if sparsity == "relu" else 12)
    for m in ROWS:
        for n in COLS:
            for k in DEPTHS:
                a = relu_sparse(rng, m, k, dtype) if sparsity == "relu" else pair_sparse(rng, m, k, dtype, 0.4)
                b = rng.standard_normal((k, n)).astype(dtype)
                skipped = assert_one_result_everywhere(a, b)
                np.testing.assert_allclose(skipped, reference.matmul(a, b), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_epilogues_and_transposed_operands(dtype):
    rng = np.random.default_rng(13)
    for m, n, k in [(15, 129, 97), (101, 257, 300), (29, 65, 513)]:
        a, b = relu_sparse(rng, m, k, dtype), rng.standard_normal((k, n)).astype(dtype)
        bias, mask = rng.standard_normal(n).astype(dtype), rng.standard_normal((m, n)).astype(dtype)
        got = assert_one_result_everywhere(a, b, bias=bias, activation="relu")
        np.testing.assert_allclose(got, np.maximum(reference.matmul(a, b) + bias, 0), **tolerance(dtype))
        got = assert_one_result_everywhere(a, b, bias=bias, relu_mask=mask)
        np.testing.assert_allclose(got, np.where(mask > 0, reference.matmul(a, b) + bias, 0), **tolerance(dtype))
        got = assert_one_result_everywhere(np.ascontiguousarray(a.T), b, trans_a=True)
        np.testing.assert_allclose(got, reference.matmul(a, b), **tolerance(dtype))
        got = assert_one_result_everywhere(a, np.ascontiguousarray(b.T), trans_b=True)
        np.testing.assert_allclose(got, reference.matmul(a, b), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_of_b_at_dropped_steps_give_nan(dtype, bad):
    rng = np.random.default_rng(14)
    for m, n, k in [(15, 129, 97), (29, 257, 300), (7, 144, 31)]:
        for column in (0, 40, n - 1):
            a = pair_sparse(rng, m, k, dtype, 0.5)
            step = int(np.flatnonzero(~a[:2].any(axis=0))[0])
            b = rng.standard_normal((k, n)).astype(dtype)
            b[step, column] = bad
            got = assert_one_result_everywhere(a, b)
            assert np.isnan(got[:2, column]).all()
            with np.errstate(invalid="ignore"):
                want = reference.matmul(a, b)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_for_any_thread_count(threads, dtype):
    rng = np.random.default_rng(15)
    for m, n, k in [(128, 512, 784), (784, 512, 128), (101, 129, 300)]:
        a, b = relu_sparse(rng, m, k, dtype), rng.standard_normal((k, n)).astype(dtype)
        threads(1)
        want = assert_one_result_everywhere(a, b, activation="relu")
        for count in (2, 3):
            threads(count)
            assert_same_bits(matmul_on("avx512", True, a, b, activation="relu"), want)
