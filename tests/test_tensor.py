"""The Tensor class: construction, attributes, operators, dtypes, indexing."""
import numpy as np
import pytest

import fastnn as fn


def test_construction_keeps_numpy_dtypes():
    assert fn.Tensor(1.5).dtype == np.float64
    assert fn.Tensor([1.0, 2.0]).dtype == np.float64
    assert fn.Tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert fn.Tensor([1, 2, 3]).dtype.kind == "i"
    assert fn.Tensor(fn.Tensor([1.0])).dtype == np.float64


def test_tensor_shares_the_array_it_wraps():
    a = np.arange(6.0).reshape(2, 3)
    t = fn.Tensor(a)
    assert t.data is a and t.numpy() is a and np.asarray(t) is a


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), np.array([True, False]), np.zeros(2, np.float16)])
def test_requires_grad_needs_float32_or_float64(data):
    with pytest.raises(TypeError, match="float32 and float64"):
        fn.Tensor(data, requires_grad=True)


@pytest.mark.parametrize("data", [np.array(["a"]), np.array([1 + 2j]), np.array([None], dtype=object)])
def test_non_numeric_data_is_rejected(data):
    with pytest.raises(TypeError, match="real numbers"):
        fn.Tensor(data)


def test_attributes():
    t = fn.Tensor(np.zeros((2, 3, 4), np.float32), requires_grad=True)
    assert (t.shape, t.ndim, t.size, len(t), t.dtype) == ((2, 3, 4), 3, 24, 2, np.float32)
    assert t.requires_grad and t.grad is None and t.is_leaf
    assert fn.Tensor(3.5).item() == 3.5 and float(fn.Tensor(2.0)) == 2.0
    with pytest.raises(TypeError, match="0-d"):
        len(fn.Tensor(1.0))
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    d = t.detach()
    assert not d.requires_grad and d.data is t.data


def test_repr_looks_like_numpy():
    assert repr(fn.Tensor([[1.0, 2.0]], requires_grad=True)) == "Tensor([[1., 2.]], requires_grad=True)"
    assert repr(fn.Tensor(np.array([1, 2], np.float32))) == "Tensor([1., 2.], dtype=float32)"
    assert repr(fn.Tensor([3, 4])) == "Tensor([3, 4])"
    assert repr(fn.Tensor(np.eye(2))) == "Tensor([[1., 0.],\n        [0., 1.]])"


def test_operators_with_scalars_and_arrays_on_either_side():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.5, -1.5])
    t = fn.Tensor(a)
    cases = [
        (t + b, a + b), (b + t, b + a), (t - b, a - b), (b - t, b - a), (2 * t, 2 * a), (t * b, a * b),
        (t / 2, a / 2), (1 / t, 1 / a), (b / t, b / a), (t ** 2, a ** 2), (-t, -a), (3 - t, 3 - a),
        (t @ a, a @ a), (a @ t, a @ a),
    ]
    for got, expected in cases:
        assert isinstance(got, fn.Tensor)
        np.testing.assert_allclose(got.data, expected, rtol=1e-15)


def test_comparisons_return_plain_bool_arrays():
    t = fn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for got, expected in [(t > 1.5, [False, True, True]), (t <= 2, [True, True, False]),
                          (t == fn.Tensor([1.0, 0, 3]), [True, False, True]), (t != 2, [True, False, True]),
                          (np.array([2.0, 2, 2]) < t, [False, False, True]), (t >= t, [True] * 3)]:
        assert type(got) is np.ndarray and got.dtype == bool
        np.testing.assert_array_equal(got, expected)


def test_python_scalars_do_not_upcast_float32():
    t = fn.Tensor(np.ones(3, np.float32), requires_grad=True)
    for out in (t * 2.0, 2.0 * t, t + 1, 1 - t, t / 3.0, 3.0 / t, t ** 2.5, fn.maximum(t, 0.5),
                fn.clip(t, 0.0, 1.0), fn.where(t.data > 0, t, 0.0), t.mean(), fn.sqrt(t)):
        assert out.dtype == np.float32


def test_float64_arrays_promote_like_numpy():
    t = fn.Tensor(np.ones(3, np.float32), requires_grad=True)
    out = t * np.ones(3)
    assert out.dtype == np.float64
    out.sum().backward()
    assert t.grad.dtype == np.float32


