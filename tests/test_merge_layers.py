"""The merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and
Lambda: values against NumPy, float64 gradients against finite differences, broadcasting and
shape errors, and training inside a model."""
import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, models
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


ELEMENTWISE = {
    "Add": (layers.Add, lambda xs: sum(xs[1:], xs[0])),
    "Subtract": (layers.Subtract, lambda xs: xs[0] - xs[1]),
    "Multiply": (layers.Multiply, lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0)),
    "Average": (layers.Average, lambda xs: sum(xs[1:], xs[0]) / len(xs)),
    "Maximum": (layers.Maximum, lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs))),
    "Minimum": (layers.Minimum, lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merges_match_numpy_and_their_gradients(name):
    cls, reference = ELEMENTWISE[name]
    count = 2 if name == "Subtract" else 3
    xs = _arrays(*[(4, 5)] * count)
    np.testing.assert_allclose(cls()([fastnn.Tensor(x) for x in xs]).data, reference(xs), rtol=1e-12)
    assert gradcheck(lambda *ts: cls()(list(ts)), *xs)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_merges_broadcast_as_keras(name):
    cls, reference = ELEMENTWISE[name]
    a, b = _arrays((3, 4, 5), (3, 1, 5))
    np.testing.assert_allclose(cls()([fastnn.Tensor(a), fastnn.Tensor(b)]).data, reference([a, b]), rtol=1e-12)
    assert gradcheck(lambda x, y: cls()([x, y]), a, b)
    low_rank = _arrays((3, 5))[0]  # a unit axis is inserted after the batch axis: (3, 1, 5)
    merged = cls()([fastnn.Tensor(a), fastnn.Tensor(low_rank)]).data
    np.testing.assert_allclose(merged, reference([a, low_rank[:, None, :]]), rtol=1e-12)
    assert cls()([Input(shape=(4, 5)), Input(shape=(1, 5))]).shape == (None, 4, 5)
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(None, 4\), \(None, 5\)"):
        cls()([Input(shape=(4,)), Input(shape=(5,))])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        cls()(Input(shape=(4,)))


def test_maximum_and_minimum_give_the_gradient_to_the_first_at_ties_and_propagate_nan():
    a = fastnn.Tensor(np.array([[1.0, 2.0, np.nan]]), requires_grad=True)
    b = fastnn.Tensor(np.array([[1.0, 3.0, 0.0]]), requires_grad=True)
    out = layers.Maximum()([a, b])
    assert np.isnan(out.data[0, 2]) and out.data[0, 1] == 3.0
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(b.grad, [[0.0, 1.0, 1.0]])
    a.grad = b.grad = None
    layers.Minimum()([a, b]).sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0, 1.0, 0.0]])


def test_subtract_takes_exactly_two_inputs():
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.subtract([Input(shape=(2,))] * 3)


@pytest.mark.parametrize("axis, shapes", [(-1, [(3, 2, 4), (3, 2, 1), (3, 2, 5)]), (1, [(3, 2, 4), (3, 5, 4)]),
                                          (2, [(2, 3, 1, 2), (2, 3, 4, 2)])])
def test_concatenate_matches_numpy_and_its_gradient(axis, shapes):
    xs = _arrays(*shapes)
    layer = layers.Concatenate(axis=axis)
    np.testing.assert_array_equal(layer([fastnn.Tensor(x) for x in xs]).data, np.concatenate(xs, axis=axis))
    assert gradcheck(lambda *ts: layers.Concatenate(axis=axis)(list(ts)), *xs)
    symbolic = layers.concatenate([Input(shape=s[1:]) for s in shapes], axis=axis)
    assert symbolic.shape == (None,) + np.concatenate(xs, axis=axis).shape[1:]


def test_concatenate_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis.*\(None, 4, 4\)"):
        layers.concatenate([Input(shape=(4, 4)), Input(shape=(5, 5))])
    with pytest.raises(ValueError, match="one rank"):
        layers.concatenate([Input(shape=(4,)), Input(shape=(4, 1))])
    with pytest.raises(ValueError, match="batch axis"):
        layers.concatenate([Input(shape=(4,)), Input(shape=(4,))], axis=0)
    with pytest.raises(ValueError, match="out of range"):
        layers.Concatenate(axis=3)([Input(shape=(4,)), Input(shape=(4,))])
    assert layers.concatenate([Input(shape=(None, 3)), Input(shape=(None, 2))]).shape == (None, None, 5)


