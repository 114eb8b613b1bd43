import numpy as np
import pytest

from fastnn import optimizers
from fastnn.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop

# Plain NumPy statements of Keras 3's update rules, in float64; state is a dict per parameter.


def sgd_numpy(p, g, state, t, learning_rate, momentum=0.0, nesterov=False):
    if momentum == 0:
        return p - learning_rate * g
    v = momentum * state.get("v", 0.0) - learning_rate * g
    state["v"] = v
    return p + (momentum * v - learning_rate * g if nesterov else v)


def rmsprop_numpy(p, g, state, t, learning_rate, rho=0.9, momentum=0.0, epsilon=1e-7):
    ms = rho * state.get("ms", 0.0) + (1 - rho) * g**2
    state["ms"] = ms
    step = learning_rate * g / np.sqrt(ms + epsilon)
    if momentum:
        step = momentum * state.get("mom", 0.0) + step
        state["mom"] = step
    return p - step


def adagrad_numpy(p, g, state, t, learning_rate, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = state.get("acc", initial_accumulator_value) + g**2
    state["acc"] = acc
    return p - learning_rate * g / np.sqrt(acc + epsilon)


def adam_numpy(p, g, state, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = state.get("m", 0.0) * beta_1 + (1 - beta_1) * g
    v = state.get("v", 0.0) * beta_2 + (1 - beta_2) * g**2
    state["m"], state["v"] = m, v
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    # Keras folds the bias corrections into the step size, so epsilon meets sqrt(v), not sqrt(v_hat).
    return p - learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)


CASES = [
    (SGD, sgd_numpy, dict(learning_rate=0.1)),
    (SGD, sgd_numpy, dict(learning_rate=0.05, momentum=0.9)),
    (SGD, sgd_numpy, dict(learning_rate=0.05, momentum=0.8, nesterov=True)),
    (RMSprop, rmsprop_numpy, dict(learning_rate=0.01)),
    (RMSprop, rmsprop_numpy, dict(learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-6)),
    (Adagrad, adagrad_numpy, dict(learning_rate=0.1)),
    (Adagrad, adagrad_numpy, dict(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-4)),
    (Adam, adam_numpy, dict(learning_rate=0.01)),
    (Adam, adam_numpy, dict(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-5)),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, _, kw in CASES]
SHAPES = [(7,), (3, 5), (1,), (101,)]


def _run(cls, numpy_step, kwargs, dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    expected = [p.astype(np.float64) for p in params]
    states = [{} for _ in params]
    opt = cls(**kwargs)
    for t in range(1, steps + 1):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        opt.apply(grads, params)
        expected = [numpy_step(e, g.astype(np.float64), st, t, **kwargs) for e, g, st in zip(expected, grads, states)]
    return opt, params, expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("steps", [1, 5])
@pytest.mark.parametrize("cls, numpy_step, kwargs", CASES, ids=IDS)
def test_matches_numpy_formulas(cls, numpy_step, kwargs, dtype, steps):
    opt, params, expected = _run(cls, numpy_step, kwargs, dtype, steps)
    tol = 64 * np.finfo(dtype).eps
    assert opt.iterations == steps
    for p, e in zip(params, expected):
        assert p.dtype == dtype
        np.testing.assert_allclose(p, e, rtol=tol, atol=tol)


def test_parameters_actually_move():
    for cls, numpy_step, kwargs in CASES:
        _, params, _ = _run(cls, numpy_step, kwargs, np.float64, 1)
        _, start, _ = _run(cls, numpy_step, kwargs, np.float64, 0)
        assert all(not np.allclose(p, s) for p, s in zip(params, start)), cls.__name__


BASE = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None}


def test_keras_defaults():
    assert SGD().get_config() == {"name": "SGD", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False, **BASE}
    assert RMSprop().get_config() == {"name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0,
                                      "epsilon": 1e-7, "centered": False, **BASE}
    assert Adagrad().get_config() == {"name": "adagrad", "learning_rate": 0.001, "initial_accumulator_value": 0.1,
                                      "epsilon": 1e-7, **BASE}
    assert Adam().get_config() == {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                   "epsilon": 1e-7, "amsgrad": False, **BASE}
    assert optimizers.Nadam().get_config() == {"name": "nadam", "learning_rate": 0.001, "beta_1": 0.9,
                                               "beta_2": 0.999, "epsilon": 1e-7, **BASE}
    assert optimizers.AdamW().get_config() == {"name": "adamw", "learning_rate": 0.001, "beta_1": 0.9,
                                               "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                                               **BASE, "weight_decay": 0.004}


@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("RMSprop", RMSprop), ("ADAGRAD", Adagrad), ("adam", Adam)])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert opt.get_config() == cls().get_config()


