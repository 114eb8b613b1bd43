"""Optimizer steps: several steps in a row against the oracle, and one flat parameter buffer."""
import numpy as np
import pytest

from fastnn import kernels, reference

CASES = {
    "sgd": ("sgd_step", 0, dict(learning_rate=0.01)),
    "sgd momentum": ("sgd_step", 1, dict(learning_rate=0.01, momentum=0.9)),
    "sgd nesterov": ("sgd_step", 1, dict(learning_rate=0.01, momentum=0.9, nesterov=True)),
    "rmsprop": ("rmsprop_step", 1, dict(learning_rate=0.001, rho=0.9, epsilon=1e-7)),
    "rmsprop momentum": ("rmsprop_step", 2, dict(learning_rate=0.001, rho=0.9, momentum=0.9, epsilon=1e-7)),
    "adagrad": ("adagrad_step", 1, dict(learning_rate=0.01, epsilon=1e-7)),
    "adam": ("adam_step", 2, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
}


def run(fn, name, n_states, hyper, dtype, steps, size=5000):
    rng = np.random.default_rng(3)
    param = rng.standard_normal(size).astype(dtype)
    states = [np.zeros(size, dtype) for _ in range(n_states)]
    for t in range(1, steps + 1):
        grad = (param * 0.5 + rng.standard_normal(size)).astype(dtype)
        kwargs = dict(hyper, step=t) if name == "adam_step" else hyper
        fn(param, grad, *states, **kwargs)
    return [param] + states


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("case", list(CASES))
def test_steps_match_the_oracle(case, steps, dtype):
    name, n_states, hyper = CASES[case]
    got = run(getattr(kernels, name), name, n_states, hyper, dtype, steps)
    want = run(getattr(reference, name), name, n_states, hyper, dtype, steps)
    tol = 64 * steps * np.finfo(dtype).eps
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_one_flat_buffer_updated_through_views():
    """A model may keep all parameters in one buffer; each layer's view updates its slice."""
    flat = np.ones(1000, np.float32)
    grad = np.full(1000, 2.0, np.float32)
    ms = np.zeros(1000, np.float32)
    kernels.rmsprop_step(flat, grad, ms, learning_rate=0.001, rho=0.9, epsilon=1e-7)
    weights = flat[:600].reshape(20, 30)
    kernels.sgd_step(weights, np.ones((20, 30), np.float32), learning_rate=0.5)
    assert np.shares_memory(weights, flat)
    np.testing.assert_allclose(flat[600:], 1 - 0.001 * 2 / np.sqrt(0.1 * 4 + 1e-7), rtol=1e-6)
    np.testing.assert_allclose(flat[:600], 1 - 0.001 * 2 / np.sqrt(0.1 * 4 + 1e-7) - 0.5, rtol=1e-6)


def test_non_contiguous_state_is_written_back():
    param = np.zeros((4, 6))
    velocity = np.zeros((6, 4)).T
    kernels.sgd_step(param, np.ones((4, 6)), velocity, learning_rate=0.1, momentum=0.9)
    np.testing.assert_allclose(velocity, -0.1)
    np.testing.assert_allclose(param, -0.1)


PLAIN_STEPS = {
    "sgd": (1, dict(learning_rate=0.01, momentum=0.5, nesterov=True)),
    "rmsprop": (2, dict(learning_rate=0.01, rho=0.9, momentum=0.5, epsilon=1e-7)),
    "adagrad": (1, dict(learning_rate=0.01, epsilon=1e-7)),
    "adam": (2, dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=3)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PLAIN_STEPS))
def test_steps_on_plain_arrays_match_the_copying_path(dtype, name):
    """Aligned C-contiguous arrays go straight to the kernel; strided ones through copies: same bits."""
    states, options = PLAIN_STEPS[name]
    step = getattr(kernels, f"{name}_step")
    rng = np.random.default_rng(4)
    plain = [rng.random(37).astype(dtype) for _ in range(2 + states)]
    strided = [np.repeat(a, 2)[::2] for a in plain]
    assert not strided[0].flags.c_contiguous
    for arrays in (plain, strided):
        for _ in range(3):
            step(*arrays, **options)
    for a, b in zip(plain, strided):
        assert np.array_equal(a, b)
    read_only = plain[2].copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        step(plain[0], plain[1], read_only, *plain[3:], **options)
    with pytest.raises(ValueError, match="shape"):
        step(plain[0], plain[1], plain[2][:5], *plain[3:], **options)


@pytest.mark.parametrize("name", sorted(PLAIN_STEPS))
def test_kernel_and_oracle_refuse_bad_states_with_one_message(name):
    """A read-only state, a missing required state and a state of another shape: the same error
    from the kernel and from its oracle."""
    states, options = PLAIN_STEPS[name]
    rng = np.random.default_rng(7)
    arrays = [rng.random(11) for _ in range(2 + states)]
    read_only = arrays[2].copy()
    read_only.flags.writeable = False
    bad_calls = [(arrays[0], arrays[1], read_only, *arrays[3:]),
                 (arrays[0], arrays[1], arrays[2][:4], *arrays[3:])]
    if name != "sgd":  # sgd's velocity may be None
        bad_calls.append((arrays[0], arrays[1], None, *arrays[3:]))
    for args in bad_calls:
        messages = []
        for module in (kernels, reference):
            with pytest.raises((TypeError, ValueError)) as caught:
                getattr(module, f"{name}_step")(*[a.copy() if a is not None and a.flags.writeable else a
                                                  for a in args], **options)
            messages.append((caught.type, str(caught.value)))
        assert messages[0] == messages[1]
