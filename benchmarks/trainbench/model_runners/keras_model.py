"""A configuration in Keras 3 on JAX: keras.Sequential, compile, one fit(epochs=1, verbose=0) per epoch.

KERAS_BACKEND, JAX_PLATFORMS and XLA_FLAGS are set by the parent process before this module is imported.
"""
import os

import keras
from keras import layers

from .. import modelspec

if keras.backend.backend() != "jax":
    raise ImportError(f"Keras is using the {keras.backend.backend()!r} backend, not 'jax' "
                      f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r})")

OPTIMIZERS = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
              "adagrad": keras.optimizers.Adagrad}


def version():
    import jax
    return f"keras {keras.__version__}, jax {jax.__version__}"


def unsupported(name, spec):
    return None


def _layer(layer):
    if layer["type"] == "dense":
        return layers.Dense(layer["units"], activation=layer["activation"])
    if layer["type"] == "dropout":
        return layers.Dropout(layer["rate"])
    return layers.Flatten()


class Trainer:
    def __init__(self, spec, weights, seed, threads):
        self.spec = spec
        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential([keras.Input(shape=tuple(spec["input_shape"]))]
                                      + [_layer(layer) for layer in spec["layers"]])
        name, config = modelspec.optimizer_config(spec)
        self.model.compile(optimizer=OPTIMIZERS[name](**config), loss=spec["loss"], metrics=spec["metrics"])
        self.model.set_weights(weights)

    def train_epoch(self, x, y, epoch):
        self.model.fit(x, y, epochs=1, batch_size=self.spec["batch_size"], shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def get_weights(self):
        return self.model.get_weights()

    def notes(self):
        return {}
