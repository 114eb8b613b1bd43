"""The backend functions chapter 8.3's style transfer writes its losses with (K.permute_dimensions,
K.batch_flatten, K.dot, K.transpose, K.concatenate of constants and a placeholder, K.pow) and
`K.variable(0.)` added to symbolic tensors, their values and their gradients through
K.gradients / K.function checked against NumPy."""
import numpy as np
import pytest

import fastnn
from fastnn import backend as K
from fastnn.layers.symbolic import SymbolicTensor


def _values(rng, shape):
    return rng.normal(0, 1, shape).astype(np.float32)


def test_permute_dimensions_values_and_gradient():
    rng = np.random.default_rng(0)
    x = _values(rng, (2, 3, 4))
    placeholder = K.placeholder((2, 3, 4))
    permuted = K.permute_dimensions(placeholder, (2, 0, 1))
    assert permuted.shape == (4, 2, 3)
    np.testing.assert_array_equal(K.function([placeholder], [permuted])([x])[0], np.transpose(x, (2, 0, 1)))
    np.testing.assert_array_equal(K.permute_dimensions(fastnn.Tensor(x), (1, 2, 0)).data, np.transpose(x, (1, 2, 0)))

    weights = _values(rng, (4, 2, 3))
    loss = K.sum(permuted * K.constant(weights))
    grads = K.gradients(loss, placeholder)[0]
    np.testing.assert_allclose(K.function([placeholder], [grads])([x])[0], np.transpose(weights, (1, 2, 0)),
                               rtol=1e-6)


@pytest.mark.parametrize("pattern", [(0, 1), (0, 1, 1), (0, 1, 3), None])
def test_permute_dimensions_refuses_a_pattern_that_is_not_a_permutation(pattern):
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        K.permute_dimensions(fastnn.Tensor(np.zeros((2, 3, 4), np.float32)), pattern)


def test_a_variable_plus_symbolic_tensors_is_symbolic_and_evaluates():
    # `loss = K.variable(0.)` then `loss += weight * symbolic_loss`, as listing 8.20 builds its loss
    rng = np.random.default_rng(1)
    x = _values(rng, (1, 3, 3, 2))
    placeholder = K.placeholder((1, 3, 3, 2))
    loss = K.variable(0.)
    loss += 0.5 * K.sum(K.square(placeholder))
    loss += 2.0 * K.sum(placeholder)
    assert isinstance(loss, SymbolicTensor)
    value, grads = K.function([placeholder], [loss, K.gradients(loss, placeholder)[0]])([x])
    np.testing.assert_allclose(value, 0.5 * (x ** 2).sum() + 2 * x.sum(), rtol=1e-5)
    np.testing.assert_allclose(grads, x + 2.0, rtol=1e-5)


@pytest.mark.parametrize("name, operation, reference", [
    ("subtract", lambda t, s: t - s, lambda t, s: t - s),
    ("multiply", lambda t, s: t * s, lambda t, s: t * s),
    ("divide", lambda t, s: t / s, lambda t, s: t / s),
    ("matmul", lambda t, s: t @ s, lambda t, s: t @ s),
])
def test_a_tensor_on_the_left_of_a_symbolic_tensor_records_an_operation(name, operation, reference):
    rng = np.random.default_rng(2)
    constant = _values(rng, (3, 3))
    x = np.abs(_values(rng, (3, 3))) + 0.5
    placeholder = K.placeholder((3, 3))
    result = operation(K.constant(constant), placeholder)
    assert isinstance(result, SymbolicTensor), name
    np.testing.assert_allclose(K.function([placeholder], [result])([x])[0], reference(constant, x), rtol=1e-5)


def test_tensor_arithmetic_between_tensors_is_unchanged():
    a, b = fastnn.Tensor(np.array([1.0, 2.0], np.float32)), fastnn.Tensor(np.array([3.0, 5.0], np.float32))
    for result, want in ((a + b, [4, 7]), (a - b, [-2, -3]), (a * b, [3, 10]), (a / b, [1 / 3, 0.4])):
        assert isinstance(result, fastnn.Tensor)
        np.testing.assert_allclose(result.data, want, rtol=1e-6)


