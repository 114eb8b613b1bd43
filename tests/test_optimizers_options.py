"""Optimizer options: lr alias, gradient clipping (per variable, global, by value), decoupled
weight decay, amsgrad, centered RMSprop, Nadam and AdamW, checked against NumPy written from
Keras 3's formulas."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import kernels, optimizers
from fastnn.optimizers import SGD, Adam, AdamW, Nadam, RMSprop


def grads_and_params(seed=0, sizes=(6, 3, 10)):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n) for n in sizes]
    grads = [[rng.standard_normal(n) * 3 for n in sizes] for _ in range(4)]
    return params, grads


def test_lr_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated"):
        opt = SGD(lr=0.3)
    assert opt.learning_rate == 0.3
    with pytest.warns(DeprecationWarning):
        assert RMSprop(lr=0.02).get_config()["learning_rate"] == 0.02
    with pytest.raises(ValueError, match="pass the learning rate once.*learning_rate=0.1, lr=0.2"):
        Adam(learning_rate=0.1, lr=0.2)
    with pytest.raises(ValueError, match="argument.*not recognized: decay_rate"):
        Adam(decay_rate=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Adam(learning_rate=0.001)


def test_clipping_options_are_exclusive_and_positive():
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="clipnorm must be > 0 or None. Received: clipnorm=0"):
        Adam(clipnorm=0)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        Adam(weight_decay=-0.1)
    with pytest.raises(ValueError, match="weight_decay must be a number"):
        AdamW(weight_decay=None)


def test_clipvalue_and_weight_decay_with_sgd():
    p, g = np.array([1.0, -2.0, 3.0]), np.array([5.0, -0.1, -7.0])
    SGD(learning_rate=0.1, clipvalue=0.5, weight_decay=0.2).apply([g], [p])
    start = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(p, start - start * 0.02 - 0.1 * np.clip(g, -0.5, 0.5), rtol=1e-15)


def _clip_by_norm(g, c):
    norm = np.sqrt(np.sum(g * g))
    return g * (c / max(norm, c))


@pytest.mark.parametrize("cls, kwargs", [(SGD, dict(learning_rate=0.1, momentum=0.9)), (Adam, {}),
                                         (RMSprop, dict(centered=True)), (Nadam, {}),
                                         (optimizers.Adagrad, dict(learning_rate=0.1))])
def test_clipnorm_per_variable_in_a_flat_buffer_equals_separate_variables(cls, kwargs):
    params, grads = grads_and_params()
    sizes = [p.size for p in params]
    separate, flat_opt = cls(clipnorm=1.5, **kwargs), cls(clipnorm=1.5, **kwargs)
    flat = np.concatenate(params)
    for step in grads:
        separate.apply(step, params)
        flat_opt.apply([np.concatenate(step)], [flat], segments=sizes)
    np.testing.assert_array_equal(flat, np.concatenate(params))


def test_clipnorm_clips_each_variable_by_its_own_norm():
    params, grads = grads_and_params(sizes=(4, 50))
    flat = np.concatenate(params)
    start = flat.copy()
    SGD(learning_rate=1.0, clipnorm=2.0).apply([np.concatenate(grads[0])], [flat], segments=[4, 50])
    want = start - np.concatenate([_clip_by_norm(g, 2.0) for g in grads[0]])
    np.testing.assert_allclose(flat, want, rtol=1e-14)
    # without segments the flat buffer is one variable
    flat = start.copy()
    SGD(learning_rate=1.0, clipnorm=2.0).apply([np.concatenate(grads[0])], [flat])
    np.testing.assert_allclose(flat, start - _clip_by_norm(np.concatenate(grads[0]), 2.0), rtol=1e-14)


def test_global_clipnorm_flat_and_separate_agree():
    params, grads = grads_and_params()
    flat = np.concatenate(params)
    separate, flat_opt = Adam(global_clipnorm=2.0), Adam(global_clipnorm=2.0)
    for step in grads:
        separate.apply(step, params)
        flat_opt.apply([np.concatenate(step)], [flat])
    np.testing.assert_allclose(flat, np.concatenate(params), rtol=1e-13)
    p, g = np.zeros(2), np.array([3.0, 4.0])
    SGD(learning_rate=1.0, global_clipnorm=1.0).apply([g], [p])
    np.testing.assert_allclose(p, [-0.6, -0.8], rtol=1e-15)


def test_segments_are_checked():
    opt = SGD(clipnorm=1.0)
    with pytest.raises(ValueError, match="segments must add up to the parameter's 5 elements"):
        opt.apply([np.ones(5)], [np.zeros(5)], segments=[2, 2])
    with pytest.raises(ValueError, match="segments describe one flat parameter"):
        opt.apply([np.ones(5), np.ones(2)], [np.zeros(5), np.zeros(2)], segments=[5])


def test_non_finite_gradients_give_nan_after_clipping_by_norm():
    p = np.zeros(3)
    SGD(learning_rate=1.0, global_clipnorm=1.0).apply([np.array([np.inf, 1.0, 0.0])], [p])
    assert np.isnan(p).all()
    p = np.zeros(3)
    SGD(learning_rate=1.0, clipnorm=1.0).apply([np.array([np.nan, 1.0, 0.0])], [p])
    assert np.isnan(p).all()


def adam_numpy(p, g, state, t, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=0.0):
    p = p - p * wd * lr
    state["m"] = state.get("m", 0) + (g - state.get("m", 0)) * (1 - b1)
    state["v"] = state.get("v", 0) + (g * g - state.get("v", 0)) * (1 - b2)
    v = state["v"]
    if amsgrad:
        state["vh"] = v = np.maximum(state.get("vh", 0), v)
    return p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * state["m"] / (np.sqrt(v) + eps)


def rmsprop_centered_numpy(p, g, state, lr=0.001, rho=0.9, mu=0.5, eps=1e-7):
    state["ms"] = rho * state.get("ms", 0) + (1 - rho) * g * g
    state["ag"] = rho * state.get("ag", 0) + (1 - rho) * g
    inc = lr * g / np.sqrt(state["ms"] - state["ag"] ** 2 + eps)
    state["mom"] = mu * state.get("mom", 0) + inc
    return p - state["mom"]


def nadam_numpy(p, g, state, t, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
    state["u"] = u_product = state.get("u", 1.0) * u_t
    state["m"] = state.get("m", 0) + (g - state.get("m", 0)) * (1 - b1)
    state["v"] = state.get("v", 0) + (g * g - state.get("v", 0)) * (1 - b2)
    m_hat = u_next * state["m"] / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
    return p - m_hat * lr / (np.sqrt(state["v"] / (1 - b2 ** t)) + eps)


@pytest.mark.parametrize("make, step", [
    (lambda: Adam(amsgrad=True), lambda p, g, s, t: adam_numpy(p, g, s, t, amsgrad=True)),
    (lambda: AdamW(), lambda p, g, s, t: adam_numpy(p, g, s, t, wd=0.004)),
    (lambda: AdamW(learning_rate=0.01, weight_decay=0.1, amsgrad=True),
     lambda p, g, s, t: adam_numpy(p, g, s, t, lr=0.01, wd=0.1, amsgrad=True)),
    (lambda: RMSprop(centered=True, momentum=0.5), lambda p, g, s, t: rmsprop_centered_numpy(p, g, s)),
    (lambda: Nadam(), nadam_numpy),
    (lambda: Nadam(learning_rate=0.01, beta_1=0.8, beta_2=0.99), lambda p, g, s, t: nadam_numpy(
        p, g, s, t, lr=0.01, b1=0.8, b2=0.99)),
])
def test_updates_follow_keras_formulas(make, step):
    params, grads = grads_and_params(1)
    opt = make()
    want = [p.copy() for p in params]
    states = [{} for _ in params]
    for t, gs in enumerate(grads * 3, 1):
        opt.apply(gs, params)
        want = [step(p, g, s, t) for p, g, s in zip(want, gs, states)]
    for got, expected in zip(params, want):
        np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-13)


def test_nadam_state_round_trip():
    params, grads = grads_and_params(2)
    a = Nadam()
    for gs in grads[:2]:
        a.apply(gs, params)
    b = Nadam()
    b_params = [p.copy() for p in params]
    b.build(b_params)
    b.set_variables(a.variables())
    assert b.u_product == a.u_product != 1.0
    for gs in grads[2:]:
        a.apply(gs, params)
        b.apply(gs, b_params)
    for x, y in zip(params, b_params):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name, states", [("adam_step", 2), ("nadam_step", 2), ("rmsprop_step", 1),
                                          ("sgd_step", 1), ("adagrad_step", 1)])
def test_kernels_refuse_shared_buffers(name, states):
    hyper = {"adam_step": dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1),
             "nadam_step": dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1, u_product=1.0),
             "rmsprop_step": dict(rho=0.9, epsilon=1e-7), "sgd_step": dict(momentum=0.9),
             "adagrad_step": dict(epsilon=1e-7)}[name]
    p, g, shared = np.zeros(8, np.float32), np.ones(8, np.float32), np.zeros(8, np.float32)
    first = "m" if name in ("adam_step", "nadam_step") else None
    if states == 2:
        with pytest.raises(ValueError, match=f"{name}: {first} and v share memory"):
            getattr(kernels, name)(p, g, shared, shared, learning_rate=0.1, **hyper)
    buffer = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match=f"{name}: param and .* share memory"):
        getattr(kernels, name)(buffer[:8], g, *([buffer[4:]] + [np.zeros(8, np.float32)] * (states - 1)),
                               learning_rate=0.1, **hyper)


def test_fit_with_clipping_and_weight_decay():
    fastnn.set_seed(0)
    model = fastnn.models.Sequential([fastnn.layers.Dense(8, activation="relu", input_shape=(4,)),
                                      fastnn.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=AdamW(learning_rate=0.01, clipnorm=1.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    h = model.fit(x, y, epochs=5, batch_size=20, verbose=0).history
    assert h["loss"][-1] < h["loss"][0] and np.all(np.isfinite(model.get_weights()[0]))


def test_keras2_decay_divides_the_learning_rate_by_one_plus_decay_times_the_step():
    # Keras 2's time-based decay (the book's RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)):
    # step t from 0 uses lr / (1 + decay * t); the same steps with that rate set by hand.
    params, grads = grads_and_params(seed=3)
    decayed, by_hand = [p.copy() for p in params], [p.copy() for p in params]
    opt = RMSprop(learning_rate=0.05, decay=0.5, clipvalue=1.0)
    reference = RMSprop(learning_rate=0.05, clipvalue=1.0)
    for t, step_grads in enumerate(grads):
        opt.apply(step_grads, decayed)
        reference.learning_rate = 0.05 / (1 + 0.5 * t)
        reference.apply(step_grads, by_hand)
    for a, b in zip(decayed, by_hand):
        np.testing.assert_array_equal(a, b)
    assert opt.learning_rate == 0.05  # the base rate is kept; decay applies at each step
    assert RMSprop.from_config(opt.get_config()).decay == 0.5
    assert "decay" not in RMSprop().get_config()
    with pytest.raises(ValueError, match=r"RMSprop: decay must be >= 0. Received: decay=-1"):
        RMSprop(decay=-1)


def test_decay_trains_the_same_on_step_plans_as_eagerly():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5)).astype(np.float32), rng.random((64, 1)).astype(np.float32)
    weights = []
    for run_eagerly in (False, True):
        fastnn.utils.set_random_seed(1)
        model = fastnn.models.Sequential([fastnn.layers.Dense(4, activation="relu", input_shape=(5,)),
                                          fastnn.layers.Dense(1)])
        model.compile(optimizer=SGD(learning_rate=0.1, decay=0.3), loss="mse", run_eagerly=run_eagerly)
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
