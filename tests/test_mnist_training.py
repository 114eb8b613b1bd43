"""The chapter's network on real MNIST data (needs the mnist_dir fixture's files)."""
import numpy as np
import pytest

from fastnn import layers, models
from fastnn.datasets import mnist
from fastnn.utils import set_random_seed, to_categorical


@pytest.fixture(scope="module")
def mnist_arrays(mnist_dir):
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(mnist_dir)
    return train_images, train_labels, test_images, test_labels


def _chapter_network():
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return network


def test_fit_on_an_mnist_subset(mnist_arrays):
    train_images, train_labels, test_images, test_labels = mnist_arrays
    set_random_seed(0)
    network = _chapter_network()
    x = train_images[:20000].reshape((20000, 28 * 28)).astype("float32") / 255
    history = network.fit(x, to_categorical(train_labels[:20000]), epochs=3, batch_size=128, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    x_test = test_images[:2000].reshape((2000, 28 * 28)).astype("float32") / 255
    _, test_acc = network.evaluate(x_test, to_categorical(test_labels[:2000]), verbose=0)
    assert test_acc >= 0.90


def test_later_editions_style_on_unflattened_float64_images(mnist_arrays):
    train_images, train_labels, test_images, test_labels = mnist_arrays
    set_random_seed(1)
    model = models.Sequential([layers.Flatten(), layers.Dense(128, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_images[:5000] / 255, train_labels[:5000], epochs=2, batch_size=64, verbose=0)
    predictions = model.predict(test_images[:1000] / 255, verbose=0)
    assert predictions.shape == (1000, 10)
    assert (predictions.argmax(axis=1) == test_labels[:1000]).mean() >= 0.80


@pytest.mark.slow
def test_the_chapter_run_reaches_the_books_accuracy(mnist_arrays):
    train_images, train_labels, test_images, test_labels = mnist_arrays
    set_random_seed(0)
    network = _chapter_network()
    train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
    network.fit(train_images, to_categorical(train_labels), epochs=5, batch_size=128, verbose=0)
    _, test_acc = network.evaluate(test_images, to_categorical(test_labels), verbose=0)
    assert test_acc >= 0.978
