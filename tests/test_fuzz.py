"""Opt-in fuzzing (pytest -m fuzz): Hypothesis drives every kernel with random shapes, strides,
dtypes and arguments against its oracle, and the IDX reader with corrupted files.

A kernel must give the oracle's result, or raise the oracle's exception type when the oracle
raises. The IDX reader must return an array or raise ValueError, whatever the bytes.
FASTNN_FUZZ_EXAMPLES sets the number of cases per test (default 2000).
"""
import gzip
import os
import struct
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastnn.kernel_table import RECORDS_BY_NAME  # noqa: E402

from fastnn import kernels  # noqa: E402
from fastnn.datasets.idx import IDX_DTYPES, read_idx  # noqa: E402

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FASTNN_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FLOATS = st.sampled_from([np.float32, np.float64])
COUNTS = {}  # cases run per kernel
RAISED = {}  # of which the oracle (and so the kernel) raised


def sizes(small=9):
    """Mostly small sizes with zero, the odd 31-101 and one larger size."""
    return st.one_of(st.integers(0, small), st.sampled_from([1, 2, 3, 17, 31, 97, 101, 160]))


@st.composite
def placed(draw, values):
    """values copied into a view with random axis order and random (possibly negative) steps."""
    if values.ndim == 0:
        return values.copy()
    order = draw(st.permutations(range(values.ndim)))
    steps = [draw(st.sampled_from([1, 1, 1, 2, -1, -2, 3])) for _ in range(values.ndim)]
    base = np.zeros([values.shape[axis] * abs(steps[axis]) for axis in order], values.dtype)
    view = base[tuple(slice(None, None, steps[axis]) for axis in order)]
    view = view.transpose(np.argsort(order))
    view[...] = values
    assert view.shape == values.shape
    return view


@st.composite
def arrays(draw, shape, dtype, low=-3.0, high=3.0):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-3, 1e3]))
    values = np.asarray(rng.uniform(low, high, shape) * scale, dtype=dtype)
    return draw(placed(values))


@st.composite
def shapes(draw, min_rank=0, max_rank=3):
    return tuple(draw(sizes()) for _ in range(draw(st.integers(min_rank, max_rank))))


def copy_args(args, kwargs):
    """Independent copies (same values) for the oracle, so in-place kernels do not interfere."""
    def copy(v):
        return v.copy() if isinstance(v, np.ndarray) else v
    return tuple(copy(a) for a in args), {k: copy(v) for k, v in kwargs.items()}