def test_integer_tensors_compute_without_gradients():
    t = fn.Tensor(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal((t + 1).data, np.arange(1, 7).reshape(2, 3))
    assert (t + 1).dtype.kind == "i"
    np.testing.assert_array_equal(t.sum(axis=0).data, [3, 5, 7])
    np.testing.assert_allclose(t.mean().data, 2.5)
    np.testing.assert_allclose((t / 2).data, np.arange(6).reshape(2, 3) / 2)
    np.testing.assert_array_equal(fn.relu(t - 2).data, np.maximum(np.arange(6).reshape(2, 3) - 2, 0))


def test_power_needs_a_scalar_exponent():
    t = fn.Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="exponent must be a scalar"):
        t ** t
    with pytest.raises(TypeError, match="exponent must be a scalar"):
        fn.power(t, [1, 2])


# The chapter's slices of a (samples, 28, 28) batch of images.
CHAPTER_SLICES = [
    ("t[4]", lambda t: t[4]),
    ("t[10:100]", lambda t: t[10:100]),
    ("t[10:100, :, :]", lambda t: t[10:100, :, :]),
    ("t[10:100, 0:28, 0:28]", lambda t: t[10:100, 0:28, 0:28]),
    ("t[:, 14:, 14:]", lambda t: t[:, 14:, 14:]),
    ("t[:, 7:-7, 7:-7]", lambda t: t[:, 7:-7, 7:-7]),
    *[(f"t[128 * {n}:128 * ({n} + 1)]", lambda t, n=n: t[128 * n:128 * (n + 1)]) for n in (0, 1, 2)],
]


@pytest.mark.parametrize("name, take", CHAPTER_SLICES, ids=[s[0] for s in CHAPTER_SLICES])
def test_chapter_slices_forward_and_gradient(name, take):
    images = np.random.default_rng(0).random((300, 28, 28)).astype(np.float32)
    t = fn.Tensor(images, requires_grad=True)
    out = take(t)
    np.testing.assert_array_equal(out.data, take(images))
    assert out.dtype == np.float32
    g = np.random.default_rng(1).random(out.shape).astype(np.float32)
    out.backward(g)
    expected = np.zeros_like(images)
    take(expected)[...] = g
    np.testing.assert_array_equal(t.grad, expected)


def test_last_partial_batch_slice():
    t = fn.Tensor(np.arange(300.0), requires_grad=True)
    assert t[128 * 2:128 * 3].shape == (44,)


def test_fancy_index_gradients_accumulate_repeats():
    t = fn.Tensor(np.zeros((3, 2)), requires_grad=True)
    t[fn.Tensor(np.array([2, 0, 2, 2]))].sum().backward()
    np.testing.assert_array_equal(t.grad, [[1, 1], [0, 0], [3, 3]])


def test_index_errors_come_from_numpy():
    with pytest.raises(IndexError):
        fn.Tensor(np.zeros(3))[5]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.sum(axis=2), np.exceptions.AxisError, r"sum: axis 2 is out of bounds for a tensor of 2"),
        (lambda t: t.mean(axis=(0, -2)), ValueError, r"mean: repeated axis"),
        (lambda t: fn.softmax(t, axis=-3), np.exceptions.AxisError, r"softmax: axis -3 is out of bounds"),
        (lambda t: fn.log_softmax(t, axis=2), np.exceptions.AxisError, r"log_softmax: axis 2 is out of bounds"),
        (lambda t: t.transpose(0, 0), ValueError, r"not a permutation of the 2 axes of shape \(2, 3\)"),
        (lambda t: t.reshape(4, 2), ValueError, r"cannot reshape array of size 6"),
        (lambda t: t[:0].max(), ValueError, r"max of an empty tensor \(shape \(0, 3\)\)"),
        (lambda t: fn.clip(t, 1.0, 0.0), ValueError, r"Received: lo=1.0, hi=0.0"),
        (lambda t: fn.softmax(fn.Tensor(1.0)), ValueError, r"at least 1 dimension"),
        (lambda t: fn.log_softmax(fn.Tensor(1.0)), ValueError, r"at least 1 dimension"),
        (lambda t: t + np.ones(4), ValueError, r"shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(fn.Tensor(np.ones((2, 3)), requires_grad=True))


def test_backward_accepts_a_tensor_gradient():
    x = fn.Tensor(np.ones(3), requires_grad=True)
    (x * 2).backward(fn.Tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
