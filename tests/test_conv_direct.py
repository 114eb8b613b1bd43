"""conv2d and its kernel gradient with a short K = KH*KW*C <= 16 (a few input channels, the first
layer of an MNIST convnet), which sum straight from the image's windows instead of im2col + GEMM:
odd shapes against the NumPy oracle, and the bits each output's fixed order of sums gives, on
each instruction set this CPU can run."""
import numpy as np
import pytest

from fastnn import _windows, kernels, reference
from fastnn.kernel_table import RECORDS

DIRECT_MAX_DEPTH = 16
RECORD = {r.name: r for r in RECORDS}

# (x shape, window, filters, strides, padding, dilation): C 1-3, F 1-31 and 97, both paddings,
# strides 2, dilation 2, H and W from 1 to 31.
CASES = [
    ((2, 28, 28, 1), (3, 3), 32, (1, 1), "same", (1, 1)),
    ((2, 28, 28, 1), (3, 3), 32, (1, 1), "valid", (1, 1)),
    ((1, 1, 1, 1), (3, 3), 5, (1, 1), "same", (1, 1)),
    ((3, 1, 7, 2), (1, 3), 31, (1, 1), "same", (1, 1)),
    ((1, 31, 2, 3), (2, 2), 97, (2, 1), "same", (1, 1)),
    ((2, 9, 13, 1), (4, 4), 17, (2, 2), "same", (1, 1)),
    ((2, 13, 9, 1), (3, 3), 1, (2, 2), "valid", (2, 2)),
    ((1, 17, 19, 2), (2, 3), 7, (1, 2), "same", (2, 2)),
    ((1, 11, 11, 3), (2, 2), 33, (1, 1), "same", (2, 1)),
    ((2, 5, 31, 1), (1, 5), 16, (2, 2), "same", (1, 2)),
    ((1, 23, 6, 2), (3, 1), 8, (1, 1), "valid", (3, 1)),
    ((1, 7, 7, 16), (1, 1), 9, (1, 1), "valid", (1, 1)),
    ((2, 6, 5, 16), (1, 1), 3, (2, 2), "same", (1, 1)),
    ((1, 12, 12, 4), (2, 2), 64, (2, 2), "same", (1, 1)),
    ((1, 3, 29, 1), (3, 3), 2, (1, 1), "same", (1, 1)),
    ((5, 10, 3, 1), (3, 2), 24, (1, 2), "same", (2, 1)),
] + [((1, n, 32 - n, 1 + n % 3), (2, 2), n, (1 + n % 2, 1), "valid" if n % 2 and 4 <= n <= 28 else "same",
       (1, 1 + n // 16)) for n in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 30, 31)]


def case_id(case):
    x_shape, window, filters, strides, padding, dilation = case
    return "x{}-k{}-f{}-s{}-{}-d{}".format("x".join(map(str, x_shape)), "x".join(map(str, window)), filters,
                                          "x".join(map(str, strides)), padding, "x".join(map(str, dilation)))


def make(case, dtype, seed=0):
    x_shape, window, filters, strides, padding, dilation = case
    assert window[0] * window[1] * x_shape[3] <= DIRECT_MAX_DEPTH
    rng = np.random.default_rng(seed)
    kwargs = {"strides": strides, "padding": padding, "dilation_rate": dilation}
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(window + (x_shape[3], filters)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype)
    geom = _windows.conv_args("test", x_shape, kernel.shape, strides, padding, dilation)
    dy = rng.standard_normal((x_shape[0], geom[7], geom[8], filters)).astype(dtype)
    return x, kernel, bias, dy, kwargs, geom


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_oracle(case, dtype, isa):
    x, kernel, bias, dy, kwargs, _ = make(case, dtype)
    depth = kernel.shape[0] * kernel.shape[1] * kernel.shape[2]
    tol = RECORD["conv2d"].tolerance(dtype, depth)
    for extra in ({}, {"activation": "relu"}):
        got = kernels.conv2d(x, kernel, bias, **kwargs, **extra)
        want = reference.conv2d(x, kernel, bias, **kwargs, **extra)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))
    got = kernels.conv2d(x, kernel, **kwargs)
    want = reference.conv2d(x, kernel, **kwargs)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))
    dk, db = kernels.conv2d_kernel_grad(x, dy, kernel.shape[:2], **kwargs)
    want_dk, want_db = reference.conv2d_kernel_grad(x, dy, kernel.shape[:2], **kwargs)
    tol = RECORD["conv2d_kernel_grad"].tolerance(dtype, dy.shape[0] * dy.shape[1] * dy.shape[2])
    np.testing.assert_allclose(dk, want_dk, rtol=tol, atol=tol * max(1.0, np.abs(want_dk).max()))
    np.testing.assert_allclose(db, want_db, rtol=tol, atol=tol * max(1.0, np.abs(want_db).max()))