def finite_max(x):
    """The largest finite magnitude in x (0 when there is none)."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    x = x[np.isfinite(x)]
    return float(x.max()) if x.size else 0.0


def largest_input(args):
    """The largest magnitude among the float inputs: rounding errors scale with it, not with the
    result, when terms cancel (softmax_grad's dy - sum(dy * y), a matmul's dot products)."""
    values = [finite_max(a) for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return max(values, default=1.0)


def against_oracle(name, args, kwargs, reduction=1, magnitude=None):
    """Runs the kernel and its oracle on equal inputs; they must agree on the result or the error.

    Results are compared within the record's tolerance, scaled by the larger of the expected
    values and `magnitude` (default: the largest input).
    """
    record = RECORDS_BY_NAME[name]
    COUNTS[name] = COUNTS.get(name, 0) + 1
    oracle_args, oracle_kwargs = copy_args(args, kwargs)
    try:
        with np.errstate(all="ignore"):
            want_result = record.oracle(*oracle_args, **oracle_kwargs)
    except Exception as err:  # noqa: BLE001
        RAISED[name] = RAISED.get(name, 0) + 1
        with pytest.raises(type(err)):
            record.compiled(*args, **kwargs)
        return
    before = record.outputs(None, copy_args(args, {})[0]) if record.mutates else None
    result = record.compiled(*args, **kwargs)
    got = record.outputs(result, args)
    want = record.outputs(want_result, oracle_args)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if g.dtype.kind != "f":
            np.testing.assert_array_equal(g, w)
            continue
        tol = float(record.tolerance(g.dtype, reduction))
        scale = max(1.0, finite_max(w), largest_input(args) if magnitude is None else magnitude)
        if before is not None and i < len(before):  # an in-place update: errors scale with the step taken
            scale = max(scale, finite_max(w.astype(np.float64) - before[i]))
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)


def broadcast_partner(draw, shape):
    """A shape that broadcasts with `shape`, or now and then one that does not."""
    partner = [draw(st.sampled_from([d, d, 1])) for d in shape[len(shape) - draw(st.integers(0, len(shape))):]]
    if partner and draw(st.integers(0, 9)) == 0:
        partner[-1] = draw(sizes()) + 2
    return tuple(partner)


def maybe_out(draw, shape, dtype):
    if draw(st.booleans()):
        return {}
    if draw(st.integers(0, 19)) == 0:
        shape = tuple(shape) + (1,)  # wrong shape
    return {"out": draw(arrays(shape, dtype))}


# ---- element-wise ------------------------------------------------------------------------------
@FUZZ
@given(st.data(), shapes(), FLOATS, FLOATS)
def test_add(data, shape, dtype_a, dtype_b):
    draw = data.draw
    b_shape = broadcast_partner(draw, shape)
    if draw(st.booleans()):
        shape, b_shape = b_shape, shape
    a, b = draw(arrays(shape, dtype_a)), draw(arrays(b_shape, dtype_b))
    try:
        out_shape = np.broadcast_shapes(shape, b_shape)
    except ValueError:
        out_shape = shape
    against_oracle("add", (a, b), maybe_out(draw, out_shape, np.result_type(a, b)))


@FUZZ
@given(st.data(), shapes(), FLOATS)
def test_sum_to_shape(data, shape, dtype):
    draw = data.draw
    x = draw(arrays(shape, dtype))
    target = broadcast_partner(draw, shape)
    reduction = max(1, x.size // max(1, int(np.prod(target))))
    against_oracle("sum_to_shape", (x, target), {}, reduction)


@pytest.mark.parametrize("name", ["relu", "relu_grad"])
@FUZZ
@given(data=st.data(), shape=shapes(), dtype=FLOATS)
def test_relu_and_relu_grad(name, data, shape, dtype):
    draw = data.draw
    args = (draw(arrays(shape, dtype)),)
    if name == "relu_grad":
        other = shape if draw(st.integers(0, 9)) else broadcast_partner(draw, shape) + (2,)
        args += (draw(arrays(other, dtype)),)
    against_oracle(name, args, maybe_out(draw, shape, dtype))


MAP_RANGES = {"log": (0.0, 4.0), "power_grad": (0.0, 4.0), "divide": (0.25, 4.0)}
MAP_SCALARS = {"power": st.sampled_from([2.0, 3.0, -1.0]), "power_grad": st.sampled_from([2.0, 2.5, 0.5]),
               "clip": st.tuples(st.floats(-2, 0), st.floats(0, 2)), "clip_grad": st.tuples(st.floats(-2, 0), st.floats(0, 2)),
               "elu": st.floats(0, 3), "elu_grad": st.floats(0, 3),
               "leaky_relu": st.floats(0, 1), "leaky_relu_grad": st.floats(0, 1)}
ACTIVATIONS = ["elu", "selu", "leaky_relu", "softplus", "softsign", "gelu", "gelu_approximate", "silu", "hard_sigmoid"]
UNARY_MAPS = ["copy", "tanh", "sigmoid", "exp", "log", "power", "clip", *ACTIVATIONS]
BINARY_MAPS = ["multiply", "subtract", "divide", "tanh_grad", "sigmoid_grad", "power_grad", "clip_grad",
               *(name + "_grad" for name in ACTIVATIONS)]


@pytest.mark.parametrize("name", UNARY_MAPS + BINARY_MAPS)
@FUZZ
@given(data=st.data(), shape=shapes(), dtype=FLOATS)
def test_maps(name, data, shape, dtype):
    draw = data.draw
    low, high = MAP_RANGES.get(name, (-3.0, 3.0))
    args = (draw(arrays(shape, dtype, low, high)),)
    out_shape = shape
    if name in BINARY_MAPS:
        broadcasts = name in ("multiply", "subtract", "divide")
        other = broadcast_partner(draw, shape) if broadcasts else shape
        if not broadcasts and draw(st.integers(0, 19)) == 0:
            other = shape + (2,)
        args += (draw(arrays(other, dtype, low, high)),)
        try:
            out_shape = np.broadcast_shapes(shape, other)
        except ValueError:
            pass
    if name in MAP_SCALARS:
        scalars = draw(MAP_SCALARS[name])
        args += scalars if isinstance(scalars, tuple) else (scalars,)
    against_oracle(name, args, maybe_out(draw, out_shape, dtype))


@FUZZ
@given(data=st.data(), shape=shapes(), dtype=FLOATS)
def test_dropout(data, shape, dtype):
    draw = data.draw
    state = np.array([draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 2**40))], np.uint64)
    rate = draw(st.sampled_from([0.0, 0.1, 0.5, 0.99, 1.0]))
    against_oracle("dropout", (draw(arrays(shape, dtype)), rate, state), {})


# ---- softmax family ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "softmax_grad"])
@FUZZ
@given(data=st.data(), shape=shapes(min_rank=1), dtype=FLOATS)
def test_softmax_and_softmax_grad(name, data, shape, dtype):
    draw = data.draw
    x = draw(arrays(shape, dtype, -30.0, 30.0))
    args = (x,)
    if name == "softmax_grad":
        y = RECORDS_BY_NAME["softmax"].oracle(draw(arrays(shape, dtype)))
        args += (draw(placed(y)),)
    against_oracle(name, args, maybe_out(draw, shape, dtype), reduction=max(1, shape[-1]))


@st.composite
def xent_target(draw, n, k, dtype):
    kind = draw(st.sampled_from(["classes", "onehot", "probabilities", "bad classes", "bad shape"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "classes":
        return draw(placed(rng.integers(0, max(k, 1), n).astype(draw(st.sampled_from([np.int64, np.int32])))))
    if kind == "bad classes":
        return rng.integers(-2, k + 2, n)
    if kind == "bad shape":
        return np.zeros((n, k + 1), dtype)
    classes = rng.integers(0, max(k, 1), n)
    if kind == "onehot":
        return draw(placed(np.eye(max(k, 1), dtype=dtype)[classes][:, :k]))
    p = rng.uniform(0, 1, (n, k)).astype(dtype)
    return draw(placed(p / np.maximum(p.sum(axis=1, keepdims=True), 1e-3)))


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "softmax_cross_entropy_grad"])
@FUZZ
@given(data=st.data(), n=sizes(), k=sizes(), dtype=FLOATS)
def test_softmax_cross_entropy(name, data, n, k, dtype):
    draw = data.draw
    logits = draw(arrays((n, k), dtype, -20.0, 20.0))
    kwargs = {}
    if name.endswith("grad"):
        logits = np.abs(logits)
        kwargs["scale"] = draw(st.sampled_from([1.0, 0.5, 1.0 / max(n, 1)]))
    against_oracle(name, (logits, draw(xent_target(n, k, dtype))), kwargs, reduction=max(k, 1))


# ---- optimizers ------------------------------------------------------------------------------------
# Decay rates stay in [0.5, 1): with beta or rho near 0 the state update m + (g - m) * (1 - beta)
# cancels almost completely in float32, and kernel and oracle legitimately round it apart.
DECAY = st.floats(0.5, 0.999)
HYPERS = {
    "sgd_step": lambda d: dict(learning_rate=d(st.floats(0, 1)), momentum=d(st.floats(0, 1)),
                               nesterov=d(st.booleans())),
    "rmsprop_step": lambda d: dict(learning_rate=d(st.floats(0, 1)), rho=d(DECAY),
                                   momentum=d(st.floats(0, 0.99)), epsilon=d(st.sampled_from([1e-7, 1e-3]))),
    "adagrad_step": lambda d: dict(learning_rate=d(st.floats(0, 1)), epsilon=d(st.sampled_from([1e-7, 1e-3]))),
    "adam_step": lambda d: dict(learning_rate=d(st.floats(0, 1)), beta_1=d(DECAY),
                                beta_2=d(st.floats(0.5, 0.9999)), epsilon=d(st.sampled_from([1e-7, 1e-3])),
                                step=d(st.integers(1, 10_000))),
}
STATES = {"sgd_step": 1, "rmsprop_step": 2, "adagrad_step": 1, "adam_step": 2}


@pytest.mark.parametrize("name", sorted(HYPERS))
@FUZZ
@given(data=st.data(), shape=shapes(max_rank=2), dtype=FLOATS)
def test_optimizer_steps(name, data, shape, dtype):
    draw = data.draw
    param = draw(arrays(shape, dtype))
    grad_dtype = draw(st.sampled_from([dtype, dtype, np.float16, np.float64]))
    grad_shape = shape if draw(st.integers(0, 19)) else shape + (2,)
    grad = draw(arrays(grad_shape, grad_dtype))
    states = [draw(arrays(shape, dtype, 0.0, 1.0)) for _ in range(STATES[name])]
    if name in ("sgd_step", "rmsprop_step") and draw(st.booleans()):
        states[-1] = None
    against_oracle(name, (param, grad, *states), HYPERS[name](draw))


# ---- gather ------------------------------------------------------------------------------------------
@FUZZ
@given(st.data(), sizes(), shapes(max_rank=2), st.sampled_from([np.uint8, np.int16, np.float32, np.float64, bool]),
       FLOATS, st.sampled_from([np.int64, np.int32, np.uint32, np.intp]))
def test_gather_rows(data, n, inner, source, dtype, index_dtype):
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = draw(placed(rng.uniform(0, 200, (n,) + inner).astype(source)))
    count = draw(st.integers(0, 40))
    low = 0 if np.dtype(index_dtype).kind == "u" else -n
    high = n + (draw(st.integers(0, 9)) == 0)  # now and then an index out of range
    indices = draw(placed(rng.integers(low, high, count).astype(index_dtype))) if high > low \
        else np.zeros(count, index_dtype)
    kwargs = {"dtype": dtype}
    if draw(st.booleans()):
        kwargs["out"] = draw(arrays((count, int(np.prod(inner))), dtype))
    against_oracle("gather_rows", (x, indices), kwargs)


# ---- matmul ----------------------------------------------------------------------------------------------
@FUZZ
@given(st.data(), sizes(12), sizes(12), sizes(12), FLOATS, st.booleans(), st.booleans())
def test_matmul(data, m, n, k, dtype, trans_a, trans_b):
    draw = data.draw
    if draw(st.integers(0, 9)) == 0:
        m, n, k = (draw(st.integers(60, 300)) for _ in range(3))
    a = draw(arrays((k, m) if trans_a else (m, k), dtype))
    if a.size and draw(st.booleans()):
        # zeros, some in whole k steps: what matmul's zero skipping drops
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        density = draw(st.sampled_from([0.0, 0.1, 0.5]))
        a[rng.random(a.shape) >= density] = 0
        k_axis = 0 if trans_a else 1
        steps = rng.random(k) < 0.5
        a[(slice(None),) * k_axis + (steps,)] = 0
    b_k = k if draw(st.integers(0, 19)) else k + 1
    b = draw(arrays((n, b_k) if trans_b else (b_k, n), draw(st.sampled_from([dtype, dtype, np.float64]))))
    kwargs = {"trans_a": trans_a, "trans_b": trans_b}
    out_dtype = np.result_type(a, b)
    if draw(st.booleans()):
        kwargs["bias"] = draw(arrays((n,), out_dtype))
    if draw(st.booleans()):
        kwargs["activation"] = "relu"
    elif draw(st.integers(0, 3)) == 0:
        kwargs["relu_mask"] = draw(arrays((m, n), out_dtype))
    kwargs.update(maybe_out(draw, (m, n), out_dtype))
    magnitude = largest_input([a]) * largest_input([b]) + largest_input([kwargs.get("bias", np.zeros(0))])
    # every ISA path this CPU can run: AVX-512, AVX2/FMA, portable
    kernels._force_gemm_kernel(draw(st.sampled_from(kernels.gemm_kernels_available())))
    try:
        against_oracle("matmul", (a, b), kwargs, reduction=max(k, 1), magnitude=magnitude)
    finally:
        kernels._force_gemm_kernel(None)


# ---- convolution and pooling ----------------------------------------------------------------------------
@st.composite
def window_args(draw, conv):
    """(x shape, window, keyword arguments): small images, windows up to 4, now and then a bad value."""
    x_shape = (draw(st.integers(0, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(0, 5)))
    window = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    kwargs = {"padding": draw(st.sampled_from(["valid", "same", "valid", "same", "full"] if draw(
        st.integers(0, 19)) == 0 else ["valid", "same"]))}
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if draw(st.integers(0, 29)) == 0:
        strides = (0, 1)
    if conv:
        kwargs["strides"] = strides
        kwargs["dilation_rate"] = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    else:
        kwargs["pool_size"] = window
        kwargs["strides"] = draw(st.sampled_from([None, strides]))
    return x_shape, window, kwargs


def window_output_shape(x_shape, window, kwargs, filters):
    """The kernel's output shape, or x_shape when the arguments are bad (the oracle then raises)."""
    from fastnn import _windows

    try:
        if "pool_size" in kwargs:
            geom = _windows.pool_args("fuzz", x_shape, kwargs["pool_size"], kwargs["strides"], kwargs["padding"])
        else:
            geom = _windows.conv_args("fuzz", x_shape, window + (x_shape[3], filters), kwargs["strides"],
                                      kwargs["padding"], kwargs["dilation_rate"])
    except ValueError:
        return x_shape[:3] + (filters,)
    return _windows.output_shape(geom)


