"""A file that is not a fastnn weights or model file, or a damaged one, gets an error naming the
file and the part that is wrong (and never a hint to load pickles)."""
import io
import json
import zipfile

import numpy as np
import pytest

from fastnn import layers, models

LOADERS = {
    "load_weights": ("weights", lambda path: _model().load_weights(path)),
    "load_model": ("model", lambda path: models.load_model(path)),
}


def _model():
    model = models.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _trained_model_file(tmp_path):
    model = _model()
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    path = tmp_path / "m.fastnn"
    model.save(path)
    return path


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("content, found", [
    (b"plain text, not an archive", "not a zip archive"),
    (b"\x80\x04\x95\x00", "not a zip archive"),  # the start of a pickle
    (None, r"a single NumPy array \(.npy\)"),
])
def test_a_file_that_is_not_a_zip(tmp_path, loader, content, found):
    kind, load = LOADERS[loader]
    path = tmp_path / "file.npz"
    if content is None:
        np.save(tmp_path / "file.npy", np.ones(3))
        path = tmp_path / "file.npy"
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"is not a fastnn {kind} file: .* writes a zip archive, and this file is "
                                         rf"{found}") as info:
        load(path)
    assert "pickle" not in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_directory(tmp_path, loader):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        LOADERS[loader][1](tmp_path)


def _with_config(path, text):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = text.encode() if isinstance(text, str) else text
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _saved_document(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _edited(document, edit):
    document = json.loads(json.dumps(document))
    edit(document)
    return json.dumps(document)


EDITS = [
    ("invalid JSON", lambda doc: "{broken", r"config.json is not valid JSON"),
    ("not UTF-8", lambda doc: b"\xff\xfe{}", r"config.json is not valid JSON"),
    ("a list", lambda doc: "[1, 2]", r"config.json must hold a JSON object, found a list"),
    ("a number", lambda doc: "3", r"config.json must hold a JSON object, found an integer \(3\)"),
    ("no class_name", lambda doc: _edited(doc, lambda d: d.pop("class_name")), r"config.json lacks 'class_name'"),
    ("no config", lambda doc: _edited(doc, lambda d: d.pop("config")), r"config.json lacks 'config'"),
    ("config a string", lambda doc: _edited(doc, lambda d: d.update(config="x")),
     r"config.json 'config' must be an object, found a string \(\"x\"\)"),
    ("layers a number", lambda doc: _edited(doc, lambda d: d["config"].update(layers=3)),
     r"config.json 'config' 'layers' must be a list, found an integer \(3\)"),
    ("a layer a string", lambda doc: _edited(doc, lambda d: d["config"]["layers"].__setitem__(1, "Dense")),
     r"config.json 'config' 'layers' entry 1 must be an object, found a string"),
    ("a layer without config", lambda doc: _edited(doc, lambda d: d["config"]["layers"][0].pop("config")),
     r"config.json 'config' 'layers' entry 0 lacks 'config'"),
    ("a layer with an unknown argument", lambda doc: _edited(doc, lambda d: d["config"]["layers"][0]["config"]
                                                            .update(colour="red")),
     r"config.json 'config' describes a model fastnn cannot build: .*colour"),
    ("input shape of strings", lambda doc: _edited(doc, lambda d: d["config"].update(build_input_shape=["a"])),
     r"config.json 'config' 'build_input_shape' must list integers or nulls"),
    ("format_version a string", lambda doc: _edited(doc, lambda d: d.update(format_version="1")),
     r"config.json 'format_version' must be an integer, found a string"),
    ("no compile_config", lambda doc: _edited(doc, lambda d: d.pop("compile_config")),
     r"config.json lacks 'compile_config'"),
    ("optimizer a number", lambda doc: _edited(doc, lambda d: d["compile_config"].update(optimizer=3)),
     r"config.json 'compile_config' 'optimizer' must be an object, found an integer \(3\)"),
    ("metrics a string", lambda doc: _edited(doc, lambda d: d["compile_config"].update(metrics="acc")),
     r"config.json 'compile_config' 'metrics' must be a list, found a string"),
    ("an unknown loss", lambda doc: _edited(doc, lambda d: d["compile_config"].update(loss="nope")),
     r"config.json 'compile_config' holds settings fastnn cannot compile with: .*nope"),
]


@pytest.mark.parametrize("label, make, match", EDITS, ids=[row[0] for row in EDITS])
def test_a_malformed_config_json(tmp_path, label, make, match):
    path = _trained_model_file(tmp_path)
    _with_config(path, make(_saved_document(path)))
    with pytest.raises(ValueError, match=rf"m.fastnn': {match}"):
        models.load_model(path)


def _optimizer_state(path):
    with zipfile.ZipFile(path) as archive:
        return dict(np.load(io.BytesIO(archive.read("optimizer.npz"))))


def _with_optimizer_state(path, state):
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["optimizer.npz"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("entry", ["0", "1", "2"])
def test_a_missing_optimizer_state_entry(tmp_path, entry):
    path = _trained_model_file(tmp_path)
    state = _optimizer_state(path)
    del state[entry]
    _with_optimizer_state(path, state)
    with pytest.raises(ValueError, match=rf"m.fastnn' \(optimizer.npz\) lacks entries \['{entry}'\]: optimizer "
                                         r"'adam' has 3 state variables"):
        models.load_model(path)
    models.load_model(path, compile=False)  # the architecture and weights are still readable


def test_an_unexpected_optimizer_state_entry(tmp_path):
    path = _trained_model_file(tmp_path)
    state = _optimizer_state(path)
    state["3"] = state["2"]
    _with_optimizer_state(path, state)
    with pytest.raises(ValueError, match=r"\(optimizer.npz\) holds unexpected entries \['3'\]"):
        models.load_model(path)


def test_a_weights_member_that_is_not_an_npz(tmp_path):
    path = _trained_model_file(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["model.weights.npz"] = b"not an archive"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    for load in (models.load_model, _model().load_weights):
        with pytest.raises(ValueError, match=r"m.fastnn' \(model.weights.npz\) is not a fastnn weights file") as info:
            load(path)
        assert "pickle" not in str(info.value)


def test_a_weights_entry_that_is_not_an_array(tmp_path):
    path = tmp_path / "w.npz"
    model = _model()
    model.save_weights(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("0/extra.npy", b"raw bytes")
    with pytest.raises(ValueError, match=r"entry '0/extra' is not a NumPy array"):
        model.load_weights(path)
