"""Embedding: lookups of integer (or integer-valued float) indices, the sparse row gradient,
mask_zero, pretrained frozen vectors, configs, training on step plans and bad indices."""
import numpy as np
import pytest

import fastnn
from fastnn import Tensor, layers, models, ops
from fastnn.testing import gradcheck, layer_gradcheck
from fastnn.utils import set_random_seed


def _embedding(input_dim=10, output_dim=4, **kwargs):
    layer = layers.Embedding(input_dim, output_dim, **kwargs)
    layer.build_for((None, 3))
    return layer


def test_rows_are_looked_up_for_integer_and_integer_valued_float_indices():
    layer = _embedding()
    table = layer.get_weights()[0]
    indices = np.array([[0, 9, 3], [3, 3, 1]])
    for given in (indices, indices.astype(np.float32), indices.astype(np.float64), indices.astype(np.int32)):
        out = layer(Tensor(given))
        assert out.shape == (2, 3, 4) and out.dtype == np.float32
        np.testing.assert_array_equal(out.data, table[indices])
    np.testing.assert_array_equal(layer(np.array([7])).data, table[[7]])


def test_keras_defaults_weight_and_output_shape():
    layer = layers.Embedding(1000, 16)
    assert layer.output_dim == 16 and not layer.mask_zero
    layer.build_for((None, 7))
    assert layer.weight_names == ["embeddings"] and layer.weights[0].shape == (1000, 16)
    values = layer.get_weights()[0]
    assert -0.05 <= values.min() and values.max() <= 0.05  # Keras's 'uniform': RandomUniform(-0.05, 0.05)
    assert layer.compute_output_shape((None, 7)) == (None, 7, 16)
    assert layer.compute_output_shape((None, 2, 5)) == (None, 2, 5, 16)


def test_gradient_reaches_only_the_rows_seen_and_sums_repeats():
    layer = _embedding()
    indices = np.array([[1, 4, 1], [4, 4, 8]], np.float32)
    out = layer(Tensor(indices))
    weights = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    (out * Tensor(weights)).sum().backward()
    grad = layer.embeddings.grad
    expected = np.zeros((10, 4), np.float32)
    np.add.at(expected, indices.astype(int).reshape(-1), weights.reshape(-1, 4))
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    assert not grad[[0, 2, 3, 5, 6, 7, 9]].any()


def test_float64_gradients():
    indices = np.array([[1, 4, 1], [4, 0, 8]])
    layer = _embedding()
    assert layer_gradcheck(lambda i: layer(i), layer, indices, check_inputs=False)
    masked = _embedding(mask_zero=True)
    pooling = layers.GlobalAveragePooling1D()
    assert layer_gradcheck(lambda i: pooling(masked(i)), masked, indices, check_inputs=False)
    table = np.random.default_rng(1).standard_normal((6, 3))
    assert gradcheck(lambda t: ops.take_rows(t, np.array([[5, 0], [5, 2]])), table)


def test_mask_zero_sets_the_outputs_mask():
    layer = _embedding(mask_zero=True)
    out = layer(np.array([[0, 2, 0], [5, 0, 1]]))
    assert np.array_equal(out._keras_mask.data, [[0, 1, 0], [1, 0, 1]])
    assert getattr(_embedding()(np.array([[0, 1, 2]])), "_keras_mask", None) is None
    np.testing.assert_array_equal(layer.compute_mask(Tensor(np.array([[0, 3]])), None).data, [[0, 1]])


def test_config_round_trip():
    layer = layers.Embedding(50, 6, mask_zero=True, embeddings_initializer="glorot_uniform",
                             embeddings_regularizer="l2", input_length=12, name="words")
    config = layers.serialize(layer)
    assert config["config"]["input_shape"] == [12] and config["config"]["mask_zero"] is True
    again = layers.deserialize(config)
    assert layers.serialize(again) == config
    assert again.input_shape_arg == (12,) and again.embeddings_regularizer is not None