@pytest.mark.parametrize("name", ["conv2d", "conv2d_input_grad", "conv2d_kernel_grad"])
@FUZZ
@given(data=st.data(), args=window_args(conv=True), filters=st.integers(0, 6), dtype=FLOATS)
def test_conv2d(name, data, args, filters, dtype):
    draw = data.draw
    x_shape, window, kwargs = args
    kernel_shape = window + (x_shape[3], filters)
    y_shape = window_output_shape(x_shape, window, kwargs, filters)
    terms = {"conv2d": window[0] * window[1] * x_shape[3], "conv2d_input_grad": window[0] * window[1] * filters,
             "conv2d_kernel_grad": y_shape[0] * y_shape[1] * y_shape[2]}[name]
    if name == "conv2d":
        x, kernel = draw(arrays(x_shape, dtype)), draw(arrays(kernel_shape, dtype))
        if draw(st.booleans()):
            kwargs["activation"] = "relu"
        args = (x, kernel, draw(arrays((filters,), dtype))) if draw(st.booleans()) else (x, kernel)
        kwargs.update(maybe_out(draw, y_shape, dtype))
        magnitude = largest_input([x]) * largest_input([kernel]) + largest_input(args[2:])
    elif name == "conv2d_input_grad":
        dy, kernel = draw(arrays(y_shape, dtype)), draw(arrays(kernel_shape, dtype))
        args = (dy, kernel, x_shape)
        kwargs.update(maybe_out(draw, x_shape, dtype))
        magnitude = largest_input([dy]) * largest_input([kernel])
    else:
        x, dy = draw(arrays(x_shape, dtype)), draw(arrays(y_shape, dtype))
        args = (x, dy, window)
        magnitude = largest_input([x]) * largest_input([dy])
    against_oracle(name, args, kwargs, reduction=max(terms, 1), magnitude=magnitude)


