"""Weights and optimizer state that do not fit are refused, and nothing is written when they are.

A value that the cast to the model's dtype would turn into inf, or an array of integers,
bools or complex numbers where floats belong, is refused with an error naming it. inf and
NaN stored as such load as they are.
"""
import io
import zipfile

import numpy as np
import pytest

from fastnn import layers, models, optimizers

TOO_BIG = 1e39  # a float64 beyond float32's largest finite value (3.4e38)


def _model():
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=optimizers.Adam(), loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=1, verbose=0)
    return model


def _assert_unchanged(model, before):
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def _rewrite_weights(path, **replacements):
    arrays = dict(np.load(path))
    arrays.update(replacements)
    np.savez(path, **arrays)


def _last_kernel(model, value):
    """model's last kernel in float64, with `value` in its corner."""
    kernel = model.layers[-1].get_weights()[0].astype(np.float64)
    kernel[-1, -1] = value
    return kernel


def test_load_weights_refuses_a_value_beyond_float32(tmp_path):
    model = _model()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    _rewrite_weights(path, **{"0/kernel": np.full((3, 4), 2.0), "1/kernel": _last_kernel(model, -TOO_BIG)})
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"'kernel' of layer 1 holds -1e\+39 at index \(3, 1\), beyond the range "
                                         r"of float32.*would become inf"):
        model.load_weights(path)
    _assert_unchanged(model, before)  # layer 0's valid kernel was not written either


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128])
def test_load_weights_refuses_arrays_that_are_not_floats(tmp_path, dtype):
    model = _model()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    _rewrite_weights(path, **{"1/bias": np.ones(2, dtype)})
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"'bias' of layer 1 with dtype {np.dtype(dtype)}, not floating-point"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_float64_weights_in_range_load_rounded_and_inf_nan_load_as_stored(tmp_path):
    model = _model()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    kernel = _last_kernel(model, np.inf)
    kernel[0, 0], kernel[0, 1], kernel[1, 0] = np.nan, -np.inf, 3.4028234e38
    _rewrite_weights(path, **{"1/kernel": kernel})
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[-1].get_weights()[0], kernel.astype(np.float32))


def test_load_model_refuses_weights_beyond_float32(tmp_path):
    model = _model()
    path = tmp_path / "m.fastnn"
    model.save(path)
    weights = tmp_path / "w.npz"
    model.save_weights(weights)
    _rewrite_weights(weights, **{"1/kernel": _last_kernel(model, TOO_BIG)})
    _replace_member(path, "model.weights.npz", weights.read_bytes())
    with pytest.raises(ValueError, match=r"m.fastnn'.*'kernel' of layer 1 holds 1e\+39.*float32"):
        models.load_model(path)


def test_load_model_refuses_optimizer_state_beyond_float32(tmp_path):
    model = _model()
    path = tmp_path / "m.fastnn"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        state = dict(np.load(io.BytesIO(archive.read("optimizer.npz"))))
    state["2"] = state["2"].astype(np.float64)
    state["2"][5] = TOO_BIG
    _replace_member(path, "optimizer.npz", _npz(state))
    with pytest.raises(ValueError, match=r"optimizer.npz\) does not fit the model's optimizer: adam: variable 2 "
                                         r"holds 1e\+39 at index \(5,\)"):
        models.load_model(path)


def _npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _replace_member(path, name, data):
    with zipfile.ZipFile(path) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)


def test_layer_set_weights_refuses_values_that_do_not_fit():
    layer = _model().layers[0]
    before = layer.get_weights()
    kernel = np.full((3, 4), 0.5)
    kernel[2, 3] = TOO_BIG
    with pytest.raises(ValueError, match=r"weight 'kernel' holds 1e\+39 at index \(2, 3\), beyond the range of float32"):
        layer.set_weights([kernel, np.zeros(4)])
    with pytest.raises(TypeError, match=r"weight 'bias' must hold floating-point numbers.*dtype int64"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(4, np.int64)])
    with pytest.raises(TypeError, match=r"weight 'kernel' must hold floating-point numbers.*dtype bool"):
        layer.set_weights([np.zeros((3, 4), bool), np.zeros(4)])
    _assert_unchanged(layer, before)
    layer.set_weights([np.full((3, 4), np.inf), np.full(4, np.nan)])
    assert np.isposinf(layer.get_weights()[0]).all() and np.isnan(layer.get_weights()[1]).all()


def test_model_set_weights_checks_every_layer_before_writing():
    model = _model()
    before = model.get_weights()
    new = [np.full(w.shape, 7.0) for w in before]
    new[-1][0] = -TOO_BIG
    with pytest.raises(ValueError, match=r"weight 'bias' holds -1e\+39 at index \(0,\)"):
        model.set_weights(new)
    _assert_unchanged(model, before)  # the first layer, checked fine, was not written


def test_optimizer_set_variables_refuses_state_that_does_not_fit():
    param = np.zeros(5, np.float32)
    optimizer = optimizers.Adam()
    optimizer.apply([np.ones(5, np.float32)], [param])
    before = [v.copy() for v in optimizer.variables()]
    good, bad = before[1].astype(np.float64), before[2].astype(np.float64)
    bad[4] = TOO_BIG
    with pytest.raises(ValueError, match=r"adam: variable 2 holds 1e\+39 at index \(4,\), beyond the range of float32"):
        optimizer.set_variables([np.array(9), good + 1, bad])
    with pytest.raises(TypeError, match=r"adam: variable 1 must hold floating-point numbers.*int64"):
        optimizer.set_variables([np.array(9), np.ones(5, np.int64), good])
    for iterations in (np.array(2.0), np.array(-1), np.array(True)):
        with pytest.raises(ValueError, match=r"adam: variable 0, the iteration count, must be an integer >= 0"):
            optimizer.set_variables([iterations, good, good])
    for old, new in zip(before, optimizer.variables()):
        np.testing.assert_array_equal(old, new)
    assert optimizer.iterations == 1


def test_float64_optimizer_state_fits_float64_params():
    param = np.zeros(3, np.float64)
    optimizer = optimizers.RMSprop()
    optimizer.apply([np.ones(3)], [param])
    optimizer.set_variables([np.array(4), np.full(3, TOO_BIG)])
    assert optimizer.iterations == 4 and np.all(optimizer.variables()[1] == TOO_BIG)
