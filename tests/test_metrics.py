import numpy as np
import pytest

from fastnn import metrics
from fastnn.metrics import Mean, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy

PRED = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])


def test_categorical_accuracy_per_sample():
    onehot = np.eye(3)[[1, 0, 1, 2]]
    out = categorical_accuracy(onehot, PRED)
    np.testing.assert_array_equal(out, [1, 1, 0, 0])
    assert out.dtype == np.float32


def test_categorical_accuracy_rejects_sparse_labels():
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        categorical_accuracy([1, 0, 1, 2], PRED)


@pytest.mark.parametrize("labels", [[1, 0, 1, 2], [[1], [0], [1], [2]], [1.0, 0.0, 1.0, 2.0]])
def test_sparse_categorical_accuracy(labels):
    np.testing.assert_array_equal(sparse_categorical_accuracy(labels, PRED), [1, 1, 0, 0])


def test_sparse_categorical_accuracy_shape_error():
    with pytest.raises(ValueError, match=r"y_true of shape \(3,\).*\(4, 3\)"):
        sparse_categorical_accuracy([1, 0, 1], PRED)


def test_binary_accuracy_column_and_flat():
    y_true = np.array([[1], [0], [1], [0]])
    y_pred = np.array([[0.9], [0.6], [0.4], [0.1]])
    np.testing.assert_array_equal(binary_accuracy(y_true, y_pred), [1, 0, 0, 1])
    np.testing.assert_array_equal(binary_accuracy(y_true.ravel(), y_pred), [1, 0, 0, 1])
    np.testing.assert_array_equal(binary_accuracy(y_true.ravel(), y_pred.ravel(), threshold=0.3), [1, 0, 1, 1])


def test_binary_accuracy_multi_label_averages_last_axis():
    y_true = np.array([[1, 0, 1, 1], [0, 0, 0, 0]])
    y_pred = np.array([[0.8, 0.2, 0.3, 0.9], [0.1, 0.7, 0.6, 0.2]])
    np.testing.assert_allclose(binary_accuracy(y_true, y_pred), [0.75, 0.5])