@pytest.mark.parametrize("name", ["max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad"])
@FUZZ
@given(data=st.data(), args=window_args(conv=False), dtype=FLOATS, ties=st.booleans())
def test_pooling(name, data, args, dtype, ties):
    draw = data.draw
    x_shape, window, kwargs = args
    y_shape = window_output_shape(x_shape, window, kwargs, x_shape[3])
    if ties:  # small integers: equal values in most windows
        x = draw(placed(np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(-2, 3, x_shape).astype(dtype)))
    else:
        x = draw(arrays(x_shape, dtype))
    dy = draw(arrays(y_shape, dtype))
    args = {"max_pool2d": (x,), "avg_pool2d": (x,), "max_pool2d_grad": (x, dy), "avg_pool2d_grad": (dy, x_shape)}[name]
    out_shape = x_shape if name.endswith("grad") else y_shape
    kwargs.update(maybe_out(draw, out_shape, dtype))
    against_oracle(name, args, kwargs, reduction=window[0] * window[1])


def test_every_kernel_is_fuzzed():
    fuzzed = {"add", "sum_to_shape", "relu", "relu_grad", "softmax", "softmax_grad", "softmax_cross_entropy",
              "softmax_cross_entropy_grad", "gather_rows", "matmul", *HYPERS, *UNARY_MAPS, *BINARY_MAPS,
              "dropout", "conv2d", "conv2d_input_grad", "conv2d_kernel_grad", "max_pool2d", "max_pool2d_grad",
              "avg_pool2d", "avg_pool2d_grad"}
    assert fuzzed == set(RECORDS_BY_NAME)


