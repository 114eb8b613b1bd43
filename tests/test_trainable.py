"""`trainable` with Keras 1st-edition semantics: compile() fixes what a model trains, so the GAN
listing's `discriminator.trainable = False` freezes the discriminator inside the combined model
while the discriminator, compiled before, keeps training itself."""
import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, models, optimizers
from fastnn.utils import set_random_seed

LATENT = 4


def _gan(run_eagerly=False):
    set_random_seed(0)
    generator_input = Input(shape=(LATENT,))
    x = layers.Dense(8)(generator_input)
    x = layers.LeakyReLU()(x)
    generator = models.Model(generator_input, layers.Dense(6, activation="tanh")(x), name="generator")
    discriminator_input = Input(shape=(6,))
    x = layers.Dense(8)(discriminator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Dropout(0.4)(x)
    discriminator = models.Model(discriminator_input, layers.Dense(1, activation="sigmoid")(x), name="discriminator")
    discriminator.compile(optimizer=optimizers.RMSprop(learning_rate=0.0008, clipvalue=1.0),
                          loss="binary_crossentropy", run_eagerly=run_eagerly)
    discriminator.trainable = False
    gan_input = Input(shape=(LATENT,))
    gan_output = discriminator(generator(gan_input))
    gan = models.Model(gan_input, gan_output)
    gan.compile(optimizer=optimizers.RMSprop(learning_rate=0.0004, clipvalue=1.0), loss="binary_crossentropy",
                run_eagerly=run_eagerly)
    return generator, discriminator, gan


def _changed(before, after):
    return [not np.array_equal(a, b) for a, b in zip(before, after)]


def _alternate(generator, discriminator, gan, steps=6, batch=8, check=False):
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(steps):
        random_latent_vectors = rng.standard_normal((batch, LATENT)).astype(np.float32)
        generated = generator.predict(random_latent_vectors, verbose=0)
        real = rng.random((batch, 6)).astype(np.float32)
        combined = np.concatenate([generated, real])
        labels = np.concatenate([np.ones((batch, 1)), np.zeros((batch, 1))]).astype(np.float32)
        labels += 0.05 * rng.random(labels.shape).astype(np.float32)
        before_d, before_g = discriminator.get_weights(), generator.get_weights()
        d_loss = discriminator.train_on_batch(combined, labels)
        if check:
            assert all(_changed(before_d, discriminator.get_weights()))
            assert not any(_changed(before_g, generator.get_weights()))
        misleading_targets = np.zeros((batch, 1), np.float32)
        before_d = discriminator.get_weights()
        a_loss = gan.train_on_batch(random_latent_vectors, misleading_targets)
        if check:
            assert not any(_changed(before_d, discriminator.get_weights()))
            assert all(_changed(before_g, generator.get_weights()))
        losses.append((d_loss, a_loss))
    return losses


def test_gan_alternating_train_on_batch_trains_each_part_in_its_own_model():
    generator, discriminator, gan = _gan()
    assert len(discriminator.trainable_weights) == 0  # the flag now: frozen
    _alternate(generator, discriminator, gan, check=True)
    for model in (discriminator, gan):
        states = [p.state for p in model.train_function.plans.plans.values()]
        assert states and all(s == "replay" for s in states), states


def test_gan_alternation_on_plans_gives_the_eager_bits():
    planned = _gan()
    planned_losses = _alternate(*planned)
    eager = _gan(run_eagerly=True)
    eager_losses = _alternate(*eager)
    assert planned_losses == eager_losses
    for a, b in zip(planned, eager):
        assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def test_model_trainable_false_before_compile_freezes_it_in_the_outer_model():
    set_random_seed(2)
    conv_base = models.Sequential([layers.Dense(6, activation="relu", input_shape=(5,)), layers.Dense(4)])
    conv_base.trainable = False
    model = models.Sequential([conv_base, layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse")
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 4
    before = conv_base.get_weights()
    model.fit(np.ones((8, 5), np.float32), np.zeros((8, 1), np.float32), epochs=2, verbose=0)
    assert not any(_changed(before, conv_base.get_weights()))
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 5 " in "\n".join(lines)


def test_fine_tuning_unfreezes_the_top_layers_of_a_nested_model():
    set_random_seed(3)
    inputs = Input(shape=(5,))
    x = layers.Dense(6, activation="relu", name="block1")(inputs)
    x = layers.Dense(6, activation="relu", name="block5_conv1")(x)
    x = layers.Dense(6, activation="relu", name="block5_conv2")(x)
    conv_base = models.Model(inputs, x)
    model = models.Sequential([conv_base, layers.Dense(1)])
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == "block5_conv1":
            set_trainable = True
        layer.trainable = set_trainable
    model.compile(optimizer="rmsprop", loss="mse")
    before = [layer.get_weights() for layer in conv_base.layers[1:]]
    model.fit(np.random.default_rng(0).random((16, 5)).astype(np.float32), np.ones((16, 1), np.float32),
              epochs=2, verbose=0)
    after = [layer.get_weights() for layer in conv_base.layers[1:]]
    assert [any(_changed(b, a)) for b, a in zip(before, after)] == [False, True, True]


def test_a_change_after_compile_applies_until_another_model_holding_the_layer_is_compiled():
    x, y = np.ones((8, 4), np.float32), np.zeros((8, 1), np.float32)
    set_random_seed(4)
    dense = layers.Dense(3, input_shape=(4,))
    model = models.Sequential([dense, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    dense.trainable = False  # no other model compiled since: this model follows the change
    before = dense.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert not any(_changed(before, dense.get_weights()))
    dense.trainable = True
    with pytest.raises(ValueError, match="changed after its optimizer started.*compile\\(\\) again"):
        model.fit(x, y, epochs=1, verbose=0)

    set_random_seed(4)
    dense = layers.Dense(3, input_shape=(4,))
    model = models.Sequential([dense, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    dense.trainable = False
    other = models.Sequential([dense, layers.Dense(1)])
    other.compile(optimizer="sgd", loss="mse")  # compiled after the change: the change is its
    before = dense.get_weights()
    other.fit(x, y, epochs=1, verbose=0)
    assert not any(_changed(before, dense.get_weights()))
    model.fit(x, y, epochs=1, verbose=0)  # compiled before it: still trains the layer
    assert all(_changed(before, dense.get_weights()))


def test_freezing_the_discriminators_layers_one_by_one_works_the_same():
    set_random_seed(7)
    d_input = Input(shape=(6,))
    discriminator = models.Model(d_input, layers.Dense(1, activation="sigmoid")(layers.Dense(4)(d_input)))
    discriminator.compile(optimizer="sgd", loss="binary_crossentropy")
    for layer in discriminator.layers:
        layer.trainable = False
    g_input = Input(shape=(LATENT,))
    generator = models.Model(g_input, layers.Dense(6)(g_input))
    gan = models.Model(g_input, discriminator(generator(g_input)))
    gan.compile(optimizer="sgd", loss="binary_crossentropy")
    z = np.random.default_rng(0).standard_normal((8, LATENT)).astype(np.float32)
    before = discriminator.get_weights()
    gan.train_on_batch(z, np.ones((8, 1), np.float32))
    assert not any(_changed(before, discriminator.get_weights()))
    discriminator.train_on_batch(generator.predict(z, verbose=0), np.zeros((8, 1), np.float32))
    assert all(_changed(before, discriminator.get_weights()))
