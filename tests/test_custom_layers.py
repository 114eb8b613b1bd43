"""Custom layers and models: subclassed Layers (build, call, add_weight, add_loss,
compute_output_shape, get_config) in stacks and graphs, subclassed Models with layers as
attributes, compile(loss=None) on added losses (the book's VAE, 8.4), the warning for a step that
cannot be replayed, and the first edition's *_generator methods."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, models
from fastnn import backend as K
from fastnn.engine import EagerStepWarning
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


class Scale(layers.Layer):
    """inputs * w, w a weight per feature, with a penalty on w added by its call."""

    def __init__(self, penalty=0.01, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones", trainable=True)

    def call(self, inputs, training=None):
        self.add_loss(self.penalty * fastnn.sum(self.w * self.w))
        return inputs * self.w

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["penalty"] = self.penalty
        return config


class PairSum(layers.Layer):
    """A layer over two inputs, with sublayers, and no compute_output_shape (found by calling)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.left = layers.Dense(units, activation="tanh")
        self.right = layers.Dense(units)

    def call(self, inputs):
        a, b = inputs
        return K.concatenate([self.left(a), self.right(b)], axis=-1)


def _data(n=60, features=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features)).astype(np.float32)
    return x, x[:, :1] * 2.0


def test_a_custom_layer_with_a_weight_and_an_added_loss_trains_in_a_sequential_on_plans():
    set_random_seed(0)
    scale = Scale(penalty=0.05)
    model = models.Sequential([layers.Dense(4, input_shape=(5,)), scale, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    history = model.fit(x, y, epochs=4, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [w.shape for w in scale.trainable_weights] == [(4,)]
    assert not np.array_equal(scale.w.data, np.ones(4, np.float32))
    assert all(p.state == "replay" for p in model.train_function.plans.plans.values())
    model(x)  # losses are those of the last call made in Python (a replayed step makes none)
    penalty = float(model.losses[0].data)
    np.testing.assert_allclose(penalty, 0.05 * float(np.sum(scale.w.data ** 2)), rtol=1e-6)
    # the training loss includes the penalty: evaluate = mse + penalty
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), mse + penalty, rtol=1e-5)
    copy = layers.deserialize(layers.serialize(scale), custom_objects={"Scale": Scale})
    assert isinstance(copy, Scale) and copy.penalty == 0.05


def test_a_custom_layer_in_a_graph_with_sublayers_and_two_inputs():
    set_random_seed(1)
    a, b = Input(shape=(3,)), Input(shape=(2,))
    pair = PairSum(4)
    joined = pair([a, b])
    assert joined.shape == (None, 8)
    model = models.Model([a, b], layers.Dense(1)(joined))
    assert len(pair.weights) == 4 and pair.weight_names[0] == f"{pair.left.name}/kernel"
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(2)
    xa, xb = rng.random((40, 3)).astype(np.float32), rng.random((40, 2)).astype(np.float32)
    before = pair.get_weights()
    model.fit([xa, xb], xa[:, :1] + xb[:, :1], epochs=2, verbose=0)
    assert all(not np.array_equal(u, v) for u, v in zip(before, pair.get_weights()))
    assert gradcheck(lambda s, t: pair([s, t]), xa[:3].astype(np.float64), xb[:3].astype(np.float64))


class Classifier(models.Model):
    def __init__(self, classes=3):
        super().__init__(name="classifier")
        self.hidden = layers.Dense(8, activation="relu")
        self.dropout = layers.Dropout(0.2)
        self.out = layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=False):
        return self.out(self.dropout(self.hidden(inputs), training=training))