# ---- IDX files --------------------------------------------------------------------------------------------
@st.composite
def idx_files(draw):
    code = draw(st.sampled_from(sorted(IDX_DTYPES)))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(draw(st.integers(1, 3))))
    payload = draw(st.binary(min_size=0, max_size=0)) + bytes(
        np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, 256, int(np.prod(shape))
                                                                         * IDX_DTYPES[code].itemsize, np.uint8))
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, code, len(shape), *shape) + payload


@st.composite
def corrupted(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        damage = draw(st.sampled_from(["flip", "truncate", "append", "header", "random", "dims"]))
        if damage == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        elif damage == "truncate":
            del data[draw(st.integers(0, len(data))):]
        elif damage == "append":
            data += draw(st.binary(min_size=1, max_size=20))
        elif damage == "header":
            data[:4] = draw(st.binary(min_size=0, max_size=6))
        elif damage == "dims" and len(data) >= 8:
            data[4:8] = struct.pack(">I", draw(st.sampled_from([0, 1, 255, 2**16, 2**31, 2**32 - 1])))
        else:
            data = bytearray(draw(st.binary(max_size=64)))
    return bytes(data)


@FUZZ
@given(st.data(), idx_files(), st.sampled_from(["plain", "gzip then corrupt", "corrupt then gzip"]))
def test_idx_reader_on_corrupt_files(tmp_path_factory, data, good, packing):
    draw = data.draw
    if packing == "gzip then corrupt":
        blob = draw(corrupted(gzip.compress(good)))
    elif packing == "corrupt then gzip":
        blob = gzip.compress(draw(corrupted(good)))
    else:
        blob = draw(corrupted(good))
    COUNTS["read_idx"] = COUNTS.get("read_idx", 0) + 1
    path = tmp_path_factory.mktemp("idx") / "file"
    path.write_bytes(blob)
    try:
        array = read_idx(path)
    except ValueError as err:
        RAISED["read_idx"] = RAISED.get("read_idx", 0) + 1
        assert str(path) in str(err) or "dimension" in str(err), err
    else:
        assert isinstance(array, np.ndarray) and array.dtype.isnative


def test_report_counts():
    """Prints how many cases each fuzz test ran (when the fuzz tests ran first in this session)."""
    print("\nfuzz cases (of which raised):",
          ", ".join(f"{name} {count} ({RAISED.get(name, 0)})" for name, count in sorted(COUNTS.items())))
