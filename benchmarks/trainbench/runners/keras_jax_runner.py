"""The network in Keras 3 on the JAX backend, chapter 2's code; one fit(epochs=1) call per epoch.

KERAS_BACKEND, JAX_PLATFORMS and XLA_FLAGS are set by the parent process before this module is imported.
"""
import os

import keras
from keras import layers

from ..workload import CLASSES, HIDDEN, INPUTS

if keras.backend.backend() != "jax":
    raise ImportError(f"Keras is using the {keras.backend.backend()!r} backend, not 'jax' "
                      f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r})")


def version():
    import jax
    return f"keras {keras.__version__}, jax {jax.__version__}"


class Trainer:
    def __init__(self, spec, weights):
        self.spec = spec
        keras.utils.set_random_seed(spec.seed)
        self.model = keras.Sequential([
            keras.Input(shape=(INPUTS,)),
            layers.Dense(HIDDEN, activation="relu"),
            layers.Dense(CLASSES, activation="softmax"),
        ])
        self.model.compile(
            optimizer=keras.optimizers.RMSprop(
                learning_rate=spec.learning_rate, rho=spec.rho, epsilon=spec.epsilon),
            loss="categorical_crossentropy", metrics=["accuracy"])
        self.model.set_weights(weights)

    def train_epoch(self, x, y, epoch):
        self.model.fit(x, y, epochs=1, batch_size=self.spec.batch_size, shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def get_weights(self):
        return self.model.get_weights()
