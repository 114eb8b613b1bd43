"""Step plans replay exactly what the eager step computes, for every model, and are made again
when anything they captured changes."""
import numpy as np
import pytest

import fastnn
from fastnn import callbacks, layers, models, optimizers
from fastnn.engine import PlanCache, StepPlan
from fastnn.utils import set_random_seed, to_categorical

FEATURES, CLASSES, SAMPLES = 12, 4, 150

# (name, layer factory, loss, output activation) for every kind of model the suite trains
MODELS = {
    "relu-softmax": (lambda: [layers.Dense(16, activation="relu"), layers.Dense(CLASSES, activation="softmax")],
                     "categorical_crossentropy"),
    "tanh-dropout-sparse": (lambda: [layers.Dense(16, activation="tanh"), layers.Dropout(0.3),
                                     layers.Dense(CLASSES, activation="softmax")], "sparse_categorical_crossentropy"),
    "sigmoid-stack": (lambda: [layers.Dense(16, activation="sigmoid"), layers.Dense(8, activation="relu"),
                               layers.Dropout(0.2), layers.Dense(CLASSES, activation="softmax")],
                      "categorical_crossentropy"),
    "activation-layers": (lambda: [layers.Dense(16), layers.Activation("tanh"), layers.Dense(CLASSES),
                                   layers.Activation("softmax")], "categorical_crossentropy"),
    "flatten": (lambda: [layers.Flatten(), layers.Dense(10, activation="relu"), layers.Dense(CLASSES, activation="softmax")],
                "sparse_categorical_crossentropy"),
    "binary": (lambda: [layers.Dense(8, activation="relu"), layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")],
               "binary_crossentropy"),
    "regression": (lambda: [layers.Dense(8, activation="tanh"), layers.Dense(1)], "mse"),
    "logits": (lambda: [layers.Dense(16, activation="relu"), layers.Dense(CLASSES)],
               fastnn.losses.SparseCategoricalCrossentropy(from_logits=True)),
    "activations": (lambda: [layers.Dense(16, activation="gelu"), layers.Dense(12, activation="swish"),
                             layers.Dense(12), layers.LeakyReLU(), layers.Dense(12, activation="elu"),
                             layers.Activation("selu"), layers.Dense(10, activation="softplus"),
                             layers.Activation("softsign"), layers.Dense(10, activation="hard_sigmoid"),
                             layers.Dense(8, activation=lambda t: fastnn.activations.gelu(t, approximate=True)),
                             layers.ELU(alpha=0.5), layers.Dense(CLASSES, activation="softmax")],
                    "categorical_crossentropy"),
    "linear-softmax-output": (lambda: [layers.Dense(CLASSES, activation="linear"), layers.Activation("softmax")],
                              "sparse_categorical_crossentropy"),
    # the book's MNIST convnet at a small size
    "convnet": (lambda: [layers.Conv2D(8, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
                         layers.Conv2D(16, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
                         layers.Conv2D(16, (3, 3), activation="relu"), layers.Flatten(), layers.Dropout(0.3),
                         layers.Dense(16, activation="relu"), layers.Dense(CLASSES, activation="softmax")],
                "categorical_crossentropy"),
    "convnet-same-strided-average": (lambda: [
        layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        layers.AveragePooling2D(2, strides=1, padding="same"),
        layers.Conv2D(8, (3, 2), padding="same", activation="tanh"), layers.Dropout(0.25),
        layers.GlobalAveragePooling2D(), layers.Dense(CLASSES, activation="softmax")],
        "sparse_categorical_crossentropy"),
    "convnet-dilated-overlapping-pools": (lambda: [
        layers.Conv2D(4, 2, dilation_rate=2, activation="relu"),
        layers.MaxPooling2D(3, strides=2, padding="same"),
        layers.Conv2D(6, 1, activation="relu"), layers.Conv2D(6, 2, activation="relu"),
        layers.GlobalMaxPooling2D(), layers.Dense(CLASSES, activation="softmax")],
        "sparse_categorical_crossentropy"),
}
# the shape of one sample for models that do not take FEATURES values
SAMPLE_SHAPES = {"flatten": (3, 4), "convnet": (20, 20, 1), "convnet-same-strided-average": (10, 9, 3),
                 "convnet-dilated-overlapping-pools": (11, 10, 2)}
OPTIMIZERS = {
    "rmsprop": lambda: optimizers.RMSprop(),
    "sgd-nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(0.01),
    "adagrad": lambda: optimizers.Adagrad(0.05),
}


def _data(loss, sample_shape=(FEATURES,)):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((SAMPLES,) + sample_shape).astype(np.float32)
    labels = (np.abs(x.reshape(SAMPLES, -1)).argmax(axis=1) % CLASSES).astype(np.int64)
    if loss == "categorical_crossentropy":
        return x, to_categorical(labels, CLASSES)
    if loss == "binary_crossentropy":
        return x, (labels % 2).astype(np.float32)
    if loss == "mse":
        return x, x.reshape(SAMPLES, -1)[:, :1] * 0.5
    return x, labels


def _trained(model_name, optimizer_name, run_eagerly, batch_size, epochs=3):
    make_layers, loss = MODELS[model_name]
    x, y = _data(loss, SAMPLE_SHAPES.get(model_name, (FEATURES,)))
    set_random_seed(11)
    model = models.Sequential(make_layers())
    model.compile(optimizer=OPTIMIZERS[optimizer_name](), loss=loss, metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model, history.history, (x, y)


def _same_weights(a, b):
    return all(np.array_equal(u.view(np.uint32), v.view(np.uint32)) for u, v in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_plans_give_the_eager_bits_for_every_model(model_name, threads, request):
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    request.addfinalizer(lambda: fastnn.set_num_threads(before))
    optimizer_name = sorted(OPTIMIZERS)[sorted(MODELS).index(model_name) % len(OPTIMIZERS)]
    for batch_size in (32, 64):  # 150 samples: a short last batch either way
        planned, planned_history, (x, y) = _trained(model_name, optimizer_name, False, batch_size)
        eager, eager_history, _ = _trained(model_name, optimizer_name, True, batch_size)
        plans = planned.train_function.plans.plans
        assert plans and all(p.state == "replay" for p in plans.values()), \
            {k: (p.state, p.reason) for k, p in plans.items()}
        assert _same_weights(planned, eager), model_name
        assert planned_history == eager_history
        for m in (planned, eager):
            m.evaluate(x, y, batch_size=batch_size, verbose=0)
            m.evaluate(x, y, batch_size=batch_size, verbose=0)
        assert planned.evaluate(x, y, batch_size=batch_size, verbose=0) == \
            eager.evaluate(x, y, batch_size=batch_size, verbose=0)
        for _ in range(2):
            planned.predict(x, batch_size=batch_size, verbose=0)
        assert np.array_equal(planned.predict(x, batch_size=batch_size, verbose=0),
                              eager.predict(x, batch_size=batch_size, verbose=0))
        assert all(p.state == "replay" for p in planned.predict_function.plans.plans.values())


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_on_plans(optimizer_name):
    planned, _, _ = _trained("tanh-dropout-sparse", optimizer_name, False, 32)
    eager, _, _ = _trained("tanh-dropout-sparse", optimizer_name, True, 32)
    assert _same_weights(planned, eager)


def test_weights_are_identical_at_one_and_two_threads():
    results = []
    for threads in (1, 2):
        before = fastnn.get_num_threads()
        fastnn.set_num_threads(threads)
        try:
            results.append(_trained("sigmoid-stack", "rmsprop", False, 32)[0])
        finally:
            fastnn.set_num_threads(before)
    assert _same_weights(*results)


def _relu_model(seed=3):
    set_random_seed(seed)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def _step_states(model):
    return sorted(p.state for p in model.train_function.plans.plans.values())


def test_set_weights_between_fits_and_steps_is_seen_by_the_plan():
    x, y = _data("sparse_categorical_crossentropy")
    planned, eager = _relu_model(), _relu_model()
    eager.run_eagerly = True
    fresh = [w * 0.5 for w in planned.get_weights()]

    class Reset(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                self.model.set_weights(fresh)

    for m in (planned, eager):
        m.fit(x, y, batch_size=50, epochs=4, verbose=0, shuffle=False, callbacks=[Reset()])
    assert _step_states(planned) == ["replay"]
    assert _same_weights(planned, eager)


def test_replaced_weight_arrays_make_the_plan_again():
    x, y = _data("sparse_categorical_crossentropy")
    model = _relu_model()
    model.fit(x, y, batch_size=50, epochs=3, verbose=0)
    train_function = model.train_function
    kernel = model.layers[0].kernel
    kernel.data = np.array(kernel.data)  # a new array: the plan's pointers are stale
    for _ in range(3):  # the first step gathers the weights into their flat buffer again, eagerly
        loss, _ = train_function(*_batch(x, y, 50))
    assert _step_states(model) == ["replay"]
    assert np.isfinite(loss)


def _batch(x, y, n):
    return np.ascontiguousarray(x[:n]), np.ascontiguousarray(y[:n])


@pytest.mark.parametrize("change", ["trainable", "add layer", "recompile", "seed"])
def test_changes_to_what_a_plan_captured_make_it_again(change):
    x, y = _data("sparse_categorical_crossentropy")
    model = _relu_model()
    model.fit(x, y, batch_size=50, epochs=3, verbose=0)
    signature = model._plan_signature()
    if change == "trainable":
        model.layers[0].trainable = False
        model.compile(optimizer=optimizers.SGD(0.1), loss=model.objective.identifier)  # as Keras asks
    elif change == "add layer":
        model.add(layers.Activation("linear"))
    elif change == "recompile":
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    else:
        set_random_seed(1)
    assert model._plan_signature() != signature
    frozen = model.layers[0].get_weights()
    model.fit(x, y, batch_size=50, epochs=3, verbose=0)
    assert _step_states(model) == ["replay"]
    if change == "trainable":
        assert all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights()))


def test_learning_rate_changed_by_a_callback_is_read_at_each_step():
    x, y = _data("sparse_categorical_crossentropy")
    model = _relu_model()

    class Freeze(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.optimizer.learning_rate = 0.0
                self.frozen = self.model.get_weights()

    freeze = Freeze()
    model.fit(x, y, batch_size=50, epochs=5, verbose=0, callbacks=[freeze])
    assert _step_states(model) == ["replay"]
    assert all(np.array_equal(a, b) for a, b in zip(freeze.frozen, model.get_weights()))


def test_dropout_draws_fresh_masks_every_step_and_repeats_under_a_seed():
    x = np.ones((8, 32), np.float32)
    layer = layers.Dropout(0.5)
    set_random_seed(4)
    first = [layer(x, training=True).data.copy() for _ in range(3)]
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[1], first[2])
    set_random_seed(4)
    again = [layer(x, training=True).data.copy() for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert np.array_equal(layer(x).data, x)  # inference: the identity


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_dropout_masks_do_not_depend_on_the_thread_count(threads, request):
    before = fastnn.get_num_threads()
    request.addfinalizer(lambda: fastnn.set_num_threads(before))
    x = np.random.default_rng(0).standard_normal((300, 700)).astype(np.float32)
    fastnn.set_num_threads(1)
    want = fastnn.kernels.dropout(x, 0.3, np.array([9, 2], np.uint64))
    fastnn.set_num_threads(threads)
    got = fastnn.kernels.dropout(x, 0.3, np.array([9, 2], np.uint64))
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
    kept = (got[1] > 0).mean()
    assert abs(kept - 0.7) < 0.01


def test_a_step_with_numpy_on_tensor_data_stays_eager():
    data = np.arange(6, dtype=np.float64).reshape(2, 3)

    def step():
        t = fastnn.Tensor(data)
        doubled = fastnn.Tensor(t.data * 2)  # NumPy on the data: not a kernel call
        return [fastnn.relu(doubled).data]

    plan = StepPlan(step)
    for _ in range(3):  # the check on the second call sees new data, as fit's batches are
        data[...] += 1
        assert np.array_equal(plan()[0], np.maximum(data * 2, 0))
    assert plan.state == "eager" and "differed" in plan.reason


def test_a_step_with_an_unrecordable_op_stays_eager():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)

    def step():
        return [fastnn.max(fastnn.Tensor(x), axis=1).data]

    plan = StepPlan(step)
    plan()
    assert plan.state == "eager" and "Max" in plan.reason


def test_plan_cache_drops_plans_when_the_signature_changes():
    version = [0]
    cache = PlanCache(lambda: version[0])
    first = cache.get("k", lambda: lambda: [np.zeros(1)])
    assert cache.get("k", lambda: None) is first
    version[0] += 1
    assert cache.get("k", lambda: lambda: [np.ones(1)]) is not first


def test_relu_gradients_fold_into_the_gemm_epilogue():
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(16, activation="relu"), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data("sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=50, epochs=2, verbose=0)
    plan = next(iter(model.train_function.plans.plans.values()))
    assert plan.state == "replay"
    assert "relu_grad" not in plan.tape.kinds()


def test_nan_debugging_runs_eagerly_and_names_the_layer():
    x, y = _data("sparse_categorical_crossentropy")
    model = _relu_model()
    model.fit(x, y, batch_size=50, epochs=2, verbose=0)
    x_bad = x.copy()
    x_bad[3, 0] = np.inf
    with fastnn.debug_nans(), pytest.raises(FloatingPointError, match="dense"):
        model.fit(x_bad, y, batch_size=50, epochs=1, verbose=0)


def test_bad_labels_fail_before_any_plan():
    x, y = _data("sparse_categorical_crossentropy")
    model = _relu_model()
    with pytest.raises(ValueError, match="labels"):
        model.fit(x, y + 10, batch_size=50, epochs=1, verbose=0)
    assert model.train_function is None


def _hand_written_network(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(FEATURES, 16), (16,), (16, CLASSES), (CLASSES,)]
    return [fastnn.Tensor((rng.standard_normal(s) * 0.3).astype(np.float32), requires_grad=True) for s in shapes]


def _loop_step(weights, optimizer):
    def step(images, labels):
        for w in weights:
            w.zero_grad()
        w1, b1, w2, b2 = weights
        logits = fastnn.dot(fastnn.relu(fastnn.dot(images, w1) + b1), w2) + b2
        loss = fastnn.ops.softmax_cross_entropy(logits, labels)
        loss.backward()
        optimizer.apply([w.grad for w in weights], [w.data for w in weights])
        return loss
    return step


def test_a_decorated_hand_written_loop_replays_the_eager_loop_bit_for_bit():
    x, y = _data("sparse_categorical_crossentropy")
    x = x.astype(np.float32)
    eager_weights, replayed_weights = _hand_written_network(), _hand_written_network()
    eager = _loop_step(eager_weights, optimizers.Adam(0.01))
    replayed = fastnn.function(_loop_step(replayed_weights, optimizers.Adam(0.01)))
    for epoch in range(3):
        for start in range(0, 100, 25):
            batch = (x[start:start + 25], y[start:start + 25])
            want, got = eager(*batch), replayed(*batch)
            assert np.array_equal(want.data, got.data)
    assert [p.plan.state for p in replayed.plans.values()] == ["replay"]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(eager_weights, replayed_weights))


def test_a_decorated_step_reads_the_learning_rate_at_every_call():
    x, y = _data("sparse_categorical_crossentropy")
    weights = _hand_written_network()
    optimizer = optimizers.SGD(0.1)
    step = fastnn.function(_loop_step(weights, optimizer))
    for _ in range(3):
        step(x[:25], y[:25])
    optimizer.learning_rate = 0.0
    frozen = [w.data.copy() for w in weights]
    step(x[25:50], y[25:50])
    assert all(np.array_equal(a, w.data) for a, w in zip(frozen, weights))


def test_a_decorated_step_that_edits_data_in_numpy_is_refused():
    x, y = _data("sparse_categorical_crossentropy")
    weights = _hand_written_network()

    @fastnn.function
    def step(images, labels):
        for w in weights:
            w.zero_grad()
        w1, b1, w2, b2 = weights
        loss = fastnn.ops.softmax_cross_entropy(fastnn.dot(fastnn.relu(fastnn.dot(images, w1) + b1), w2) + b2, labels)
        loss.backward()
        for w in weights:
            w.data -= 0.1 * w.grad  # NumPy on the data: not something a replay can repeat
        return loss

    with pytest.raises(RuntimeError, match="cannot be replayed.*data was assigned"):
        step(x[:25], y[:25])


def _base(array):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def test_a_plan_holds_about_twice_one_batchs_activations():
    rng = np.random.default_rng(0)
    x, y = rng.random((300, 784)).astype(np.float32), rng.integers(0, 10, 300)
    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)), layers.Dropout(0.2),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=100, epochs=3, verbose=0)
    plan = next(iter(model.train_function.plans.plans.values()))
    parameters = model.trainable_parameters()
    outside = {id(parameters.values), id(parameters.grads)} | {id(b) for b in model._batch_buffers().values()}
    owned = {id(_base(a)): _base(a) for a in plan.tape.arrays if isinstance(a, np.ndarray)}
    held = sum(b.nbytes for key, b in owned.items() if key not in outside)
    activations = 100 * (512 + 512 + 10 + 10) * 4  # hidden, dropout output, logits, probabilities
    assert plan.state == "replay" and held <= 2.1 * activations, (held, activations)
