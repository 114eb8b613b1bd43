"""Bad input ends in a clear exception, and unusual but valid input in the right result.

The table lists (what is called, the exception, a fragment of its message). Rows already
covered elsewhere are not repeated: kernel dtype/shape errors (the records in fastnn.kernel_table), fit's
feature count, label count, one-hot/sparse mix-ups and batch_size (test_models.py), weight
files (test_saving.py), IDX files and downloads (test_datasets.py).
"""
import math
import zipfile
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import fastnn
from fastnn import Tensor, callbacks, kernels, layers, losses, metrics, models, ops, optimizers
from fastnn.utils import to_categorical

FEATURES, CLASSES = 20, 3


def classifier(loss="categorical_crossentropy", built=True):
    model = models.Sequential([
        layers.Dense(8, activation="relu", name="hidden", **({"input_shape": (FEATURES,)} if built else {})),
        layers.Dense(CLASSES, activation="softmax", name="output"),
    ])
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


def x(n=8, features=FEATURES, dtype=np.float32):
    return np.random.default_rng(n).standard_normal((n, features)).astype(dtype)


def onehot(n=8, classes=CLASSES):
    return to_categorical(np.arange(n) % classes, classes)


def labels(n=8):
    return np.arange(n) % CLASSES


@dataclass(frozen=True)
class Row:
    label: str
    call: Callable[[], object]
    exception: type
    match: str