@pytest.mark.parametrize("shapes, axes", [
    ([(4, 6), (4, 6)], 1), ([(3, 2, 5), (3, 5, 4)], (2, 1)), ([(3, 5, 2), (3, 5, 4)], 1),
    ([(3, 2, 5), (3, 4, 5)], 2), ([(3, 5), (3, 5, 4)], (1, 1)), ([(3, 2, 5), (3, 5)], (2, 1)),
    ([(3, 5, 2), (3, 4, 5)], (1, 2))])
def test_dot_is_keras_batch_dot_and_its_gradient(shapes, axes, normalize=False):
    xs = _arrays(*shapes)
    pair = (axes, axes) if isinstance(axes, int) else axes
    expected = np.stack([np.tensordot(xs[0][i], xs[1][i], axes=(pair[0] - 1, pair[1] - 1))
                         for i in range(shapes[0][0])])
    if expected.ndim == 1:
        expected = expected[:, None]
    for normalize in (False, True):
        layer = layers.Dot(axes=axes, normalize=normalize)
        got = layer([fastnn.Tensor(x) for x in xs]).data
        if normalize:
            a = xs[0] / np.linalg.norm(xs[0], axis=pair[0], keepdims=True)
            b = xs[1] / np.linalg.norm(xs[1], axis=pair[1], keepdims=True)
            want = np.stack([np.tensordot(a[i], b[i], axes=(pair[0] - 1, pair[1] - 1)) for i in range(shapes[0][0])])
            np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-10)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-10)
        assert gradcheck(lambda x, y: layers.Dot(axes=axes, normalize=normalize)([x, y]), *xs)
    symbolic = layers.dot([Input(shape=s[1:]) for s in shapes], axes=axes)
    assert symbolic.shape == (None,) + expected.shape[1:]


def test_dot_errors():
    with pytest.raises(ValueError, match=r"dimension incompatibility: 4 != 5"):
        layers.dot([Input(shape=(4,)), Input(shape=(5,))], axes=1)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.dot([Input(shape=(4,))] * 3, axes=1)
    with pytest.raises(ValueError, match="axes must be"):
        layers.Dot(axes="last")
    with pytest.raises(ValueError, match="rank 2 or 3"):
        layers.dot([Input(shape=(2, 2, 2)), Input(shape=(2, 2, 2))], axes=1)


def test_lambda_layers_with_arguments_output_shape_and_several_inputs():
    def sampling(args, scale=1.0):
        z_mean, z_log_var = args
        return z_mean + fastnn.exp(z_log_var * 0.5) * scale

    z_mean, z_log_var = Input(shape=(3,)), Input(shape=(3,))
    z = layers.Lambda(sampling, arguments={"scale": 0.5})([z_mean, z_log_var])
    assert z.shape == (None, 3)
    flat = layers.Lambda(lambda t: t.reshape(t.shape[0], -1), output_shape=(12,))(Input(shape=(3, 4)))
    assert flat.shape == (None, 12)
    model = models.Model([z_mean, z_log_var], z)
    a, b = _arrays((2, 3), (2, 3))
    np.testing.assert_allclose(model.predict([a, b], verbose=0), a + np.exp(b * 0.5) * 0.5, rtol=1e-6)
    assert gradcheck(lambda x, y: layers.Lambda(sampling)([x, y]), a, b)
    with pytest.raises(ValueError, match="callable"):
        layers.Lambda(3)
    with pytest.raises(ValueError, match="does not save"):
        layers.Lambda(sampling).get_config()


@pytest.mark.parametrize("merge", ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate",
                                   "dot"])
def test_each_merge_trains_inside_a_model_on_step_plans(merge):
    set_random_seed(3)
    left, right = Input(shape=(6,)), Input(shape=(6,))
    a = layers.Dense(4, activation="tanh")(left)
    b = layers.Dense(4, activation="tanh")(right)
    merged = getattr(layers, merge)([a, b], axes=1) if merge == "dot" else getattr(layers, merge)([a, b])
    model = models.Model([left, right], layers.Dense(1)(merged))
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    x1, x2 = rng.random((96, 6)).astype(np.float32), rng.random((96, 6)).astype(np.float32)
    y = (x1[:, :1] * x2[:, 1:2]).astype(np.float32)
    history = model.fit([x1, x2], y, epochs=6, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    plans = model.train_function.plans.plans
    assert plans and all(p.state == "replay" for p in plans.values()), {k: p.reason for k, p in plans.items()}
