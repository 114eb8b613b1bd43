"""Bad, damaged and unsafe Keras model files (.keras and .h5): each refused with an error naming
the file and the layer, no model returned, and a failed save leaves the existing file as it was."""
import base64
import json
import marshal
import os
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
import fastnn
from fastnn import layers
from fastnn.models import keras_archive, load_model


def small_model():
    model = fastnn.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def rewrite(path, name, change):
    """Replaces the member `name` of the zip at path by change(its bytes) (None: drops it)."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    new = change(members[name])
    if new is None:
        del members[name]
    else:
        members[name] = new
    with zipfile.ZipFile(path, "w") as archive:
        for key, data in members.items():
            archive.writestr(key, data)


def edit_config(path, edit):
    def change(data):
        config = json.loads(data)
        edit(config)
        return json.dumps(config).encode()
    rewrite(path, "config.json", change)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.keras"
    small_model().save(path)
    return path


def lambda_entry(function):
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "doubling", "trainable": True, "arguments": {},
                       "function": {"class_name": "__lambda__", "config": {"code": code, "defaults": None,
                                                                            "closure": None}}}}


def test_a_lambda_layer_is_refused_unless_safe_mode_is_off(saved):
    edit_config(saved, lambda c: c["config"]["layers"].insert(2, lambda_entry(lambda x: x * 2 + 1)))
    with pytest.raises(ValueError, match=r"m\.keras.*'doubling' \(Lambda\).*safe_mode=False"):
        load_model(saved)
    model = load_model(saved, safe_mode=False)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Lambda", "Dense"]
    x = np.ones((2, 3), np.float32)
    hidden = model.layers[0](x)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.layers[2](hidden.numpy() * 2 + 1), atol=1e-6)


def test_a_function_as_activation_is_refused(saved):
    def set_activation(config):
        config["config"]["layers"][1]["config"]["activation"] = lambda_entry(lambda x: x)["config"]["function"]
    edit_config(saved, set_activation)
    with pytest.raises(ValueError, match=r"m\.keras.*\(Dense\).*'activation'.*Python function.*safe_mode"):
        load_model(saved)


def test_an_unknown_class_is_refused_by_layer_name_and_class(saved):
    edit_config(saved, lambda c: c["config"]["layers"][2].update(class_name="LayerNormalization"))
    with pytest.raises(ValueError, match=r"m\.keras.*'dense_\d+' \(LayerNormalization\).*no fastnn equivalent"):
        load_model(saved)


def test_weights_that_do_not_fit_name_the_file_and_layer(saved):
    edit_config(saved, lambda c: c["config"]["layers"][2]["config"].update(units=3))
    with pytest.raises(ValueError, match=r"m\.keras.*layer 'dense_\d+'.*\(4, 3\).*\(4, 2\)"):
        load_model(saved)


@pytest.mark.parametrize("damage, message", [
    (lambda p: rewrite(p, "config.json", lambda d: None), "lacks config.json"),
    (lambda p: rewrite(p, "model.weights.h5", lambda d: None), "lacks model.weights.h5"),
    (lambda p: rewrite(p, "config.json", lambda d: d[:-7]), "config.json is not valid JSON"),
    (lambda p: rewrite(p, "config.json", lambda d: b"[1, 2]"), "'class_name' and 'config'"),
    (lambda p: rewrite(p, "model.weights.h5", lambda d: d[:100]), "not an HDF5 file"),
    (lambda p: p.write_bytes(p.read_bytes()[:-200]), "not a zip archive"),
    (lambda p: p.write_bytes(b"plain text"), "not a zip archive"),
])
def test_damaged_archives_are_refused(saved, damage, message):
    damage(saved)
    with pytest.raises(ValueError, match="m\\.keras.*" + message):
        load_model(saved)


def test_a_zip_bomb_member_is_refused(saved):
    with zipfile.ZipFile(saved) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    with zipfile.ZipFile(saved, "w") as archive:
        archive.writestr("config.json", members["config.json"])
        archive.writestr("model.weights.h5", members["model.weights.h5"] + bytes(8 << 20),
                         compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"m\.keras.*model\.weights\.h5 would expand.*zip bomb"):
        load_model(saved)


def test_an_h5_file_whose_weights_do_not_fit_names_the_layer(tmp_path):
    path = tmp_path / "m.h5"
    small_model().save(path)
    with h5py.File(path, "r+") as file:
        config = json.loads(file.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 5
        file.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match=r"m\.h5.*layer 'dense_\d+'.*\(3, 5\).*\(3, 4\)"):
        load_model(path)


def test_a_failed_save_leaves_the_existing_file(saved, monkeypatch):
    before = saved.read_bytes()

    class Doubling(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    custom = fastnn.Sequential([layers.Dense(2, input_shape=(3,)), Doubling(name="doubling")])
    with pytest.raises(ValueError, match=r"'doubling' \(Doubling\) has no Keras equivalent"):
        custom.save(saved)
    assert saved.read_bytes() == before

    def broken(archive, model):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(keras_archive, "write_keras3", broken)
    with pytest.raises(OSError):
        small_model().save(saved)
    assert saved.read_bytes() == before
    assert sorted(os.listdir(saved.parent)) == ["m.keras"]
    load_model(saved)


def test_load_weights_reads_a_keras_archive_and_checks_every_weight_first(saved, tmp_path):
    source = load_model(saved)
    model = small_model()
    model.load_weights(saved)
    for a, b in zip(model.weights, source.weights):
        np.testing.assert_array_equal(a.data, b.data)
    other = fastnn.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(5)])
    before = [w.data.copy() for w in other.weights]
    with pytest.raises(ValueError, match=r"m\.keras.*layer 'dense_\d+'.*\(4, 5\).*\(4, 2\)"):
        other.load_weights(saved)
    for old, weight in zip(before, other.weights):
        np.testing.assert_array_equal(old, weight.data)


class Scale(layers.Layer):
    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


def test_a_registered_custom_layer_loads_through_custom_objects(saved):
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    entry = {"module": "my_layers", "class_name": "Scale", "registered_name": "Custom>Scale",
             "config": {"name": "scale", "trainable": True, "dtype": policy, "factor": 3.0}}
    plain = load_model(saved)
    edit_config(saved, lambda c: c["config"]["layers"].append(entry))
    with pytest.raises(ValueError, match=r"m\.keras.*'scale' \(Scale\) is a custom class.*custom_objects"):
        load_model(saved)
    x = np.ones((2, 3), np.float32)
    for key in ("Scale", "Custom>Scale"):
        model = load_model(saved, custom_objects={key: Scale})
        assert type(model.layers[-1]) is Scale and model.layers[-1].factor == 3.0
        np.testing.assert_allclose(model.predict(x, verbose=0), 3 * plain.predict(x, verbose=0), rtol=1e-6)