def _gram_style_loss(features_style, features_combination):
    """NumPy: sum((G(C) - G(S))^2) with G(F) = F F^T over (channels, pixels), and its gradient
    with respect to the combination's (height, width, channels) features."""
    h, w, c = features_combination.shape
    style = features_style.transpose(2, 0, 1).reshape(c, -1).astype(np.float64)
    combination = features_combination.transpose(2, 0, 1).reshape(c, -1).astype(np.float64)
    difference = combination @ combination.T - style @ style.T
    gradient = 4 * difference @ combination  # G symmetric: d/dF sum(D^2) = 4 D F
    return (difference ** 2).sum(), gradient.reshape(c, h, w).transpose(1, 2, 0)


def test_gram_matrix_style_loss_and_its_gradient_match_numpy():
    # Listing 8.18's gram_matrix and style_loss, on the two rows of a batch as listing 8.20 slices them
    rng = np.random.default_rng(3)
    x = _values(rng, (2, 4, 5, 3))
    placeholder = K.placeholder((2, 4, 5, 3))

    def gram_matrix(t):
        features = K.batch_flatten(K.permute_dimensions(t, (2, 0, 1)))
        return K.dot(features, K.transpose(features))

    gram = gram_matrix(placeholder[0, :, :, :])
    assert gram.shape == (3, 3)
    loss = K.sum(K.square(gram_matrix(placeholder[1, :, :, :]) - gram))
    value, grads, gram_value = K.function([placeholder], [loss, K.gradients(loss, placeholder)[0], gram])([x])
    features = x[0].transpose(2, 0, 1).reshape(3, -1)
    np.testing.assert_allclose(gram_value, features @ features.T, rtol=1e-5)
    want_value, want_gradient = _gram_style_loss(x[0], x[1])
    np.testing.assert_allclose(value, want_value, rtol=1e-4)
    np.testing.assert_allclose(grads[1], want_gradient, rtol=1e-3, atol=1e-3)
    # sum(D^2) is the same with the two rows swapped, so the first row's gradient is the formula's with them swapped
    np.testing.assert_allclose(grads[0], _gram_style_loss(x[1], x[0])[1], rtol=1e-3, atol=1e-3)


def test_total_variation_loss_gradient_matches_finite_differences():
    # Listing 8.19 on a 4x5 picture; a + b > 0 everywhere, so K.pow(., 1.25) is smooth there
    rng = np.random.default_rng(4)
    img_height, img_width = 4, 5
    x = _values(rng, (1, img_height, img_width, 3))
    placeholder = K.placeholder((1, img_height, img_width, 3))

    def total_variation(t, square, power, total):
        a = square(t[:, :img_height - 1, :img_width - 1, :] - t[:, 1:, :img_width - 1, :])
        b = square(t[:, :img_height - 1, :img_width - 1, :] - t[:, :img_height - 1, 1:, :])
        return total(power(a + b, 1.25))

    loss = total_variation(placeholder, K.square, K.pow, K.sum)
    value, grads = K.function([placeholder], [loss, K.gradients(loss, placeholder)[0]])([x])
    reference = lambda array: total_variation(array.astype(np.float64), np.square, np.power, np.sum)  # noqa: E731
    np.testing.assert_allclose(value, reference(x), rtol=1e-5)
    numeric = np.zeros(x.shape)
    step = 1e-4
    for index in np.ndindex(x.shape):
        up, down = x.astype(np.float64), x.astype(np.float64)
        up[index] += step
        down[index] -= step
        numeric[index] = (reference(up) - reference(down)) / (2 * step)
    np.testing.assert_allclose(grads, numeric, rtol=2e-3, atol=2e-3)


def test_concatenated_constants_and_placeholder_take_gradients_only_through_the_placeholder():
    # Listing 8.16: the target and style pictures as constants, the combination as the placeholder
    rng = np.random.default_rng(5)
    target, style, x = (_values(rng, (1, 2, 3, 3)) for _ in range(3))
    placeholder = K.placeholder((1, 2, 3, 3))
    batch = K.concatenate([K.constant(target), K.constant(style), placeholder], axis=0)
    assert batch.shape == (3, 2, 3, 3)
    weights = _values(rng, (3, 2, 3, 3))
    loss = K.sum(batch * K.constant(weights))
    value, grads = K.function([placeholder], [batch, K.gradients(loss, placeholder)[0]])([x])
    np.testing.assert_array_equal(value, np.concatenate([target, style, x]))
    np.testing.assert_allclose(grads, weights[2:], rtol=1e-6)