def test_a_subclassed_model_tracks_its_layers_and_trains_on_plans_as_the_eager_step():
    x = np.random.default_rng(0).random((90, 5)).astype(np.float32)
    y = x.argmax(axis=1) % 3
    trained = []
    for run_eagerly in (False, True):
        set_random_seed(3)
        model = Classifier()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      run_eagerly=run_eagerly)
        history = model.fit(x, y, epochs=3, batch_size=30, verbose=0)
        trained.append((model, history.history))
    (planned, planned_history), (eager, eager_history) = trained
    assert [layer.name for layer in planned.layers] == [planned.hidden.name, planned.dropout.name, planned.out.name]
    assert len(planned.weights) == 4 and planned.output_shape == (None, 3)
    assert all(p.state == "replay" for p in planned.train_function.plans.plans.values())
    assert planned_history == eager_history
    assert all(np.array_equal(u, v) for u, v in zip(planned.get_weights(), eager.get_weights()))
    np.testing.assert_array_equal(planned.predict(x, verbose=0), eager.predict(x, verbose=0))
    with pytest.raises(AttributeError, match="subclassed"):
        planned.input


class TwoHeads(models.Model):
    def __init__(self):
        super().__init__()
        self.a, self.b = layers.Dense(2), layers.Dense(1)

    def call(self, inputs):
        left, right = inputs
        return [self.a(left), self.b(right)]


def test_a_subclassed_model_with_two_inputs_and_two_outputs():
    model = TwoHeads()
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    rng = np.random.default_rng(4)
    left, right = rng.random((20, 3)).astype(np.float32), rng.random((20, 4)).astype(np.float32)
    history = model.fit([left, right], [left[:, :2], right[:, :1]], epochs=2, verbose=0)
    assert set(history.history) == {"loss", "output_1_loss", "output_2_loss"}
    assert [p.shape for p in model.predict([left, right], verbose=0)] == [(20, 2), (20, 1)]


def _the_books_vae(img_shape=(8, 8, 1), latent_dim=2):
    input_img = fastnn.Input(shape=img_shape)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(input_img)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", strides=(2, 2))(x)
    shape_before_flattening = K.int_shape(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)

    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0., stddev=1.)
        return z_mean + K.exp(z_log_var) * epsilon

    z = layers.Lambda(sampling)([z_mean, z_log_var])
    decoder_input = layers.Input(K.int_shape(z)[1:])
    x = layers.Dense(np.prod(shape_before_flattening[1:]), activation="relu")(decoder_input)
    x = layers.Reshape(shape_before_flattening[1:])(x)
    if hasattr(layers, "Conv2DTranspose"):
        x = layers.Conv2DTranspose(4, 3, padding="same", activation="relu", strides=(2, 2))(x)
    else:  # the same shapes without a transposed convolution
        x = layers.Reshape(img_shape[:2] + (-1,))(layers.Dense(int(np.prod(img_shape)) * 4)(layers.Flatten()(x)))
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    decoder = models.Model(decoder_input, x)
    z_decoded = decoder(z)

    class CustomVariationalLayer(fastnn.layers.Layer):
        def vae_loss(self, x, z_decoded):
            x = K.flatten(x)
            z_decoded = K.flatten(z_decoded)
            xent_loss = fastnn.metrics.binary_crossentropy(x, z_decoded)
            kl_loss = -5e-4 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            return K.mean(xent_loss + kl_loss)

        def call(self, inputs):
            x = inputs[0]
            z_decoded = inputs[1]
            loss = self.vae_loss(x, z_decoded)
            self.add_loss(loss, inputs=inputs)
            return x

    y = CustomVariationalLayer()([input_img, z_decoded])
    return models.Model(input_img, y), decoder


def test_the_books_vae_trains_on_the_loss_its_layer_adds_with_loss_none():
    x_train = np.random.default_rng(0).random((64, 8, 8, 1)).astype(np.float32)
    runs = []
    for run_eagerly in (False, True):
        set_random_seed(5)
        vae, decoder = _the_books_vae()
        vae.compile(optimizer="rmsprop", loss=None, run_eagerly=run_eagerly)
        with warnings.catch_warnings():
            warnings.simplefilter("error", EagerStepWarning)
            history = vae.fit(x=x_train, y=None, shuffle=True, epochs=4, batch_size=16,
                              validation_data=(x_train[:16], None), verbose=0)
        runs.append((vae, history.history))
    (vae, history), (eager, eager_history) = runs
    assert set(history) == {"loss", "val_loss"}
    assert history["loss"][-1] < history["loss"][0]
    assert all(p.state == "replay" for p in vae.train_function.plans.plans.values())  # sampling included
    assert history == eager_history
    assert all(np.array_equal(u, v) for u, v in zip(vae.get_weights(), eager.get_weights()))
    assert decoder.predict(np.zeros((3, 2), np.float32), verbose=0).shape == (3, 8, 8, 1)