def zero_padded(x, geom, window, strides, dilation):
    """x inside zeros, cut to the rows and columns the windows of geom reach: its 'valid'
    convolution is x's padded one."""
    n, h, w, c = x.shape
    oh, ow, pt, pl = geom[7], geom[8], geom[-2], geom[-1]
    rows = (oh - 1) * strides[0] + (window[0] - 1) * dilation[0] + 1
    cols = (ow - 1) * strides[1] + (window[1] - 1) * dilation[1] + 1
    out = np.zeros((n, max(rows, pt + h), max(cols, pl + w), c), x.dtype)
    out[:, pt:pt + h, pl:pl + w] = x
    return out[:, :rows, :cols]


@pytest.mark.parametrize("case", [c for c in CASES if c[4] == "same"], ids=case_id)
def test_same_padding_gives_the_bits_of_explicit_zeros(case, isa):
    """A window over the padding sums its zeros like any other values, in the same order."""
    for dtype in (np.float32, np.float64):
        x, kernel, bias, dy, kwargs, geom = make(case, dtype, seed=1)
        padded = zero_padded(x, geom, kernel.shape[:2], kwargs["strides"], kwargs["dilation_rate"])
        valid = dict(kwargs, padding="valid")
        assert np.array_equal(bits(kernels.conv2d(x, kernel, bias, activation="relu", **kwargs)),
                              bits(kernels.conv2d(padded, kernel, bias, activation="relu", **valid)))
        assert np.array_equal(bits(kernels.conv2d(x, kernel, **kwargs)), bits(kernels.conv2d(padded, kernel, **valid)))
        for got, want in zip(kernels.conv2d_kernel_grad(x, dy, kernel.shape[:2], **kwargs),
                             kernels.conv2d_kernel_grad(padded, dy, kernel.shape[:2], **valid)):
            assert np.array_equal(bits(got), bits(want))


