"""Graph models train on step plans exactly like stacks: the replayed steps give the eager
steps' bits (weights, history, evaluate, predict) at 1 and 2 threads, for multi-input,
multi-output, shared-layer, nested and residual models."""
import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, models, optimizers
from fastnn.utils import set_random_seed, to_categorical

SAMPLES = 150


def _multi_input():
    a, b = Input(shape=(10,), name="a"), Input(shape=(7,), name="b")
    x = layers.concatenate([layers.Dense(8, activation="relu")(a), layers.Dense(6, activation="tanh")(b)])
    model = models.Model([a, b], layers.Dense(4, activation="softmax")(layers.Dropout(0.2)(x)))
    return model, {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def _multi_output():
    inputs = Input(shape=(10,))
    x = layers.Dense(12, activation="relu")(inputs)
    outputs = [layers.Dense(1, name="value")(x), layers.Dense(4, activation="softmax", name="kind")(x),
               layers.Dense(1, activation="sigmoid", name="flag")(layers.Dense(5, activation="elu")(x))]
    return models.Model(inputs, outputs), {"loss": ["mse", "categorical_crossentropy", "binary_crossentropy"],
                                           "loss_weights": [0.25, 1.0, 10.0], "metrics": [["mae"], ["accuracy"], []]}


def _shared():
    a, b = Input(shape=(10,)), Input(shape=(10,))
    shared = layers.Dense(8, activation="relu")
    merged = layers.add([shared(a), shared(b), layers.multiply([shared(a), shared(b)])])
    return models.Model([a, b], layers.Dense(1, activation="sigmoid")(merged)), {"loss": "binary_crossentropy"}


def _nested():
    inner_input = Input(shape=(10,))
    inner = models.Model(inner_input, layers.Dense(6, activation="tanh")(inner_input), name="inner")
    stack = models.Sequential([layers.Dense(5, activation="relu", input_shape=(6,)), layers.Dense(4)])
    inputs = Input(shape=(10,))
    outputs = layers.Activation("softmax")(stack(inner(inputs)))
    return models.Model(inputs, outputs), {"loss": "categorical_crossentropy", "metrics": ["accuracy"]}


def _residual():
    inputs = Input(shape=(6, 6, 2))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(4, 3, padding="same")(y)
    x = layers.Activation("relu")(layers.add([x, y]))
    x = layers.MaxPooling2D(2)(x)
    z = layers.Conv2D(4, 1)(x)
    x = layers.maximum([layers.Activation("relu")(layers.add([x, z])), layers.average([x, z])])
    outputs = layers.Dense(4, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    return models.Model(inputs, outputs), {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def _residual_bn():
    """The benchmark's structure, small: conv-BN-relu stem, a block conv-BN-relu-conv-BN added to its
    input, pooling, global average pooling."""
    inputs = Input(shape=(6, 6, 2))
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(inputs)))
    y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(x)))
    y = layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(y))
    x = layers.MaxPooling2D(2)(layers.Activation("relu")(layers.add([x, y])))
    outputs = layers.Dense(4, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    return models.Model(inputs, outputs), {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


MODELS = {"multi-input": _multi_input, "multi-output": _multi_output, "shared": _shared, "nested": _nested,
          "residual": _residual, "residual-bn": _residual_bn}
OPTIMIZERS = {"multi-input": lambda: optimizers.Adam(0.01), "multi-output": lambda: optimizers.RMSprop(),
              "shared": lambda: optimizers.SGD(0.05, momentum=0.9), "nested": lambda: optimizers.Adagrad(0.05),
              "residual": lambda: optimizers.Adam(0.01), "residual-bn": lambda: optimizers.Adam(0.01)}


def _data(name):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((SAMPLES, 10)).astype(np.float32)
    labels = (np.abs(x).argmax(axis=1) % 4).astype(np.int64)
    if name == "multi-input":
        return [x, rng.standard_normal((SAMPLES, 7)).astype(np.float32)], labels
    if name == "multi-output":
        return x, [x[:, :1] * 0.5, to_categorical(labels, 4), (labels % 2).astype(np.float32)]
    if name == "shared":
        other = rng.standard_normal((SAMPLES, 10)).astype(np.float32)
        return [x, other], (x.sum(axis=1) > other.sum(axis=1)).astype(np.float32)
    if name == "nested":
        return x, to_categorical(labels, 4)
    if name == "residual-bn":
        name = "residual"
    images = rng.standard_normal((SAMPLES, 6, 6, 2)).astype(np.float32)
    return images, (np.abs(images.reshape(SAMPLES, -1)).argmax(axis=1) % 4).astype(np.int64)


def _trained(name, run_eagerly, batch_size, epochs=3):
    x, y = _data(name)
    set_random_seed(11)
    model, settings = MODELS[name]()
    model.compile(optimizer=OPTIMIZERS[name](), run_eagerly=run_eagerly, **settings)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model, history.history, (x, y)


def _same_bits(a, b):
    return all(u.dtype == v.dtype and np.array_equal(u.view(np.uint8), v.view(np.uint8)) for u, v in zip(a, b))


def _replaying(function):
    plans = function.plans.plans
    return plans and all(p.state == "replay" for p in plans.values())


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_graph_plans_give_the_eager_bits(name, threads, request):
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    request.addfinalizer(lambda: fastnn.set_num_threads(before))
    for batch_size in (32, 64):  # 150 samples: a short last batch either way
        planned, planned_history, (x, y) = _trained(name, False, batch_size)
        eager, eager_history, _ = _trained(name, True, batch_size)
        assert _replaying(planned.train_function), {k: (p.state, p.reason)
                                                    for k, p in planned.train_function.plans.plans.items()}
        assert _same_bits(planned.get_weights(), eager.get_weights()), name
        assert planned_history == eager_history
        for m in (planned, eager):
            m.evaluate(x, y, batch_size=batch_size, verbose=0)
            m.evaluate(x, y, batch_size=batch_size, verbose=0)
        assert planned.evaluate(x, y, batch_size=batch_size, verbose=0) == \
            eager.evaluate(x, y, batch_size=batch_size, verbose=0)
        assert _replaying(planned.test_function)
        for _ in range(2):
            planned.predict(x, batch_size=batch_size, verbose=0)
        want = eager.predict(x, batch_size=batch_size, verbose=0)
        got = planned.predict(x, batch_size=batch_size, verbose=0)
        assert _same_bits(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want])
        assert _replaying(planned.predict_function)


@pytest.mark.parametrize("name", ["residual", "residual-bn"])
def test_graph_weights_are_identical_at_one_and_two_threads(name):
    results = []
    for threads in (1, 2):
        before = fastnn.get_num_threads()
        fastnn.set_num_threads(threads)
        try:
            results.append(_trained(name, False, 32)[0].get_weights())
        finally:
            fastnn.set_num_threads(before)
    assert _same_bits(*results)


def test_train_on_batch_and_test_on_batch_replay_for_multi_output():
    x, y = _data("multi-output")
    planned, settings = _multi_output()
    eager, _ = _multi_output()
    eager.set_weights(planned.get_weights())
    for m, run_eagerly in ((planned, False), (eager, True)):
        m.compile(optimizer="rmsprop", run_eagerly=run_eagerly, **settings)
    for step in range(4):
        rows = slice(step * 20, step * 20 + 20)
        batch = (x[rows], [t[rows] for t in y])
        assert planned.train_on_batch(*batch) == eager.train_on_batch(*batch)
        assert planned.test_on_batch(*batch) == eager.test_on_batch(*batch)
    assert _same_bits(planned.get_weights(), eager.get_weights())
    assert _replaying(planned.train_function)
    got, want = planned.predict_on_batch(x[:20]), eager.predict_on_batch(x[:20])
    assert _same_bits(got, want)
