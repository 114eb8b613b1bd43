"""The network in fastnn, chapter 2's Keras-style code; one fit(epochs=1) call per epoch."""
import fastnn
from fastnn import layers, models, optimizers, utils

from ..workload import CLASSES, HIDDEN, INPUTS


def version():
    return fastnn.__version__


class Trainer:
    def __init__(self, spec, weights):
        self.spec = spec
        fastnn.set_num_threads(spec.threads)
        utils.set_random_seed(spec.seed)
        self.model = models.Sequential([
            layers.Dense(HIDDEN, activation="relu", input_shape=(INPUTS,)),
            layers.Dense(CLASSES, activation="softmax"),
        ])
        self.model.compile(
            optimizer=optimizers.RMSprop(
                learning_rate=spec.learning_rate, rho=spec.rho, epsilon=spec.epsilon),
            loss="categorical_crossentropy", metrics=["accuracy"])
        self.model.set_weights(weights)

    def train_epoch(self, x, y, epoch):
        self.model.fit(x, y, epochs=1, batch_size=self.spec.batch_size, shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def get_weights(self):
        return [w.copy() for w in self.model.get_weights()]