ROWS = [
    # ---- shapes: the expected and received shapes and the layer or argument are named ----
    Row("evaluate: 21 features into a model built for 20",
        lambda: classifier().evaluate(x(features=21), onehot(), verbose=0),
        ValueError, r"'hidden' \(Dense\).*expected shape \(None, 20\).*x has shape \(None, 21\)"),
    Row("predict: 3-D samples into a Dense model",
        lambda: classifier().predict(x().reshape(8, 4, 5), verbose=0),
        ValueError, r"'hidden' \(Dense\).*\(None, 20\).*\(None, 4, 5\)"),
    Row("fit: validation_data with 21 features",
        lambda: classifier().fit(x(), onehot(), validation_data=(x(features=21), onehot()), verbose=0),
        ValueError, r"\(None, 20\).*x_val has shape \(None, 21\)"),
    Row("fit: validation labels count != validation samples count",
        lambda: classifier().fit(x(), onehot(), validation_data=(x(), onehot(7)), verbose=0),
        ValueError, r"x_val has 8 samples but y_val has 7"),
    Row("evaluate: labels count != samples count",
        lambda: classifier().evaluate(x(10), onehot(9), verbose=0),
        ValueError, r"x has 10 samples but y has 9"),
    Row("fit: one-hot labels with 4 classes for a 3-class model",
        lambda: classifier().fit(x(), onehot(classes=4), verbose=0),
        ValueError, r"y has shape \(8, 4\) but the model's output has shape \(None, 3\)"),
    Row("evaluate: one-hot labels with the sparse loss (fix suggested)",
        lambda: classifier("sparse_categorical_crossentropy").evaluate(x(), onehot(), verbose=0),
        ValueError, r"looks one-hot encoded\. Use loss='categorical_crossentropy'.*argmax"),
    Row("evaluate: integer labels with the one-hot loss (fix suggested)",
        lambda: classifier().evaluate(x(), labels(), verbose=0),
        ValueError, r"looks like integer class labels\. Use loss='sparse_categorical_crossentropy'.*to_categorical"),
    Row("layer call: 21 features into a Dense layer built for 20",
        lambda: classifier().layers[0](x(features=21)),
        ValueError, r"'hidden' \(Dense\).*expected shape \(None, 20\).*\(None, 21\)"),
    Row("model call: 21 features",
        lambda: classifier()(x(features=21)),
        ValueError, r"'hidden' \(Dense\).*\(None, 20\).*\(None, 21\)"),
    Row("layer.set_weights: one array for a layer with two",
        lambda: classifier().layers[0].set_weights([np.zeros((FEATURES, 8))]),
        ValueError, r"'hidden' \(Dense\) expects 2 weight arrays, received 1"),
    Row("Tensor matmul: inner dimensions differ",
        lambda: Tensor(np.ones((2, 3))) @ np.ones((4, 2)),
        ValueError, r"matmul: shapes \(2, 3\) and \(4, 2\) are not aligned"),
    Row("Tensor add: shapes do not broadcast",
        lambda: Tensor(np.ones((2, 3))) + np.ones(4),
        ValueError, r"shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    Row("dot: last axis of x != first axis of y",
        lambda: fastnn.dot(np.ones((2, 3)), np.ones((4, 5))),
        ValueError, r"dot: shapes \(2, 3\) and \(4, 5\) are not aligned"),
    Row("ops.dense: x features != kernel rows",
        lambda: ops.dense(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32)),
        ValueError, r"dense: x has 3 features \(shape \(2, 3\)\) but kernel expects 4"),
    Row("softmax_cross_entropy: target shape != logits shape",
        lambda: ops.softmax_cross_entropy(np.ones((2, 3)), np.ones((2, 4))),
        ValueError, r"target has shape \(2, 4\) but logits have shape \(2, 3\)"),
    Row("backward: gradient of another shape",
        lambda: (Tensor(np.ones(3), requires_grad=True) * 2).backward(np.ones(4)),
        ValueError, r"gradient has shape \(4,\) but the tensor has shape \(3,\)"),
    Row("categorical_crossentropy: y_true (2, 3), y_pred (2, 4)",
        lambda: losses.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4))),
        ValueError, r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"),
    Row("mean_squared_error: y_true (3,) against y_pred (3, 3) is not broadcast",
        lambda: losses.mean_squared_error(np.ones(3), np.ones((3, 3))),
        ValueError, r"mean_squared_error.*y_true.shape=\(3,\), y_pred.shape=\(3, 3\)"),
    Row("mean_absolute_error: y_true (4, 2), y_pred (2, 2)",
        lambda: losses.mean_absolute_error(np.ones((4, 2)), np.ones((2, 2))),
        ValueError, r"mean_absolute_error.*y_true.shape=\(4, 2\), y_pred.shape=\(2, 2\)"),
    Row("binary_crossentropy: y_true (3, 1), y_pred (2, 1)",
        lambda: losses.binary_crossentropy(np.ones((3, 1)), np.full((2, 1), 0.5)),
        ValueError, r"binary_crossentropy.*y_true.shape=\(3, 1\), y_pred.shape=\(2, 1\)"),
    Row("sparse_categorical_accuracy: 3 labels for 2 predictions",
        lambda: metrics.sparse_categorical_accuracy(np.ones(3), np.ones((2, 4))),
        ValueError, r"y_true of shape \(3,\) does not match y_pred of shape \(2, 4\)"),
    Row("predict: ragged nested lists",
        lambda: classifier().predict([[0.0] * FEATURES, [0.0] * 3], verbose=0),
        ValueError, r"x must be an array of equally shaped samples. Received a ragged x"),
    Row("Sequential.build: input_shape without a batch axis",
        lambda: models.Sequential([layers.Dense(2)]).build((5,)),
        ValueError, r"needs a batch axis.*Received: input_shape=\(5,\)"),

    # ---- values: the argument and the received value are named ----
    Row("evaluate: batch_size=0",
        lambda: classifier().evaluate(x(), onehot(), batch_size=0, verbose=0),
        ValueError, r"Received: batch_size=0"),
    Row("predict: batch_size=-1",
        lambda: classifier().predict(x(), batch_size=-1, verbose=0),
        ValueError, r"Received: batch_size=-1"),
    Row("fit: epochs=1.5",
        lambda: classifier().fit(x(), onehot(), epochs=1.5, verbose=0),
        ValueError, r"Received: epochs=1.5"),
    Row("fit: initial_epoch=-1",
        lambda: classifier().fit(x(), onehot(), initial_epoch=-1, verbose=0),
        ValueError, r"Received: initial_epoch=-1"),
    Row("fit: validation_split=nan",
        lambda: classifier().fit(x(), onehot(), validation_split=math.nan, verbose=0),
        ValueError, r"validation_split must be a number in \[0, 1\). Received: validation_split=nan"),
    Row("compile: unknown optimizer, known names listed",
        lambda: classifier().compile(optimizer="adamax", loss="mse"),
        ValueError, r"Unknown optimizer 'adamax'; known optimizers: adagrad, adam, adamw, nadam, rmsprop, sgd"),
    Row("compile: unknown loss, known names listed",
        lambda: classifier().compile(loss="hinge"),
        ValueError, r"Unknown loss: 'hinge'. Known losses: categorical_crossentropy, .*mean_squared_error"),
    Row("compile: unknown metric, known names listed",
        lambda: classifier().compile(loss="mse", metrics=["auc"]),
        ValueError, r"Unknown metric 'auc'; known metrics: accuracy, .*binary_accuracy"),
    Row("Dense: unknown activation, known names listed",
        lambda: layers.Dense(3, activation="mish"),
        ValueError, r"Unknown activation: 'mish'. Known activations: elu, exponential, gelu, .*swish, tanh"),
    Row("Dense: unknown initializer, known names listed",
        lambda: layers.Dense(3, kernel_initializer="identity"),
        ValueError, r"Unknown initializer: 'identity'. Known initializers: zeros, .*glorot_uniform"),
    Row("Dense: units=-3",
        lambda: layers.Dense(-3),
        ValueError, r"Received: units=-3"),
    Row("Dropout: rate=1.0",
        lambda: layers.Dropout(1.0),
        ValueError, r"Received: rate=1.0"),
    Row("SGD: learning_rate=-1",
        lambda: optimizers.SGD(learning_rate=-1),
        ValueError, r"Received: learning_rate=-1"),
    Row("RMSprop: rho=1.5",
        lambda: optimizers.RMSprop(rho=1.5),
        ValueError, r"Received: rho=1.5"),
    Row("EarlyStopping: patience=-1",
        lambda: callbacks.EarlyStopping(patience=-1),
        ValueError, r"Received: patience=-1"),
    Row("to_categorical: label 3 with num_classes=3",
        lambda: to_categorical([0, 3, 1], num_classes=3),
        ValueError, r"labels must be below num_classes=3, got \[3\]"),
    Row("sparse_categorical_crossentropy: label 5 for 3 classes",
        lambda: losses.sparse_categorical_crossentropy(np.array([0, 5]), np.full((2, 3), 1 / 3)),
        ValueError, r"labels must be in \[0, 3\), received values in \[0, 5\]"),
    Row("set_num_threads('2')",
        lambda: fastnn.set_num_threads("2"),
        ValueError, r"positive integer, received: '2'"),
    Row("debug_nans('yes')",
        lambda: fastnn.debug_nans("yes"),
        TypeError, r"True or False. Received: enabled='yes'"),

    # ---- dtypes: object, string and complex data is refused, never cast ----
    Row("fit: complex x",
        lambda: classifier().fit(x().astype(complex), onehot(), verbose=0),
        TypeError, r"x must hold real numbers. Received: x with dtype complex128"),
    Row("fit: string y",
        lambda: classifier().fit(x(), onehot().astype(str), verbose=0),
        TypeError, r"y must hold real numbers. Received: y with dtype <U"),
    Row("evaluate: object x",
        lambda: classifier().evaluate(x().astype(object), onehot(), verbose=0),
        TypeError, r"x must hold real numbers. Received: x with dtype object"),
    Row("predict: complex x",
        lambda: classifier().predict(x().astype(np.complex64), verbose=0),
        TypeError, r"Received: x with dtype complex64"),
    Row("layer call: complex inputs",
        lambda: classifier().layers[0](x().astype(complex)),
        TypeError, r"Layer 'hidden' \(Dense\) takes real numbers. Received: inputs with dtype complex128"),
    Row("layer call: object inputs",
        lambda: classifier().layers[0](x().astype(object)),
        TypeError, r"Layer 'hidden' \(Dense\) takes real numbers. Received: inputs with dtype object"),
    Row("model call: complex inputs",
        lambda: classifier()(x().astype(complex)),
        TypeError, r"Model '.*' takes real numbers. Received: inputs with dtype complex128"),
    Row("set_weights: complex kernel",
        lambda: classifier().layers[0].set_weights([np.ones((FEATURES, 8), complex), np.zeros(8)]),
        TypeError, r"weight 'kernel' must hold floating-point numbers, received an array of dtype complex128"),
    Row("Tensor of strings",
        lambda: Tensor(np.array(["a", "b"])),
        TypeError, r"Tensor data must be real numbers, got dtype <U1"),
    Row("Tensor + complex array",
        lambda: Tensor(np.ones(3)) + np.ones(3, complex),
        TypeError, r"got dtype complex128"),
    Row("Tensor * object array",
        lambda: Tensor(np.ones(2)) * np.array([1, None], dtype=object),
        TypeError, r"got dtype object"),
    Row("relu of an object array",
        lambda: fastnn.relu(np.array([1.0, "x"], dtype=object)),
        TypeError, r"got dtype object"),
    Row("kernels.softmax of strings",
        lambda: kernels.softmax(np.array([["a", "b"]])),
        TypeError, r"unsupported dtype <U1"),
    Row("kernels.matmul of a complex matrix",
        lambda: kernels.matmul(np.ones((2, 2), complex), np.ones((2, 2))),
        TypeError, r"unsupported dtype complex128"),
    Row("requires_grad on an integer tensor",
        lambda: Tensor(np.arange(3), requires_grad=True),
        TypeError, r"only float32 and float64 tensors can require gradients, got dtype int64"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.label for row in ROWS])
