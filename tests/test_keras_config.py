"""Layer configs translated to Keras 3's serialized form and back (fastnn.models.keras_config).

Every built-in layer goes to Keras (deserialize_keras_object in a Keras child process), is
serialized again by Keras and read back by fastnn into an equal layer."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

import fastnn
from fastnn import layers
from fastnn.models.keras_config import from_keras, to_keras


def _sibling(name):
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"_{name}", Path(__file__).parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _sibling("test_layer_configs").make

CHILD = textwrap.dedent('''
    import json, sys
    import keras
    out = []
    for entry in json.load(open(sys.argv[1])):
        try:
            out.append({"ok": keras.saving.serialize_keras_object(keras.saving.deserialize_keras_object(entry))})
        except Exception as err:
            out.append({"error": f"{type(err).__name__}: {err}"[:400]})
    json.dump(out, open(sys.argv[2], "w"))
''')


def through_keras(entries, tmp_path):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    (tmp_path / "in.json").write_text(json.dumps(entries))
    env = dict(os.environ, KERAS_BACKEND="numpy")
    subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "in.json"), str(tmp_path / "out.json")],
                   check=True, env=env, capture_output=True, timeout=600)
    return json.loads((tmp_path / "out.json").read_text())


def comparable(config, class_name):
    config = json.loads(json.dumps(config))
    if class_name == "Bidirectional":  # Keras always writes both directions' layers, named forward_/backward_
        inner = config["layer"]["config"]
        return config["merge_mode"], config["layer"]["class_name"], inner["units"], inner["return_sequences"]
    return config


def test_every_built_in_layer_goes_to_keras_and_back(tmp_path):
    names = sorted(layers.BUILT_IN)
    originals = [layers.serialize(make(name)) for name in names]
    results = through_keras([to_keras(entry) for entry in originals], tmp_path)
    for name, original, result in zip(names, originals, results):
        assert "error" not in result, f"Keras could not read fastnn's {name}: {result.get('error')}"
        back = layers.deserialize(from_keras(result["ok"]))
        assert type(back).__name__ == name
        assert comparable(back.get_config(), name) == comparable(original["config"], name), name


def test_initializers_and_regularizers_go_to_keras_and_back(tmp_path):
    dense = layers.Dense(3, kernel_initializer=fastnn.initializers.VarianceScaling(2.0, "fan_out", "uniform"),
                         bias_initializer=fastnn.initializers.Constant(0.5),
                         kernel_regularizer=fastnn.regularizers.L1L2(l1=0.01, l2=0.02),
                         activity_regularizer="l2")
    entry = to_keras(layers.serialize(dense))
    assert entry["config"]["kernel_regularizer"]["module"] == "keras.regularizers"
    [result] = through_keras([entry], tmp_path)
    assert "error" not in result, result
    back = layers.deserialize(from_keras(result["ok"]))
    assert json.loads(json.dumps(back.get_config())) == json.loads(json.dumps(dense.get_config()))


def keras_entry(class_name, **config):
    return {"module": "keras.layers", "class_name": class_name, "config": dict(name="x", **config),
            "registered_name": None}


def test_a_keras_layer_fastnn_lacks_is_refused_by_name_and_class():
    with pytest.raises(ValueError, match=r"'x' \(LayerNormalization\).*no fastnn equivalent"):
        from_keras(keras_entry("LayerNormalization", axis=-1))


def test_a_keras_option_fastnn_lacks_is_refused_unless_off():
    assert from_keras(keras_entry("Dense", units=2, lora_rank=None, kernel_constraint=None))["config"]["units"] == 2
    with pytest.raises(ValueError, match=r"'x' \(Dense\).*lora_rank=4"):
        from_keras(keras_entry("Dense", units=2, lora_rank=4))
    with pytest.raises(ValueError, match=r"'x' \(Dense\).*constraint.*NonNeg"):
        from_keras(keras_entry("Dense", units=2, kernel_constraint={
            "module": "keras.constraints", "class_name": "NonNeg", "config": {}, "registered_name": None}))
    with pytest.raises(ValueError, match=r"'x' \(Dense\).*mixed_float16"):
        from_keras(keras_entry("Dense", units=2, dtype={"module": "keras", "class_name": "DTypePolicy",
                                                        "config": {"name": "mixed_float16"}}))


def test_a_registered_custom_class_is_refused():
    entry = dict(keras_entry("Dense", units=2), module="my_package", registered_name="my_package>Dense")
    with pytest.raises(ValueError, match=r"'x' \(Dense\) is a custom class.*custom_objects"):
        from_keras(entry)


def test_a_lambda_layer_is_refused_naming_safe_mode():
    entry = keras_entry("Lambda", function={"class_name": "__lambda__", "config": {"code": "4wEAAA=="}})
    with pytest.raises(ValueError, match=r"'x' \(Lambda\).*safe_mode=False"):
        from_keras(entry)


def test_a_fastnn_layer_without_keras_equivalent_is_refused_by_name_and_class():
    class Scale(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    model = fastnn.Sequential([layers.Dense(2, input_shape=(3,)), Scale(name="doubling")])
    with pytest.raises(ValueError, match=r"'doubling' \(Scale\) has no Keras equivalent"):
        to_keras(layers.serialize(model))
