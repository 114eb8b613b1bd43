"""fit's fused step for Dense stacks: bitwise the same training as the autodiff engine."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.models.dense_stack import DenseStackForward, DenseStackStep
from fastnn.utils import set_random_seed, to_categorical

FEATURES, CLASSES = 12, 4


def _data(n=203, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n)
    centers = np.random.default_rng(7).normal(size=(CLASSES, FEATURES)) * 2
    x = centers[labels] + rng.normal(size=(n, FEATURES))
    return x.astype(dtype), labels


def _stack(kind):
    relu = dict(activation="relu")
    if kind == "chapter":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(CLASSES, activation="softmax")]
    if kind == "deep":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(9),
                layers.Dense(7, use_bias=False, **relu), layers.Dense(CLASSES, activation="softmax")]
    if kind == "single":
        return [layers.Dense(CLASSES, activation="softmax", input_shape=(FEATURES,))]
    if kind == "logits":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(CLASSES, use_bias=False)]
    raise ValueError(kind)


def _train(kind, fused, monkeypatch, loss="categorical_crossentropy", fits=((1, 32),), x=None, labels=None,
           optimizer="rmsprop", **fit_kwargs):
    """(model, histories) after the fits (epochs, batch_size) with the fused step on or off."""
    with monkeypatch.context() as patch:
        if not fused:
            patch.setattr(DenseStackStep, "supports", staticmethod(lambda *args: False))
        calls = []
        original = DenseStackStep.__call__
        patch.setattr(DenseStackStep, "__call__", lambda self, *a: calls.append(1) or original(self, *a))
        if x is None:
            x, labels = _data()
        y = labels if loss.startswith("sparse") or loss == "from_logits" else to_categorical(labels, CLASSES)
        if loss == "from_logits":
            loss = fastnn.losses.SparseCategoricalCrossentropy(from_logits=True)
        set_random_seed(5)
        model = models.Sequential(_stack(kind))
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        histories = [model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0, **fit_kwargs).history
                     for epochs, batch in fits]
        assert bool(calls) == fused
    return model, histories


def _assert_same(a, b):
    (ma, ha), (mb, hb) = a, b
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        assert np.array_equal(wa, wb)
    assert ha == hb
    for ta, tb in zip(ma.weights, mb.weights):
        assert np.array_equal(ta.grad, tb.grad)


@pytest.mark.parametrize("kind", ["chapter", "deep", "single"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_fused_step_trains_bitwise_like_the_engine(kind, loss, monkeypatch):
    _assert_same(_train(kind, True, monkeypatch, loss, fits=((2, 32),)),
                 _train(kind, False, monkeypatch, loss, fits=((2, 32),)))


def test_a_linear_output_with_a_from_logits_loss(monkeypatch):
    _assert_same(_train("logits", True, monkeypatch, "from_logits"), _train("logits", False, monkeypatch, "from_logits"))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adagrad"])
def test_other_optimizers(optimizer, monkeypatch):
    _assert_same(_train("chapter", True, monkeypatch, optimizer=optimizer),
                 _train("chapter", False, monkeypatch, optimizer=optimizer))


def test_consecutive_fits_with_other_batch_sizes_and_a_partial_last_batch(monkeypatch):
    fits = ((1, 64), (2, 7), (1, 203), (1, 500), (1, 1))  # 203 = 3 * 64 + 11 = 29 * 7
    _assert_same(_train("deep", True, monkeypatch, fits=fits), _train("deep", False, monkeypatch, fits=fits))


def test_validation_split_and_uint8_inputs(monkeypatch):
    x, labels = _data()
    x = np.clip(x * 20 + 128, 0, 255).astype(np.uint8)
    runs = [_train("chapter", fused, monkeypatch, x=x, labels=labels, validation_split=0.2) for fused in (True, False)]
    assert "val_accuracy" in runs[0][1][0]
    _assert_same(*runs)


def test_predict_and_evaluate_after_fused_fit(monkeypatch):
    x, labels = _data(97)
    (fused, _), (plain, _) = (_train("deep", f, monkeypatch, fits=((2, 16),)) for f in (True, False))
    assert np.array_equal(fused.predict(x, verbose=0), plain.predict(x, verbose=0))
    y = to_categorical(labels, CLASSES)
    assert fused.evaluate(x, y, verbose=0) == plain.evaluate(x, y, verbose=0)
    # training again after predict: the step's buffers still hold nothing the next batch needs
    again = [m.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0).history for m in (fused, plain)]
    assert again[0] == again[1]
    for wa, wb in zip(fused.get_weights(), plain.get_weights()):
        assert np.array_equal(wa, wb)


def test_the_fused_step_learns():
    x, labels = _data(400)
    set_random_seed(0)
    model = models.Sequential(_stack("chapter"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(labels, CLASSES), epochs=20, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


def _supports(model):
    return DenseStackStep.supports(model, model.trainable_parameters(), model.objective)


def _compiled(stack, loss="categorical_crossentropy"):
    model = models.Sequential(stack)
    model.compile(loss=loss)
    return model


def test_models_the_fused_step_does_not_take():
    relu = dict(activation="relu")
    assert _supports(_compiled(_stack("chapter")))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(FEATURES,), **relu), layers.Dropout(0.5),
                                    layers.Dense(CLASSES, activation="softmax")]))
    assert not _supports(_compiled([layers.Dense(8, activation="tanh", input_shape=(FEATURES,)),
                                    layers.Dense(CLASSES, activation="softmax")]))
    assert not _supports(_compiled(_stack("chapter"), loss="mse"))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(FEATURES,), **relu),
                                    layers.Dense(CLASSES, activation="sigmoid")]))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(3, FEATURES), **relu),
                                    layers.Dense(CLASSES, activation="softmax")]))
    frozen = _stack("chapter")
    frozen[0].trainable = False
    assert not _supports(_compiled(frozen))


def test_a_frozen_layer_trains_through_the_engine(monkeypatch):
    calls = []
    original = DenseStackStep.__call__
    monkeypatch.setattr(DenseStackStep, "__call__", lambda self, *a: calls.append(1) or original(self, *a))
    x, labels = _data()
    stack = _stack("chapter")
    stack[0].trainable = False
    model = _compiled(stack)
    before = model.get_weights()
    model.fit(x, to_categorical(labels, CLASSES), epochs=1, batch_size=50, verbose=0)
    after = model.get_weights()
    assert not calls
    assert np.array_equal(before[0], after[0]) and not np.array_equal(before[2], after[2])


# predict -----------------------------------------------------------------------------------------
def _predict_both(model, x, monkeypatch, **kwargs):
    fused = model.predict(x, verbose=0, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(DenseStackForward, "supports", staticmethod(lambda model: False))
        plain = model.predict(x, verbose=0, **kwargs)
    return fused, plain


@pytest.mark.parametrize("last", ["softmax", "relu", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_fused_predict_matches_the_layer_by_layer_forward(last, dtype, monkeypatch):
    x, _ = _data(101)
    x = np.clip(x * 20 + 128, 0, 255).astype(dtype) if dtype == np.uint8 else x.astype(dtype)
    set_random_seed(2)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(9, use_bias=False), layers.Dense(CLASSES, activation=last)])
    assert DenseStackForward.supports(model)
    for batch_size in (1, 10, 32, 101, 500):
        fused, plain = _predict_both(model, x, monkeypatch, batch_size=batch_size)
        assert fused.dtype == np.float32 and fused.shape == (101, CLASSES)
        assert np.array_equal(fused, plain)


def test_fused_predict_on_a_strided_input_and_a_single_sample(monkeypatch):
    x, _ = _data(60)
    model = _compiled(_stack("chapter"))
    for data in (x[::-2], np.asfortranarray(x), x[:1]):
        fused, plain = _predict_both(model, data, monkeypatch, batch_size=7)
        assert np.array_equal(fused, plain)


def test_predict_takes_the_layer_by_layer_path_for_other_layers():
    model = _compiled([layers.Dense(8, activation="relu", input_shape=(FEATURES,)), layers.Dropout(0.5),
                       layers.Dense(CLASSES, activation="softmax")])
    assert not DenseStackForward.supports(model)
    assert not DenseStackForward.supports(_compiled([layers.Dense(8, activation="sigmoid", input_shape=(FEATURES,))]))
    x, _ = _data(20)
    assert np.allclose(model.predict(x, verbose=0).sum(axis=1), 1, atol=1e-5)
