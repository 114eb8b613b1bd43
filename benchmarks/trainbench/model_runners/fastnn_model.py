"""A configuration in fastnn: models.Sequential, compile, one fit(epochs=1, verbose=0) per epoch."""
import fastnn
from fastnn import layers, models, optimizers, utils

from .. import modelspec

OPTIMIZERS = {"rmsprop": optimizers.RMSprop, "adam": optimizers.Adam, "sgd": optimizers.SGD,
              "adagrad": optimizers.Adagrad}


def version():
    return fastnn.__version__


def unsupported(name, spec):
    return None


def build_layers(spec):
    built = []
    for layer in spec["layers"]:
        if layer["type"] == "dense":
            built.append(layers.Dense(layer["units"], activation=layer["activation"]))
        elif layer["type"] == "dropout":
            built.append(layers.Dropout(layer["rate"]))
        else:
            built.append(layers.Flatten())
    return built


def build_model(spec, weights, run_eagerly=False):
    """The compiled Sequential model of `spec`, holding `weights`."""
    model = models.Sequential([layers.Input(shape=tuple(spec["input_shape"]))] + build_layers(spec))
    name, config = modelspec.optimizer_config(spec)
    model.compile(optimizer=OPTIMIZERS[name](**config), loss=spec["loss"], metrics=spec["metrics"],
                  run_eagerly=run_eagerly)
    model.set_weights(weights)
    return model


class Trainer:
    def __init__(self, spec, weights, seed, threads):
        self.spec = spec
        if threads is not None:  # None: fastnn's automatic count
            fastnn.set_num_threads(threads)
        utils.set_random_seed(seed)
        self.model = build_model(spec, weights)

    def train_epoch(self, x, y, epoch):
        self.model.fit(x, y, epochs=1, batch_size=self.spec["batch_size"], shuffle=True, verbose=0)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def get_weights(self):
        return [w.copy() for w in self.model.get_weights()]

    def notes(self):
        plans = self.model.train_function.plans.plans if self.model.train_function else {}
        return {"train_plan_states": sorted(p.state for p in plans.values())}