def test_get_instance_and_config():
    opt = Adam(learning_rate=0.5, beta_1=0.8)
    assert optimizers.get(opt) is opt
    rebuilt = optimizers.get(optimizers.serialize(opt))
    assert type(rebuilt) is Adam and rebuilt.get_config() == opt.get_config()
    rebuilt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3, "momentum": 0.5}})
    assert (rebuilt.learning_rate, rebuilt.momentum) == (0.3, 0.5)


def test_get_unknown_lists_known_names():
    with pytest.raises(ValueError, match="adagrad, adam, adamw, nadam, rmsprop, sgd"):
        optimizers.get("adamax")
    with pytest.raises(ValueError, match="Received: 3"):
        optimizers.get(3)
    with pytest.raises(ValueError, match="class_name"):
        optimizers.get({"learning_rate": 0.1})


@pytest.mark.parametrize("cls, kwargs", [(c, k) for c, _, k in CASES], ids=IDS)
def test_config_round_trip(cls, kwargs):
    opt = cls(**kwargs, name="custom")
    clone = cls.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    assert clone.name == "custom"
    for key, value in kwargs.items():
        assert getattr(clone, key) == value


@pytest.mark.parametrize(
    "make, received",
    [
        (lambda: SGD(learning_rate=-1), "learning_rate=-1"),
        (lambda: Adam(learning_rate=float("inf")), "learning_rate=inf"),
        (lambda: SGD(learning_rate="fast"), "learning_rate='fast'"),
        (lambda: SGD(momentum=-0.1), "momentum=-0.1"),
        (lambda: SGD(momentum=1.5), "momentum=1.5"),
        (lambda: SGD(nesterov="yes"), "nesterov='yes'"),
        (lambda: RMSprop(rho=1.0), "rho=1"),
        (lambda: RMSprop(rho=-0.5), "rho=-0.5"),
        (lambda: RMSprop(epsilon=-1e-7), "epsilon=-1e-07"),
        (lambda: Adagrad(initial_accumulator_value=-1), "initial_accumulator_value=-1"),
        (lambda: Adam(beta_1=1.0), "beta_1=1"),
        (lambda: Adam(beta_2=1.2), "beta_2=1.2"),
        (lambda: Adam(epsilon=float("nan")), "epsilon=nan"),
    ],
)
def test_invalid_hyperparameters(make, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        make()


def test_learning_rate_can_be_changed_and_is_validated():
    opt = SGD(learning_rate=0.1)
    opt.learning_rate = 0.5
    p = np.zeros(3)
    opt.apply([np.ones(3)], [p])
    np.testing.assert_allclose(p, -0.5)
    with pytest.raises(ValueError, match="Received: learning_rate=-2"):
        opt.learning_rate = -2


def test_flat_buffer_updates_its_views():
    flat = np.arange(12, dtype=np.float32) / 10
    weights, bias = flat[:8].reshape(2, 4), flat[8:]
    flat_grad = np.ones(12, dtype=np.float32)
    opt = Adam(learning_rate=0.1)
    expected = flat.copy()
    state = {}
    opt.apply([flat_grad], [flat])
    expected = adam_numpy(expected.astype(np.float64), flat_grad.astype(np.float64), state, 1, 0.1)
    np.testing.assert_allclose(np.concatenate([weights.ravel(), bias]), expected, rtol=1e-6, atol=1e-6)
    assert np.shares_memory(weights, flat)


def test_views_as_params_update_the_flat_buffer():
    flat = np.zeros(10)
    views = [flat[:6].reshape(2, 3), flat[6:]]
    SGD(learning_rate=1.0).apply([np.full((2, 3), 2.0), np.full(4, 3.0)], views)
    np.testing.assert_array_equal(flat, [-2.0] * 6 + [-3.0] * 4)


def test_non_contiguous_param_and_mixed_grad_dtype():
    base = np.zeros((4, 6))
    strided = base[:, ::2]
    opt = RMSprop(learning_rate=0.1, momentum=0.9)
    grad = np.ones((4, 3), dtype=np.float32)
    for t in range(3):
        opt.apply([grad], [strided])
    expected, state = np.zeros((4, 3)), {}
    for t in range(1, 4):
        expected = rmsprop_numpy(expected, np.ones((4, 3)), state, t, 0.1, momentum=0.9)
    np.testing.assert_allclose(base[:, ::2], expected, rtol=1e-12)
    assert np.all(base[:, 1::2] == 0)


def test_none_gradient_skips_parameter():
    a, b = np.ones(2), np.ones(3)
    SGD(learning_rate=1.0).apply([None, np.ones(3)], [a, b])
    np.testing.assert_array_equal(a, 1.0)
    np.testing.assert_array_equal(b, 0.0)


def test_apply_gradients_pairs():
    p = np.ones(2)
    assert SGD(learning_rate=0.5).apply_gradients([(np.ones(2), p)]) == 1
    np.testing.assert_array_equal(p, 0.5)


def test_bad_apply_arguments():
    opt = SGD()
    with pytest.raises(ValueError, match="2 gradients for 1 parameters"):
        opt.apply([np.ones(2), np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(3,\).*\(2,\)"):
        opt.apply([np.ones(3)], [np.ones(2)])
    with pytest.raises(TypeError, match="parameter 0 must be a float32 or float64"):
        opt.apply([np.ones(2)], [np.ones(2, dtype=np.int64)])
    with pytest.raises(TypeError, match="parameter 0 must be"):
        opt.apply([np.ones(2)], [[1.0, 2.0]])
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        opt.apply([np.ones(2)], [frozen])
    opt.apply([np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="built for parameters"):
        opt.apply([np.ones(3)], [np.ones(3)])


def test_variables_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal(4)] for _ in range(6)]
    a, pa = Adam(learning_rate=0.1), [np.ones(4)]
    for g in grads[:3]:
        a.apply(g, pa)
    b, pb = Adam(learning_rate=0.1), [pa[0].copy()]
    b.build(pb)
    b.set_variables([v.copy() for v in a.variables()])
    assert b.iterations == 3
    for g in grads[3:]:
        a.apply(g, pa)
        b.apply(g, pb)
    np.testing.assert_array_equal(pa[0], pb[0])
    with pytest.raises(ValueError, match="expected 3 variables, received 1"):
        b.set_variables([np.array(0)])
    with pytest.raises(ValueError, match="before set_variables"):
        Adam().set_variables([np.array(0)])


def test_slots_follow_param_dtype_and_momentum():
    assert [int(v) for v in SGD().variables()] == [0] and SGD().built is False
    opt = SGD(momentum=0.9)
    opt.apply([np.ones(3, np.float32)], [np.ones(3, np.float32)])
    slots = opt.variables()[1:]
    assert len(slots) == 1 and slots[0].dtype == np.float32
    plain = SGD()
    plain.apply([np.ones(3)], [np.ones(3)])
    assert len(plain.variables()) == 1


def test_base_requires_update_step():
    class Bare(Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="Bare must implement update_step"):
        Bare(0.1).apply([np.ones(1)], [np.ones(1)])


@pytest.mark.parametrize("opt", [SGD(0.1), SGD(0.05, momentum=0.9, nesterov=True), RMSprop(0.02),
                                 Adagrad(0.5), Adam(0.05)], ids=lambda o: repr(o))
def test_minimizes_a_quadratic(opt):
    # f(p) = 0.5 * sum(scale * (p - target)**2), gradient scale * (p - target).
    scale = np.array([1.0, 3.0, 0.5, 2.0], dtype=np.float32)
    target = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
    p = np.zeros(4, dtype=np.float32)
    for _ in range(300):
        opt.apply([scale * (p - target)], [p])
    np.testing.assert_allclose(p, target, atol=0.05)