def test_pretrained_vectors_stay_frozen_while_the_rest_trains():
    """The 1st edition's GloVe listing: set_weights on the Embedding, then trainable = False."""
    rng = np.random.default_rng(2)
    pretrained = rng.standard_normal((30, 5)).astype(np.float32)
    model = models.Sequential([layers.Embedding(30, 5, input_length=4), layers.Flatten(),
                               layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([pretrained])
    model.layers[0].trainable = False
    model.compile("rmsprop", "binary_crossentropy", metrics=["acc"])
    x = rng.integers(0, 30, (64, 4))
    y = (x[:, 0] > 15).astype(np.float32)
    dense_before = model.layers[2].get_weights()[0].copy()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], pretrained)
    assert not np.array_equal(model.layers[2].get_weights()[0], dense_before)
    assert model.layers[0].trainable_weights == [] and len(model.layers[0].non_trainable_weights) == 1
    given = layers.Embedding(30, 5, weights=[pretrained])
    np.testing.assert_array_equal(given.get_weights()[0], pretrained)


def test_the_book_embedding_flatten_model_learns():
    """Listing 6.7's model (Embedding, Flatten, Dense) on a small problem."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 100, (400, 10))
    y = np.isin(x, np.arange(1, 11)).any(axis=1).astype(np.float32)
    set_random_seed(3)
    model = models.Sequential([layers.Embedding(100, 8, input_length=10), layers.Flatten(),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(fastnn.optimizers.RMSprop(0.01), "binary_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert history.history["acc"][-1] > 0.9


def _model(seed=0):
    set_random_seed(seed)
    model = models.Sequential([layers.Embedding(40, 6, mask_zero=True, input_length=7),
                               layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile("adam", "mse")
    return model


def test_training_steps_replay_and_give_the_eager_bits():
    rng = np.random.default_rng(4)
    x, y = rng.integers(0, 40, (70, 7)), rng.standard_normal((70, 1)).astype(np.float32)
    models_ = []
    for run_eagerly in (False, True):
        model = _model()  # seeds the generator, which the shuffles draw from too
        model.run_eagerly = run_eagerly
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        models_.append(model)
    planned, eager = models_
    plans = planned.train_function.plans.plans
    assert plans and all(p.state == "replay" for p in plans.values()), {k: p.reason for k, p in plans.items()}
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_an_index_out_of_range_names_the_layer_and_the_index_in_eager_and_replayed_steps():
    model = _model()
    rng = np.random.default_rng(5)
    x, y = rng.integers(0, 40, (32, 7)), np.zeros((32, 1), np.float32)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert all(p.state == "replay" for p in model.train_function.plans.plans.values())
    weights = model.get_weights()
    bad = x.copy()
    bad[13, 4] = 40
    message = r"Layer 'embedding\w*' \(Embedding\): index 40 at position \(13, 4\) is not an integer in \[0, 40\)"
    with pytest.raises(IndexError, match=message):
        model.fit(bad[:16], y[:16], epochs=1, batch_size=16, verbose=0, shuffle=False)  # a replayed step
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    with pytest.raises(IndexError, match=r"index -1 at position \(0, 0\)"):
        model.predict(np.full((2, 7), -1), verbose=0)
    with pytest.raises(IndexError, match=r"index 2\.5 at position \(1, 2\)"):
        model.layers[0](np.array([[1, 1, 1], [1, 1, 2.5]]))
    eager = _model()
    eager.run_eagerly = True
    with pytest.raises(IndexError, match=message):
        eager.fit(bad[:16], y[:16], epochs=1, batch_size=16, verbose=0, shuffle=False)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Embedding(0, 4), "input_dim"),
    (lambda: layers.Embedding(10, -1), "output_dim"),
    (lambda: layers.Embedding(10.0, 4), "input_dim"),
    (lambda: layers.Embedding(10, 4, embeddings_initializer="nope"), "initializer"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_pretrained_weights_are_refused():
    with pytest.raises(ValueError, match=r"'embeddings' has shape \(30, 5\), received an array of shape \(30, 4\)"):
        layers.Embedding(30, 5, weights=[np.zeros((30, 4), np.float32)])