@pytest.mark.parametrize("case", CASES[:12], ids=case_id)
def test_an_output_has_the_same_bits_wherever_it_is_computed(case, isa):
    """Each output is the same sum whichever image of the batch it is in, and whichever other
    filters are computed with it (rows and filter vectors are grouped differently)."""
    for dtype in (np.float32, np.float64):
        x, kernel, bias, _, kwargs, _ = make(case, dtype, seed=2)
        x = np.concatenate([x, x[::-1], x[:1]])
        whole = kernels.conv2d(x, kernel, bias, activation="relu", **kwargs)
        for i in range(x.shape[0]):
            alone = kernels.conv2d(x[i:i + 1], kernel, bias, activation="relu", **kwargs)
            assert np.array_equal(bits(whole[i:i + 1]), bits(alone))
        filters = kernel.shape[3]
        for lo, hi in {(0, 1), (filters - 1, filters), (filters // 3, filters), (1, max(1, filters - 2))}:
            if lo < hi:
                part = kernels.conv2d(x, np.ascontiguousarray(kernel[..., lo:hi]), bias[lo:hi], activation="relu",
                                      **kwargs)
                assert np.array_equal(bits(whole[..., lo:hi]), bits(part))


def windows_in_order(x, geom, window, strides, dilation):
    """im2col: (rows, K) windows in (kh, kw, c) order, zeros for padding."""
    padded = zero_padded(x, geom, window, strides, dilation)
    oh, ow = geom[7], geom[8]
    cols = [padded[:, a * dilation[0]:a * dilation[0] + (oh - 1) * strides[0] + 1:strides[0],
                   b * dilation[1]:b * dilation[1] + (ow - 1) * strides[1] + 1:strides[1], :]
            for a in range(window[0]) for b in range(window[1])]
    return np.concatenate(cols, axis=3).reshape(-1, window[0] * window[1] * x.shape[3])


@pytest.mark.parametrize("case", CASES[2:14], ids=case_id)
def test_portable_sums_in_the_documented_order(case):
    """Without FMA (the portable kernels), the bits are those of the plain loops: forward sums
    over k from 0 in order, then bias, then relu; the kernel gradient sums rows in order within
    each chunk of rows, then the chunks in order (the bias in double)."""
    if "portable" not in kernels.isas_available():
        pytest.skip("no portable kernels")
    from fastnn.kernel_table.isa import on_isa

    for dtype in (np.float32, np.float64):
        x, kernel, bias, dy, kwargs, geom = make(case, dtype, seed=3)
        window, strides, dilation = kernel.shape[:2], kwargs["strides"], kwargs["dilation_rate"]
        col = windows_in_order(x, geom, window, strides, dilation)
        flat_kernel = kernel.reshape(col.shape[1], -1)
        acc = np.zeros((col.shape[0], flat_kernel.shape[1]), dtype)
        for k in range(col.shape[1]):
            acc = acc + col[:, k:k + 1] * flat_kernel[k]
        acc = acc + bias
        want_y = np.where(acc < 0, 0, acc).astype(dtype).reshape(dy.shape)
        rows = col.shape[0]
        chunks = min(16, max(1, rows // 256))
        parts, bias_parts = [], []
        flat_dy = dy.reshape(rows, -1)
        for c in range(chunks):
            part = np.zeros(flat_kernel.shape, dtype)
            bias_part = np.zeros(flat_kernel.shape[1])
            for r in range(rows * c // chunks, rows * (c + 1) // chunks):
                part = part + col[r][:, None] * flat_dy[r]
                bias_part = bias_part + flat_dy[r]
            parts.append(part)
            bias_parts.append(bias_part)
        want_dk, want_db = parts[0], np.zeros(flat_kernel.shape[1])
        for part in parts[1:]:
            want_dk = want_dk + part
        for bias_part in bias_parts:
            want_db = want_db + bias_part
        with on_isa("portable"):
            y = kernels.conv2d(x, kernel, bias, activation="relu", **kwargs)
            dk, db = kernels.conv2d_kernel_grad(x, dy, window, **kwargs)
        assert np.array_equal(bits(y), bits(want_y))
        assert np.array_equal(bits(dk), bits(want_dk.reshape(kernel.shape)))
        assert np.array_equal(bits(db), bits(want_db.astype(dtype)))


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_bitwise_identical_at_any_thread_count(padding, isa, threads):
    """Many segments and chunks (several images, rows split between threads)."""
    rng = np.random.default_rng(4)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((24, 28, 28, 1)).astype(dtype)
        kernel = rng.standard_normal((3, 3, 1, 20)).astype(dtype)
        bias = rng.standard_normal(20).astype(dtype)
        results = []
        for n in (1, 2, 3):
            threads(n)
            y = kernels.conv2d(x, kernel, bias, padding=padding, activation="relu")
            dk, db = kernels.conv2d_kernel_grad(x, np.sin(y), (3, 3), padding=padding)
            results.append([bits(y), bits(dk), bits(db)])
        for other in results[1:]:
            for a, b in zip(results[0], other):
                assert np.array_equal(a, b)