def test_random_normal_draws_new_samples_each_call_and_repeats_under_a_seed():
    set_random_seed(9)
    first = [K.random_normal((4, 3)).data.copy() for _ in range(2)]
    assert not np.array_equal(first[0], first[1])
    set_random_seed(9)
    np.testing.assert_array_equal(K.random_normal((4, 3)).data, first[0])
    samples = K.random_normal((20000,), mean=1.0, stddev=2.0).data
    assert abs(samples.mean() - 1.0) < 0.05 and abs(samples.std() - 2.0) < 0.05


def test_loss_none_without_added_losses_and_omitted_loss_are_clear_errors():
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match="needs a loss.*loss=None"):
        model.compile(optimizer="sgd")
    model.compile(optimizer="sgd", loss=None)
    with pytest.raises(ValueError, match="nothing to train on"):
        model.fit(np.ones((4, 3), np.float32), epochs=1, verbose=0)


def test_a_call_doing_numpy_work_runs_eagerly_warning_once_naming_the_layer():
    class NumpySlice(layers.Layer):
        def call(self, inputs):
            return inputs[:, [0, 1]]  # indexing by a list copies in NumPy

    model = models.Sequential([layers.Dense(4, input_shape=(5,)), NumpySlice(name="numpy_slice"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=3, batch_size=10, verbose=0)
        model.fit(x, y, epochs=1, batch_size=10, verbose=0)
    eager = [w for w in caught if issubclass(w.category, EagerStepWarning)]
    assert len(eager) == 1 and "layer 'numpy_slice' (NumpySlice)" in str(eager[0].message)
    assert "indexing by arrays" in str(eager[0].message)
    assert all(p.state == "eager" for p in model.train_function.plans.plans.values())
    dense, _, last = model.layers
    np.testing.assert_array_equal(model.predict(x, verbose=0), last(dense(x).data[:, [0, 1]]).data)


def test_the_first_editions_generator_methods():
    set_random_seed(6)
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(5,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(80)

    def batches():
        while True:
            for start in range(0, 80, 20):
                yield x[start:start + 20], y[start:start + 20]

    history = model.fit_generator(batches(), steps_per_epoch=4, epochs=2, validation_data=batches(),
                                  validation_steps=2, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}
    loss = model.evaluate_generator(batches(), steps=4)
    np.testing.assert_allclose(loss, model.evaluate(x, y, batch_size=20, verbose=0), rtol=1e-6)
    predictions = model.predict_generator((x[s:s + 20] for s in range(0, 80, 20)), steps=4)
    np.testing.assert_array_equal(predictions, model.predict(x, batch_size=20, verbose=0))


def test_graph_generators_yield_lists_and_dicts():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    model = models.Model([a, b], layers.Dense(1)(layers.concatenate([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(7)
    xa, xb = rng.random((40, 3)).astype(np.float32), rng.random((40, 2)).astype(np.float32)

    def batches():
        for start in range(0, 40, 10):
            yield {"a": xa[start:start + 10], "b": xb[start:start + 10]}, xa[start:start + 10, :1]

    model.fit(batches(), steps_per_epoch=4, epochs=1, verbose=0)
    predictions = model.predict(([xa[s:s + 10], xb[s:s + 10]] for s in range(0, 40, 10)), steps=4, verbose=0)
    np.testing.assert_array_equal(predictions, model.predict([xa, xb], batch_size=10, verbose=0))