def test_get_resolves_accuracy_from_loss():
    assert metrics.get("accuracy", "sparse_categorical_crossentropy", (4, 10)) == (
        "accuracy", sparse_categorical_accuracy)
    assert metrics.get("accuracy", "SparseCategoricalCrossentropy")[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", "binary_crossentropy", (4, 3))[1] is binary_accuracy
    assert metrics.get("accuracy", "categorical_crossentropy", (4, 10))[1] is categorical_accuracy


def test_get_resolves_accuracy_from_label_shape():
    assert metrics.get("accuracy", "mse", (8,))[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", None, (8, 1), y_pred_shape=(8, 10))[1] is sparse_categorical_accuracy
    assert metrics.get("accuracy", None, (8, 1), y_pred_shape=(8, 1))[1] is binary_accuracy
    assert metrics.get("accuracy", "mse", (8, 5), y_pred_shape=(8, 5))[1] is categorical_accuracy
    assert metrics.get("accuracy")[1] is categorical_accuracy


def test_get_keeps_display_name():
    assert metrics.get("acc", "categorical_crossentropy", (4, 10)) == ("acc", categorical_accuracy)
    assert metrics.get("Accuracy")[0] == "Accuracy"
    assert metrics.get("binary_accuracy") == ("binary_accuracy", binary_accuracy)
    assert metrics.get("sparse_categorical_accuracy", "categorical_crossentropy")[1] is sparse_categorical_accuracy


def test_get_accepts_callables():
    def top_score(y_true, y_pred):
        return y_pred.max(axis=-1)

    name, fn = metrics.get(top_score)
    assert name == "top_score"
    np.testing.assert_array_equal(fn(None, PRED), PRED.max(axis=-1))


def test_get_unknown_lists_known_names():
    with pytest.raises(ValueError, match="accuracy, acc, categorical_accuracy, sparse_categorical_accuracy"):
        metrics.get("precision")
    with pytest.raises(ValueError, match="Received: 5"):
        metrics.get(5)


def test_mean_running_average():
    m = Mean()
    assert m.result() == 0.0
    m.update([1.0, 2.0, 3.0])
    m.update(10.0, weight=3)
    assert m.result() == pytest.approx((6 + 30) / 6)
    m.update([0.0, 4.0], weight=[1.0, 3.0])
    assert m.result() == pytest.approx((36 + 12) / 10)
    m.reset()
    assert m.result() == 0.0


def test_mean_batch_means_weighted_by_batch_size_equal_sample_mean():
    rng = np.random.default_rng(0)
    losses = rng.random(103)
    m = Mean()
    for start in range(0, 103, 32):
        batch = losses[start:start + 32]
        m.update(batch.mean(), weight=batch.size)
    assert m.result() == pytest.approx(losses.mean(), rel=1e-12)


def test_mean_rejects_bad_weights():
    with pytest.raises(ValueError, match="Received: weight=-1"):
        Mean().update(1.0, weight=-1)
    with pytest.raises(ValueError, match="shape"):
        Mean().update([1.0, 2.0], weight=[1.0, 2.0, 3.0])


# regression metrics, top-k, class forms, losses as metrics ---------------------------------------
Y_TRUE = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
Y_PRED = np.array([[1.5, 1.0], [0.2, -1.0], [2.0, 1.0]])


@pytest.mark.parametrize("names, expected", [
    (("mae", "mean_absolute_error", "MAE"), np.abs(Y_PRED - Y_TRUE).mean(-1)),
    (("mse", "mean_squared_error", "MSE"), np.square(Y_PRED - Y_TRUE).mean(-1)),
    (("mape", "mean_absolute_percentage_error", "MAPE"),
     100 * (np.abs(Y_TRUE - Y_PRED) / np.maximum(np.abs(Y_TRUE), 1e-7)).mean(-1)),
    (("msle", "mean_squared_logarithmic_error", "MSLE"),
     np.square(np.log(np.maximum(Y_PRED, 1e-7) + 1) - np.log(np.maximum(Y_TRUE, 1e-7) + 1)).mean(-1)),
])
def test_regression_metrics(names, expected):
    for name in names:
        fn = getattr(metrics, name)
        np.testing.assert_allclose(fn(Y_TRUE, Y_PRED), expected, rtol=1e-12)
        got_name, got_fn = metrics.get(name)
        assert got_name == name
        np.testing.assert_allclose(got_fn(Y_TRUE, Y_PRED), expected, rtol=1e-12)


def test_regression_metrics_single_output_and_dtype():
    y_true = np.array([1.0, 2.0, 4.0])
    y_pred = np.array([[1.5], [2.0], [3.0]], dtype=np.float32)
    out = metrics.mae(y_true, y_pred)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.5, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"mean_squared_error needs y_true and y_pred of the same shape.*\(2,\)"):
        metrics.mse(np.zeros(2), np.zeros((3, 1)))


def test_top_k_accuracy():
    scores = np.array([[0.1, 0.5, 0.3, 0.1], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25],
                       [np.nan, 0.1, 0.2, 0.3]])
    labels = np.array([2, 3, 1, 0])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=2), [1, 0, 1, 0])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels[:, None], scores, k=3), [1, 0, 1, 0])
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(np.eye(4)[labels], scores, k=1), [0, 0, 1, 0])
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(np.eye(4)[labels], scores), [1, 1, 1, 0])
    with pytest.raises(ValueError, match="k must be a positive integer. Received: k=0"):
        metrics.top_k_categorical_accuracy(np.eye(4)[labels], scores, k=0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
        metrics.sparse_top_k_categorical_accuracy(np.array([0, 1, 2, 4]), scores)


@pytest.mark.parametrize("cls, name, fn, args", [
    (metrics.MeanAbsoluteError, "mean_absolute_error", metrics.mae, (Y_TRUE, Y_PRED)),
    (metrics.MeanSquaredError, "mean_squared_error", metrics.mse, (Y_TRUE, Y_PRED)),
    (metrics.MeanAbsolutePercentageError, "mean_absolute_percentage_error", metrics.mape, (Y_TRUE, Y_PRED)),
    (metrics.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", metrics.msle, (Y_TRUE, Y_PRED)),
    (metrics.CategoricalAccuracy, "categorical_accuracy", categorical_accuracy, (np.eye(3)[[1, 0, 1, 2]], PRED)),
    (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy", sparse_categorical_accuracy,
     ([1, 0, 1, 2], PRED)),
    (metrics.BinaryAccuracy, "binary_accuracy", binary_accuracy, ([1, 0, 1], [0.9, 0.2, 0.4])),
    (metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy", metrics.top_k_categorical_accuracy,
     (np.eye(3)[[1, 0, 1, 2]], PRED)),
    (metrics.SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy",
     metrics.sparse_top_k_categorical_accuracy, ([1, 0, 1, 2], PRED)),
])
def test_metric_classes(cls, name, fn, args):
    m = cls()
    assert m.name == name
    assert metrics.get(m)[0] == name and metrics.get(cls(name="mine"))[0] == "mine"
    np.testing.assert_allclose(metrics.get(m)[1](*args), fn(*args))
    first = m(*args)
    assert first == pytest.approx(float(np.mean(fn(*args))))
    m.update_state(*args, sample_weight=np.zeros(len(args[0])))
    assert m.result() == pytest.approx(first)
    m.reset_state()
    assert m.result() == 0.0
    assert cls.from_config(m.get_config()).get_config() == m.get_config()
    assert metrics.get({"class_name": cls.__name__, "config": m.get_config()})[0] == name
    assert metrics.get(cls.__name__)[0] == name


def test_binary_accuracy_threshold_and_top_k_options():
    m = metrics.BinaryAccuracy(threshold=0.3)
    assert m([1, 0, 1], [0.9, 0.2, 0.4]) == 1.0
    assert m.get_config() == {"name": "binary_accuracy", "threshold": 0.3}
    top1 = metrics.SparseTopKCategoricalAccuracy(k=1)
    assert top1([1, 0, 1, 2], PRED) == 0.5
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold="high")


def test_losses_as_metrics():
    from fastnn import losses

    for loss, name in [(losses.mae, "mean_absolute_error"), (losses.mse, "mean_squared_error"),
                       (losses.MeanAbsoluteError(), "mean_absolute_error"),
                       (losses.binary_crossentropy, "binary_crossentropy"),
                       ("binary_crossentropy", "binary_crossentropy")]:
        got_name, fn = metrics.get(loss)
        assert got_name == name
        y_true, y_pred = np.array([[1.0], [0.0]]), np.array([[0.8], [0.3]], dtype=np.float32)
        values = fn(y_true, y_pred)
        assert isinstance(values, np.ndarray) and values.shape == (2,)
        want = losses.get(loss) if not isinstance(loss, str) else losses.get(loss)
        per_sample = (want.fn(y_true, y_pred) if isinstance(want, losses.Loss) else want(y_true, y_pred)).data
        np.testing.assert_array_equal(values, per_sample)
        assert float(np.mean(values)) == pytest.approx(float(np.mean(per_sample)))


def test_unknown_metric_lists_every_known_name():
    with pytest.raises(ValueError) as err:
        metrics.get("auc")
    for name in ("mae", "mean_absolute_error", "mape", "msle", "top_k_categorical_accuracy",
                 "sparse_top_k_categorical_accuracy", "binary_crossentropy"):
        assert name in str(err.value)


def test_first_edition_usage():
    from fastnn import losses

    assert callable(losses.binary_crossentropy) and callable(losses.mae)
    np.testing.assert_array_equal(metrics.binary_accuracy(np.array([1, 0]), np.array([0.7, 0.6])), [1, 0])


# metrics in fit: history names, old names -------------------------------------------------------
def _regression_model():
    import fastnn

    fastnn.set_seed(0)
    model = fastnn.models.Sequential([fastnn.layers.Dense(4, activation="relu", input_shape=(3,)),
                                      fastnn.layers.Dense(1)])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    return model, x, x.sum(axis=1, keepdims=True)


def test_fit_with_regression_metrics_and_losses_as_metrics():
    from fastnn import losses

    model, x, y = _regression_model()
    model.compile(optimizer="rmsprop", loss="mse",
                  metrics=["mae", "mean_squared_error", losses.mae, metrics.MeanAbsolutePercentageError()])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    h = history.history
    assert list(h) == ["loss", "mae", "mean_squared_error", "mean_absolute_error",
                       "mean_absolute_percentage_error", "val_loss", "val_mae", "val_mean_squared_error",
                       "val_mean_absolute_error", "val_mean_absolute_percentage_error"]
    assert h["mean_squared_error"] == pytest.approx(h["loss"], rel=1e-5)
    assert h["mae"] == pytest.approx(h["mean_absolute_error"], rel=1e-6)
    values = model.evaluate(x[30:], y[30:], verbose=0, return_dict=True)
    pred = model.predict(x[30:], verbose=0)
    assert values["mae"] == pytest.approx(float(np.mean(np.abs(pred - y[30:]))), rel=1e-5)


def test_history_answers_to_first_edition_names():
    model, x, y = _regression_model()
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0).history
    assert set(h) == {"loss", "mae", "val_loss", "val_mae"}
    assert h["mean_absolute_error"] is h["mae"] and h["val_mean_absolute_error"] is h["val_mae"]
    assert "val_mean_absolute_error" in h and h.get("mean_absolute_error") is h["mae"]
    assert "acc" not in h and h.get("acc") is None
    with pytest.raises(KeyError, match="'acc' is not in the history. Recorded: loss, mae"):
        h["acc"]


def test_history_accuracy_as_acc():
    import fastnn

    fastnn.set_seed(1)
    model = fastnn.models.Sequential([fastnn.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    h = model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0).history
    assert list(h) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert h["acc"] is h["accuracy"] and h["val_acc"] is h["val_accuracy"]
