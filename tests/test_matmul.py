"""fastnn.kernels.matmul against the NumPy oracle fastnn.reference.matmul."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import kernels, reference

DTYPES = [np.float32, np.float64]


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def op(x, trans):
    return x.T if trans else x


def assert_close(a, b, got, **kw):
    """got matches the oracle within a bound scaled by eps, sqrt(k) and |op(a)|.|op(b)|."""
    want = reference.matmul(a, b, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    a64 = np.abs(op(np.asarray(a, dtype=np.float64), kw.get("trans_a", False)))
    b64 = np.abs(op(np.asarray(b, dtype=np.float64), kw.get("trans_b", False)))
    k = a64.shape[1]
    magnitude = a64 @ b64
    if kw.get("bias") is not None:
        magnitude = magnitude + np.abs(np.asarray(kw["bias"], dtype=np.float64))
    eps = np.finfo(got.dtype).eps
    bound = 4 * eps * np.sqrt(max(k, 1)) * magnitude + np.finfo(got.dtype).tiny
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert np.all(err <= bound), f"max error {err.max()} over bound at {np.unravel_index(np.argmax(err - bound), err.shape)}"


def check(a, b, **kw):
    got = kernels.matmul(a, b, **kw)
    assert_close(a, b, got, **kw)
    return got


def sweep_shapes():
    fixed = 17
    shapes = [(s, fixed, 19) for s in range(1, 32)]
    shapes += [(13, s, 11) for s in range(1, 32)]
    shapes += [(9, 21, s) for s in range(1, 32)]
    rng = np.random.default_rng(1)
    shapes += [tuple(int(x) for x in rng.integers(1, 32, size=3)) for _ in range(40)]
    return shapes


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_small_size(isa, dtype):
    rng = np.random.default_rng(0)
    for m, n, k in sweep_shapes():
        check(rand(rng, (m, k), dtype), rand(rng, (k, n), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "m,n,k",
    [(97, 97, 97), (101, 101, 101), (97, 101, 103), (128, 784, 512), (128, 512, 10), (784, 512, 128),
     (128, 784, 512), (5, 33, 600), (3, 4100, 5), (300, 7, 257)],
)
def test_larger_shapes(isa, dtype, m, n, k):
    rng = np.random.default_rng(m * n + k)
    check(rand(rng, (m, k), dtype), rand(rng, (k, n), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k", [(0, 5, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0), (0, 3, 0)])
def test_zero_size_dims(dtype, m, n, k):
    rng = np.random.default_rng(0)
    a, b = rand(rng, (m, k), dtype), rand(rng, (k, n), dtype)
    bias = rand(rng, (n,), dtype)
    for kw in [{}, {"bias": bias}, {"bias": bias, "activation": "relu"}]:
        got = kernels.matmul(a, b, **kw)
        np.testing.assert_array_equal(got, reference.matmul(a, b, **kw))
        assert got.dtype == dtype and got.shape == (m, n)


def layouts(rng, shape, dtype):
    """The same values as views with different memory layouts."""
    m, n = shape
    base = rand(rng, shape, dtype)
    yield "c", base
    yield "fortran", np.asfortranarray(base)
    big = rand(rng, (2 * m + 1, 3 * n + 2), dtype)
    yield "strided", big[1::2, 2::3]
    yield "negative", big[::-2, ::-3][:m, :n]
    yield "transposed view", np.ascontiguousarray(base.T).T
    yield "broadcast row", np.broadcast_to(base[:1], shape)
    raw = np.zeros(m * ((n + 1) * 8 + 1) + 16, dtype=np.uint8)
    odd = np.ndarray(shape, dtype=dtype, buffer=raw, offset=1,
                     strides=((n + 1) * np.dtype(dtype).itemsize + 1, np.dtype(dtype).itemsize))
    odd[...] = base
    yield "misaligned strides", odd
    item = np.dtype(dtype).itemsize
    shifted = np.ndarray(shape, dtype=dtype, buffer=np.zeros(m * n * item + 1, np.uint8), offset=1)
    shifted[...] = base
    yield "misaligned start", shifted


@pytest.mark.parametrize("dtype", DTYPES)
def test_memory_layouts(isa, dtype):
    rng = np.random.default_rng(2)
    m, n, k = 23, 37, 29
    for name_a, a in layouts(rng, (m, k), dtype):
        for name_b, b in layouts(rng, (k, n), dtype):
            check(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_transposed_operands(isa, dtype, trans_a, trans_b):
    rng = np.random.default_rng(3)
    for m, n, k in [(7, 5, 3), (31, 17, 29), (128, 40, 64), (40, 100, 300)]:
        a = rand(rng, (k, m) if trans_a else (m, k), dtype)
        b = rand(rng, (n, k) if trans_b else (k, n), dtype)
        check(a, b, trans_a=trans_a, trans_b=trans_b)
        check(a[::-1], b[:, ::-1], trans_a=trans_a, trans_b=trans_b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_products_of_a_dense_layer(isa, dtype):
    rng = np.random.default_rng(4)
    x, w, dz = rand(rng, (128, 784), dtype), rand(rng, (784, 512), dtype), rand(rng, (128, 512), dtype)
    dw = check(x, dz, trans_a=True)
    assert dw.shape == (784, 512)
    dx = check(dz, w, trans_b=True)
    assert dx.shape == (128, 784)


@pytest.mark.parametrize("dtype", DTYPES)
def test_epilogue(isa, dtype):
    rng = np.random.default_rng(5)
    for m, n, k in [(1, 1, 1), (6, 16, 8), (13, 29, 31), (97, 101, 300), (128, 10, 512)]:
        a, b = rand(rng, (m, k), dtype), rand(rng, (k, n), dtype)
        bias = rand(rng, (n,), dtype)
        y = rand(rng, (m, n), dtype)
        check(a, b, bias=bias)
        check(a, b, activation="relu")
        check(a, b, bias=bias, activation="relu")
        check(a, b, relu_mask=y)
        check(a, b, relu_mask=y > 0)
        check(a, b, relu_mask=(y > 0).astype(np.int8))
        check(a, b, relu_mask=np.asfortranarray(y))
        check(a, b, relu_mask=y.astype(np.float64 if dtype == np.float32 else np.float32))
        check(a, b, bias=bias.astype(np.float64), activation="relu", relu_mask=y, trans_b=False)
        check(a, b, bias=list(bias), relu_mask=y[::-1])


def test_relu_really_clips_and_mask_really_masks():
    a = np.array([[1.0, -2.0]], dtype=np.float32)
    b = np.eye(2, dtype=np.float32)
    np.testing.assert_array_equal(kernels.matmul(a, b, activation="relu"), [[1.0, 0.0]])
    np.testing.assert_array_equal(kernels.matmul(a, b, bias=[0.5, 3.0], activation="relu"), [[1.5, 1.0]])
    np.testing.assert_array_equal(kernels.matmul(a, b, relu_mask=[[0.0, 1.0]]), [[0.0, -2.0]])


def test_mask_zeroes_nan_and_relu_keeps_nan(isa):
    a = np.full((7, 3), np.nan, dtype=np.float32)
    b = np.ones((3, 18), dtype=np.float32)
    mask = np.zeros((7, 18), dtype=np.float32)
    mask[::2] = 1
    got = kernels.matmul(a, b, activation="relu", relu_mask=mask)
    want = reference.matmul(a, b, activation="relu", relu_mask=mask)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[::2]).all() and (got[1::2] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_out(dtype):
    rng = np.random.default_rng(6)
    a, b = rand(rng, (19, 23), dtype), rand(rng, (23, 21), dtype)
    want = reference.matmul(a, b)
    out = np.empty((19, 21), dtype=dtype)
    assert kernels.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    for out in [np.empty((21, 19), dtype=dtype).T, np.empty((19, 42), dtype=dtype)[:, ::2],
                np.empty((38, 21), dtype=dtype)[::-2]]:
        result = kernels.matmul(a, b, out=out)
        assert result is out
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_out_aliasing_an_input():
    rng = np.random.default_rng(7)
    a, b = rand(rng, (40, 40), np.float64), rand(rng, (40, 40), np.float64)
    want = reference.matmul(a, b)
    kernels.matmul(a, b, out=a)
    np.testing.assert_allclose(a, want, rtol=1e-12, atol=1e-12)
    mask = rand(rng, (40, 40), np.float64)
    want = reference.matmul(b, b, relu_mask=mask)
    kernels.matmul(b, b, relu_mask=mask, out=mask)
    np.testing.assert_allclose(mask, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_partly_overlapping_an_input(dtype):
    """out sharing some bytes with a, b or bias (views, reversed strides) still gets the oracle."""
    rng = np.random.default_rng(8)
    for layout in range(4):
        buf = rand(rng, (30, 40), dtype)
        if layout == 0:
            a, b, bias, out = buf[:10, :20], rand(rng, (20, 8), dtype), None, buf[5:15, 10:18]
        elif layout == 1:
            a, b, bias, out = rand(rng, (10, 20), dtype), buf[::-1, ::-1][:20, :8], None, buf[20:, :8]
        elif layout == 2:
            a, b, bias, out = rand(rng, (6, 20), dtype), rand(rng, (20, 8), dtype), buf[0, 3:11], buf[:6, :8]
        else:
            a, b, bias, out = buf[10:20, :20].T, buf[20:30, 20:28], None, buf[::-1, :8][:20]
        want = reference.matmul(a.copy(), b.copy(), bias=None if bias is None else bias.copy())
        kernels.matmul(a, b, out=out, bias=bias)
        np.testing.assert_allclose(out, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize(
    "da,db,want",
    [(np.float32, np.float32, np.float32), (np.float32, np.float64, np.float64), (np.int64, np.int32, np.float64),
     (np.int8, np.float32, np.float64), (bool, bool, np.float64), (np.float16, np.float16, np.float32),
     (np.float16, np.float32, np.float32)],
)
def test_dtype_promotion(da, db, want):
    rng = np.random.default_rng(8)
    a = (rng.standard_normal((5, 7)) * 4).astype(da)
    b = (rng.standard_normal((7, 3)) * 4).astype(db)
    got = check(a, b)
    assert got.dtype == want


def test_accepts_nested_lists():
    got = kernels.matmul([[1, 2], [3, 4]], [[5], [6]])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[17.0], [39.0]])


def raises_like_oracle(*args, **kw):
    with pytest.raises(Exception) as want:
        reference.matmul(*args, **kw)
    with pytest.raises(want.type) as got:
        kernels.matmul(*args, **kw)
    assert str(got.value) == str(want.value)
    return got


def test_errors_match_the_oracle():
    f = np.ones((3, 4), dtype=np.float32)
    assert "(3, 4) and (5, 2)" in str(raises_like_oracle(f, np.ones((5, 2))).value)
    raises_like_oracle(f, np.ones((3, 2)), trans_b=True)
    raises_like_oracle(f, np.ones((3, 2)), trans_a=True, trans_b=True)
    assert raises_like_oracle(np.ones(4), np.ones((4, 2))).type is ValueError
    assert raises_like_oracle(np.ones((2, 3, 4)), np.ones((4, 2))).type is ValueError
    raises_like_oracle(np.ones(()), np.ones((4, 2)))
    assert raises_like_oracle(f.astype(object), np.ones((4, 2))).type is TypeError
    assert raises_like_oracle(f, np.ones((4, 2), dtype=complex)).type is TypeError
    assert raises_like_oracle(np.array([["a"]]), np.ones((1, 1))).type is TypeError
    raises_like_oracle(np.ones((2, 2), dtype=np.longdouble), np.ones((2, 2)))
    raises_like_oracle(f, np.ones((4, 2)), activation="tanh")
    raises_like_oracle(f, np.ones((4, 2)), bias=np.ones(3))
    raises_like_oracle(f, np.ones((4, 2)), bias=np.ones((1, 2)))
    raises_like_oracle(f, np.ones((4, 2)), bias=np.ones(2, dtype=complex))
    raises_like_oracle(f, np.ones((4, 2)), relu_mask=np.ones((2, 3)))
    raises_like_oracle(f, np.ones((4, 2)), out=np.empty((3, 3), dtype=np.float64))
    raises_like_oracle(f, np.ones((4, 2), dtype=np.float32), out=np.empty((3, 2), dtype=np.float64))
    raises_like_oracle(f, np.ones((4, 2)), out=[[0.0, 0.0]] * 3)
    read_only = np.empty((3, 2))
    read_only.flags.writeable = False
    raises_like_oracle(f, np.ones((4, 2)), out=read_only)


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
@pytest.mark.parametrize("dtype", DTYPES)
def test_bitwise_identical_for_any_thread_count(isa, threads, dtype):
    rng = np.random.default_rng(9)
    # Each case is above the ~1 MFLOP threshold where a second thread starts.
    cases = [((128, 784, 512), {}), ((97, 101, 300), {"trans_a": True}), ((7, 600, 200), {}),
             ((1000, 10, 64), {"trans_b": True}), ((67, 45, 700), {"activation": "relu"})]
    for (m, n, k), kw in cases:
        a = rand(rng, (k, m) if kw.get("trans_a") else (m, k), dtype)
        b = rand(rng, (n, k) if kw.get("trans_b") else (k, n), dtype)
        results = []
        for count in (1, 2, 3):
            threads(count)
            results.append(kernels.matmul(a, b, bias=rand(np.random.default_rng(0), (n,), dtype), **kw))
        for other in results[1:]:
            np.testing.assert_array_equal(results[0].view(np.uint8), other.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k", [(128, 784, 512), (7, 33, 21), (13, 16, 8), (5, 40, 3), (97, 101, 300)])
def test_packing_from_either_layout_gives_the_same_bits(isa, dtype, m, n, k):
    """Packing only moves values: A or B by rows or by columns, reversed or not, same bits."""
    rng = np.random.default_rng(m + n + k)
    a, bt = rand(rng, (m, k), dtype), rand(rng, (n, k), dtype)
    got = kernels.matmul(a, bt, trans_b=True)
    np.testing.assert_array_equal(got, kernels.matmul(a, np.ascontiguousarray(bt.T)))
    np.testing.assert_array_equal(got[:, ::-1], kernels.matmul(a, bt[::-1], trans_b=True))
    np.testing.assert_array_equal(got, kernels.matmul(np.ascontiguousarray(a.T), bt, trans_a=True, trans_b=True))
    np.testing.assert_array_equal(got[::-1], kernels.matmul(a[::-1], bt, trans_b=True))


@pytest.mark.parametrize("dtype", DTYPES)
def test_result_independent_of_tile_position(isa, dtype):
    """Shifting rows or columns moves every element between edge and interior tiles."""
    rng = np.random.default_rng(10)
    a, b = rand(rng, (50, 300), dtype), rand(rng, (300, 45), dtype)
    full = kernels.matmul(a, b, activation="relu")
    for i, j in [(1, 0), (0, 1), (5, 7), (13, 3)]:
        part = kernels.matmul(a[i:], b[:, j:], activation="relu")
        np.testing.assert_array_equal(part, full[i:, j:])


def test_concurrent_calls_from_python_threads():
    rng = np.random.default_rng(11)
    pairs = [(rand(rng, (64 + i, 200), np.float32), rand(rng, (200, 70 - i), np.float32)) for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda ab: kernels.matmul(*ab), pairs))
    for (a, b), got in zip(pairs, results):
        np.testing.assert_array_equal(got, kernels.matmul(a, b))


@st.composite
def strided_problem(draw):
    dtype = draw(st.sampled_from(DTYPES))
    m, n, k = (draw(st.integers(0, 40)) for _ in range(3))
    trans_a, trans_b = draw(st.booleans()), draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)

    def view(shape):
        steps = [draw(st.sampled_from([1, 2, 3, -1, -2])) for _ in shape]
        big = rand(rng, tuple(s * abs(t) for s, t in zip(shape, steps)), dtype)
        return big[tuple(slice(None, None, t) for t in steps)]

    a = view((k, m) if trans_a else (m, k))
    b = view((n, k) if trans_b else (k, n))
    kw = {"trans_a": trans_a, "trans_b": trans_b}
    if draw(st.booleans()):
        kw["bias"] = rand(rng, (n,), dtype)
    if draw(st.booleans()):
        kw["activation"] = "relu"
    if draw(st.booleans()):
        kw["relu_mask"] = view((m, n))
    return a, b, kw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strided_problem())
def test_hypothesis_shapes_and_strides(isa, problem):
    a, b, kw = problem
    check(a, b, **kw)
