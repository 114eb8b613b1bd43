"""predict folds a BatchNormalization into the Dense or convolution before it (and a following relu
into that layer's epilogue); other calls of the model compute the layers one by one.

Tolerance: the folded layer rounds W * s once per weight and then accumulates, where the unfolded
path accumulates W and scales the sum; the two differ by a few units in the last place of the
accumulated values. Float32 predictions must agree within rtol 1e-4 and atol 1e-5 (outputs of
order 1), float64 ones within rtol 1e-12 and atol 1e-12.
"""
import numpy as np
import pytest

import fastnn
from fastnn import Input, Tensor, layers, models, ops
from fastnn.models import batch_norm_folding
from fastnn.utils import set_random_seed

RTOL32, ATOL32 = 1e-4, 1e-5


def _images(n=24, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 7, 7, 3)).astype(np.float32)


def _randomize_statistics(model, seed=1):
    """Moving statistics and gamma/beta far from their initial values, so that folding matters."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            c = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.5, 2, c), rng.normal(0, 0.5, c), rng.normal(0, 0.5, c),
                               rng.uniform(0.2, 3, c)])


def _conv_bn_relu_net(**bn_options):
    set_random_seed(4)
    inputs = Input(shape=(7, 7, 3))
    x = layers.Conv2D(6, 3, padding="same")(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization(**bn_options)(x))
    x = layers.Conv2D(5, 3)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(4)(layers.GlobalAveragePooling2D()(x))
    outputs = layers.BatchNormalization()(x)
    model = models.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    _randomize_statistics(model)
    return model


def _predict_plan(model):
    (plan,) = model.predict_function.plans.plans.values()
    assert plan.state == "replay", plan.reason
    return plan


def _predicted(model, x):
    for _ in range(3):  # recorded, checked, replayed
        got = model.predict(x, batch_size=len(x), verbose=0)
    return got


def _unfolded(model, x):
    return model(x, training=False).data


def _folded_chains(model):
    return [repr(fold) for fold, *_ in batch_norm_folding.graph_folds(model._graph[4], model.outputs).values()]


def test_predict_folds_and_agrees_with_the_unfolded_layers():
    model = _conv_bn_relu_net()
    x = _images()
    got, want = _predicted(model, x), _unfolded(model, x)
    assert not np.array_equal(got, want)  # folded: other rounding
    np.testing.assert_allclose(got, want, rtol=RTOL32, atol=ATOL32)
    assert len(_folded_chains(model)) == 3
    tape = _predict_plan(model).tape
    kinds = tape.kinds()
    assert "relu" not in kinds  # fused into the first convolution
    activations = 24 * 7 * 7 * 5 * 4  # bytes of the smallest normalized activation
    for i, kind in enumerate(kinds):
        if kind == "batch_norm":  # only the weights are normalized
            assert max(hi - lo for lo, hi in tape.writes[i]) < activations


def test_the_folded_weights_follow_training_and_set_weights():
    model = _conv_bn_relu_net()
    x = _images()
    _predicted(model, x)
    model.fit(x, np.ones((len(x), 4), np.float32), batch_size=8, epochs=2, verbose=0)
    np.testing.assert_allclose(_predicted(model, x), _unfolded(model, x), rtol=RTOL32, atol=ATOL32)
    plan = _predict_plan(model)
    model.set_weights([w * 1.5 + 0.1 for w in model.get_weights()])  # same arrays: the plan stays
    got = model.predict(x, batch_size=len(x), verbose=0)
    assert _predict_plan(model) is plan
    np.testing.assert_allclose(got, _unfolded(model, x), rtol=RTOL32, atol=ATOL32)


def test_folding_in_float64_agrees_within_float64_precision():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((5, 6, 6, 3)))
    kernel, bias = Tensor(rng.standard_normal((3, 3, 3, 4))), Tensor(rng.standard_normal(4))
    gamma, beta = Tensor(rng.uniform(0.5, 2, 4)), Tensor(rng.standard_normal(4))
    mean, variance = rng.standard_normal(4), rng.uniform(0.2, 3, 4)
    with fastnn.no_grad():
        want = ops.batch_normalization(ops.conv2d(x, kernel, bias, (1, 1), "same", (1, 1), None), gamma, beta, mean,
                                       variance, training=False, epsilon=1e-3).data
        folded = batch_norm_folding.folded_weights(kernel, bias, gamma, beta, Tensor(mean), Tensor(variance), 1e-3)
        assert all(w.data.dtype == np.float64 for w in folded)
        got = ops.conv2d(x, *folded, (1, 1), "same", (1, 1), None).data
        no_bias = batch_norm_folding.folded_weights(kernel, None, None, None, Tensor(mean), Tensor(variance), 1e-3)
        plain = ops.batch_normalization(ops.conv2d(x, kernel, None, (1, 1), "same", (1, 1), None), None, None, mean,
                                        variance, training=False, epsilon=1e-3).data
        np.testing.assert_allclose(ops.conv2d(x, *no_bias, (1, 1), "same", (1, 1), None).data, plain,
                                   rtol=1e-12, atol=1e-12)
    assert not np.array_equal(got, want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_no_folding_when_the_layer_output_has_another_reader():
    set_random_seed(5)
    inputs = Input(shape=(7, 7, 3))
    conv = layers.Conv2D(3, 3, padding="same")(inputs)
    x = layers.add([layers.BatchNormalization()(conv), conv])
    model = models.Model(inputs, layers.GlobalAveragePooling2D()(x))
    _randomize_statistics(model)
    x = _images()
    assert _folded_chains(model) == []
    assert np.array_equal(_predicted(model, x), _unfolded(model, x))


def test_no_folding_of_a_layer_whose_output_is_a_model_output():
    set_random_seed(5)
    inputs = Input(shape=(6,))
    dense = layers.Dense(4)(inputs)
    model = models.Model(inputs, [dense, layers.BatchNormalization()(dense)])
    assert _folded_chains(model) == []


def test_no_folding_with_training_true():
    set_random_seed(6)
    inputs = Input(shape=(7, 7, 3))
    x = layers.BatchNormalization()(layers.Conv2D(3, 3)(inputs), training=True)
    model = models.Model(inputs, layers.GlobalAveragePooling2D()(x))
    assert _folded_chains(model) == []
    _predicted(model, _images())
    assert "batch_norm_statistics" in _predict_plan(model).tape.kinds()  # the batch's own statistics
    with batch_norm_folding.folding():
        assert batch_norm_folding.active(training=False) and not batch_norm_folding.active(training=True)
    assert not batch_norm_folding.active(training=False)


def test_no_folding_when_the_axis_is_not_the_channel_axis():
    set_random_seed(7)
    inputs = Input(shape=(7, 7, 3))
    x = layers.BatchNormalization(axis=1)(layers.Conv2D(3, 3, padding="same")(inputs))
    model = models.Model(inputs, layers.GlobalAveragePooling2D()(x))
    _randomize_statistics(model)
    x = _images()
    assert _folded_chains(model) == []
    assert np.array_equal(_predicted(model, x), _unfolded(model, x))
    seq = models.Sequential([layers.Conv2D(3, 3, input_shape=(7, 7, 3)), layers.BatchNormalization(axis=2),
                             layers.Flatten()])
    _randomize_statistics(seq)
    assert np.array_equal(_predicted(seq, x), _unfolded(seq, x))


def test_no_folding_after_an_activation_or_on_masked_inputs():
    set_random_seed(8)
    inputs = Input(shape=(7, 7, 3))
    x = layers.BatchNormalization()(layers.Conv2D(3, 3, activation="relu")(inputs))
    assert _folded_chains(models.Model(inputs, x)) == []
    tokens = Input(shape=(5,))
    h = layers.BatchNormalization()(layers.Dense(4)(layers.Embedding(10, 3, mask_zero=True)(tokens)))
    model = models.Model(tokens, h)
    _randomize_statistics(model)
    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]], np.float32)
    assert len(_folded_chains(model)) == 1  # found, but the masked inputs run unfolded
    assert np.array_equal(_predicted(model, ids), _unfolded(model, ids))


def test_sequential_models_fold_too():
    set_random_seed(9)
    model = models.Sequential([layers.Conv2D(4, 3, input_shape=(7, 7, 3)), layers.BatchNormalization(),
                               layers.Activation("relu"), layers.Flatten(), layers.Dense(3),
                               layers.BatchNormalization()])
    _randomize_statistics(model)
    x = _images()
    got, want = _predicted(model, x), _unfolded(model, x)
    assert not np.array_equal(got, want)
    np.testing.assert_allclose(got, want, rtol=RTOL32, atol=ATOL32)
    assert "relu" not in _predict_plan(model).tape.kinds()


def test_folded_predictions_are_bitwise_identical_at_one_and_two_threads():
    results = []
    for threads in (1, 2):
        before = fastnn.get_num_threads()
        fastnn.set_num_threads(threads)
        try:
            results.append(_predicted(_conv_bn_relu_net(), _images(64)))
        finally:
            fastnn.set_num_threads(before)
    assert np.array_equal(results[0].view(np.uint8), results[1].view(np.uint8))