def test_bad_input_raises(row):
    with pytest.raises(row.exception, match=row.match):
        row.call()


# ---- unusual but valid arrays give the same results as plain float32 C arrays ---------------
def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def strided(a):
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def reversed_strides(a):
    flip = (slice(None, None, -1),) * a.ndim
    return np.ascontiguousarray(a[flip])[flip]


LAYOUTS = {
    "read-only": read_only,
    "fortran": np.asfortranarray,
    "strided": strided,
    "reversed": reversed_strides,
    "float64": lambda a: a.astype(np.float64),
    "list": lambda a: a.tolist(),
}


def fresh(seed=0):
    fastnn.set_seed(seed)
    return classifier()


@pytest.fixture(scope="module")
def plain_results():
    data, targets = x(64), onehot(64)
    model = fresh()
    history = fresh().fit(data, targets, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    return data, targets, model.predict(data, verbose=0), model.evaluate(data, targets, verbose=0), history


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_fit_predict_evaluate_accept_any_layout(layout, plain_results):
    data, targets, predictions, evaluation, history = plain_results
    change = LAYOUTS[layout]
    model = fresh()
    np.testing.assert_array_equal(model.predict(change(data), verbose=0), predictions)
    assert model.evaluate(change(data), change(targets), verbose=0) == evaluation
    trained = fresh().fit(change(data), change(targets), epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert trained.history == history


def test_integer_inputs_are_converted():
    model = fresh()
    counts = np.random.default_rng(3).integers(0, 9, (16, FEATURES))
    np.testing.assert_array_equal(model.predict(counts, verbose=0),
                                  model.predict(counts.astype(np.float32), verbose=0))
    sparse = fresh()
    sparse.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert np.isfinite(sparse.fit(counts, labels(16).astype(np.uint8), verbose=0).history["loss"][0])


def test_zero_samples_predict_to_an_empty_array():
    out = fresh().predict(np.zeros((0, FEATURES), np.float32), verbose=0)
    assert out.shape == (0, CLASSES) and out.dtype == np.float32


def test_zero_sample_fit_and_evaluate_say_so():
    with pytest.raises(ValueError, match=r"fit\(\) received no samples"):
        fresh().fit(np.zeros((0, FEATURES)), np.zeros((0, CLASSES)), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate\(\) received no samples"):
        fresh().evaluate(np.zeros((0, FEATURES)), np.zeros((0, CLASSES)), verbose=0)


@pytest.mark.parametrize("layout", ["read-only", "fortran", "strided", "reversed"])
def test_tensor_ops_accept_any_layout(layout):
    a = np.random.default_rng(1).standard_normal((5, 7))
    b = np.random.default_rng(2).standard_normal((7, 3))
    change = LAYOUTS[layout]
    want = (fastnn.relu(Tensor(a) @ Tensor(b)) + 1).sum(axis=0)
    got = (fastnn.relu(Tensor(change(a)) @ Tensor(change(b))) + 1).sum(axis=0)
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
    w = Tensor(change(a), requires_grad=True)
    fastnn.softmax(w).max().backward()
    assert w.grad.shape == a.shape and np.all(np.isfinite(w.grad))


# ---- NaN and Inf in the data -------------------------------------------------------------------
class BatchCounter(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_training_on_non_finite_data_does_not_crash(bad):
    data = x(32)
    data[5, 3] = bad
    model = fresh()
    history = model.fit(data, onehot(32), epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(data, verbose=0).shape == (32, CLASSES)
    assert isinstance(model.evaluate(data, onehot(32), verbose=0), list)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_at_the_first_nan_batch(capsys):
    data = x(32)
    data[10] = math.nan  # in the second batch of 8 when not shuffled
    counter = BatchCounter()
    history = fresh().fit(data, onehot(32), epochs=3, batch_size=8, shuffle=False, verbose=0,
                          callbacks=[callbacks.TerminateOnNaN(), counter])
    assert counter.batches == 2
    assert len(history.history["loss"]) == 1 and math.isnan(history.history["loss"][0])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


# ---- files -----------------------------------------------------------------------------------------
class _WritesMarker:
    """Unpickling this creates a file: proof that a loader ran pickle."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("load", ["load_weights", "load_model"])
def test_weight_files_are_read_without_pickle(tmp_path, load):
    marker = tmp_path / "unpickled"
    model = classifier()
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    arrays = dict(np.load(path))
    arrays["0/kernel"] = np.array([_WritesMarker(marker)], dtype=object)
    np.savez(path, allow_pickle=True, **arrays)
    if load == "load_model":
        saved = tmp_path / "model.fastnn"
        model.save(saved)
        with zipfile.ZipFile(saved) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members["model.weights.npz"] = path.read_bytes()
        with zipfile.ZipFile(saved, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        path = saved
    with pytest.raises(ValueError, match="not a readable fastnn weights file"):
        model.load_weights(path) if load == "load_weights" else models.load_model(path)
    assert not marker.exists()


def test_weight_files_with_complex_arrays_are_refused(tmp_path):
    model = classifier()
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    arrays = dict(np.load(path))
    arrays["0/kernel"] = arrays["0/kernel"].astype(np.complex64)
    np.savez(path, **arrays)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"'kernel' of layer 0 with dtype complex64, not floating-point numbers"):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_big_endian_floats_are_taken_as_their_values():
    x = np.arange(-6, 6, dtype=">f4").reshape(3, 4) / 4
    native = x.astype("<f4")
    for name in ("relu", "softmax", "tanh", "sigmoid", "copy"):
        np.testing.assert_array_equal(getattr(fastnn.kernels, name)(x), getattr(fastnn.kernels, name)(native))
    np.testing.assert_array_equal(fastnn.kernels.add(x, x), native + native)
    np.testing.assert_array_equal(fastnn.kernels.matmul(x, x.T), fastnn.kernels.matmul(native, native.T))


@pytest.mark.parametrize("shuffle", ["no", "yes", 0.5, None])
def test_shuffle_takes_a_bool_or_batch(shuffle):
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="shuffle must be True, False or 'batch'"):
        model.fit(np.ones((4, 3)), np.zeros(4, int), shuffle=shuffle, verbose=0)


def test_shuffle_batch_trains():
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(loss="sparse_categorical_crossentropy")
    history = model.fit(np.ones((10, 3)), np.zeros(10, int), batch_size=3, shuffle="batch", epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_fit_refuses_to_train_inside_no_grad():
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(loss="sparse_categorical_crossentropy")
    with fastnn.no_grad(), pytest.raises(RuntimeError, match="gradients are disabled"):
        model.fit(np.ones((4, 3)), np.zeros(4, int), verbose=0)


def test_an_unbuilt_model_fed_3d_inputs_says_to_flatten():
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"output has shape \(None, 2, 3\).*Flatten"):
        model.fit(np.ones((5, 2, 3), "float32"), np.zeros(5, int), verbose=0)
