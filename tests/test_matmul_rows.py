"""matmul with one or two rows of C (a matrix-vector product, e.g. a recurrent step at batch 1)
reads B in place through the ISA's rows kernel: each row must carry exactly the bits the same
row gets inside a product of many rows, at any thread count, with every epilogue."""
import numpy as np
import pytest

from fastnn import kernels

COLUMNS = [1, 2, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 97, 101, 129, 515]


def operands(m, n, k, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return a, b, rng.standard_normal(n).astype(dtype), rng.standard_normal((m, n)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 5, 128, 300, 600])
def test_rows_carry_the_bits_of_a_tall_product(isa, threads, dtype, k):
    for n in COLUMNS:
        a, b, bias, mask = operands(7, n, k, dtype, seed=n * 1000 + k)
        for options in ({}, {"bias": bias}, {"bias": bias, "activation": "relu"}, {"relu_mask": mask}):
            threads(1)
            tall = kernels.matmul(a, b, **options)
            for rows in (1, 2):
                kept = dict(options)
                if "relu_mask" in kept:
                    kept["relu_mask"] = mask[:rows]
                for count in (1, 2):
                    threads(count)
                    got = kernels.matmul(a[:rows], b, **kept)
                    np.testing.assert_array_equal(got, tall[:rows], err_msg=f"n={n} {sorted(options)}")
            expected = a @ b + (bias if "bias" in options else 0)
            if options.get("activation") == "relu":
                expected = np.maximum(expected, 0)
            if "relu_mask" in options:
                expected = np.where(mask > 0, expected, 0)
            tolerance = 1e-4 * np.sqrt(k) if dtype == np.float32 else 1e-12 * np.sqrt(k)
            np.testing.assert_allclose(tall, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_of_strided_operands(isa, dtype):
    a, b, _, _ = operands(6, 260, 150, dtype, seed=3)
    a_view, b_view = a[:, ::2], b[::2, 3:80]  # rows of A and B further apart than their lengths
    tall = kernels.matmul(a_view, b_view)
    np.testing.assert_array_equal(kernels.matmul(a_view[:1], b_view), tall[:1])
    np.testing.assert_array_equal(kernels.matmul(a_view[1:3], b_view), tall[1:3])
    out = np.full((3, 200), np.nan, dtype)
    kernels.matmul(a_view[:1], b_view, out=out[1:2, 10:87])
    np.testing.assert_array_equal(out[1, 10:87], tall[0])
    assert np.isnan(out[1, :10]).all() and np.isnan(out[1, 87:]).all() and np.isnan(out[0]).all()


def test_zero_sized_rows(isa):
    assert kernels.matmul(np.ones((1, 0), np.float32), np.ones((0, 9), np.float32)).tolist() == [[0.0] * 9]
    assert kernels.matmul(np.ones((1, 4), np.float32), np.ones((4, 0), np.float32)).shape == (1, 0)
