"""ONNX export: every layer's graph passes onnx.checker and runs in onnxruntime as predict does."""
import builtins

import numpy as np
import pytest

import fastnn
from fastnn import layers, models

onnx = pytest.importorskip("onnx", reason="ONNX export tests need the onnx package (pip install \"fastnn[onnx]\")")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests run the models in onnxruntime")


@pytest.fixture(autouse=True)
def seeded():
    """The same initial weights on every run."""
    fastnn.utils.set_random_seed(0)


def run_onnx(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs))), session


def exported(model, tmp_path, opset=None):
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", opset_version=opset)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


def check_agrees(model, inputs, tmp_path, atol=1e-5, opset=None):
    inputs = inputs if isinstance(inputs, list) else [inputs]
    path = exported(model, tmp_path, opset)
    got, session = run_onnx(path, inputs)
    want = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, atol=atol, rtol=1e-6)  # rtol: float32's own spacing above ~10
    return session


def images(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def with_trained_statistics(model, x):
    """Moves BatchNormalization's moving statistics off their initial values."""
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            rng = np.random.default_rng(1)
            layer.moving_mean.data[...] = rng.normal(size=layer.moving_mean.shape)
            layer.moving_variance.data[...] = rng.uniform(0.5, 2.0, size=layer.moving_variance.shape)
            if layer.gamma is not None:
                layer.gamma.data[...] = rng.normal(size=layer.gamma.shape)
            if layer.beta is not None:
                layer.beta.data[...] = rng.normal(size=layer.beta.shape)
    return model


def chapter2_network():
    return models.Sequential([layers.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])


def convnet_51():
    return models.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])


def test_chapter2_network(tmp_path):
    check_agrees(chapter2_network(), images(5, 784), tmp_path)


def test_convnet_51_flattens_in_channels_last_order(tmp_path):
    check_agrees(convnet_51(), images(4, 28, 28, 1), tmp_path)


def test_batch_normalization_model(tmp_path):
    model = models.Sequential([layers.Input(shape=(8, 8, 3)), layers.Conv2D(6, 3, padding="same"),
                               layers.BatchNormalization(), layers.Activation("relu"), layers.Flatten(),
                               layers.Dense(16), layers.BatchNormalization(center=False), layers.Dropout(0.5),
                               layers.Dense(3)])
    check_agrees(with_trained_statistics(model, None), images(3, 8, 8, 3), tmp_path)


def test_functional_residual_model(tmp_path):
    inputs = layers.Input(shape=(8, 8, 4), name="pixels")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(4, 3, padding="same")(x)
    x = layers.Add()([x, inputs])
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    model = models.Model(inputs, outputs)
    session = check_agrees(model, images(3, 8, 8, 4), tmp_path)
    assert [i.name for i in session.get_inputs()] == ["pixels"]
    assert [o.name for o in session.get_outputs()] == ["scores"]


def test_two_inputs_two_outputs_and_a_nested_model(tmp_path):
    a, b = layers.Input(shape=(6,), name="a"), layers.Input(shape=(6,), name="b")
    tower = models.Sequential([layers.Input(shape=(6,)), layers.Dense(5, activation="tanh"), layers.Dense(4)],
                              name="tower")
    merged = layers.Concatenate()([tower(a), tower(b)])
    first = layers.Dense(3, name="first")(merged)
    second = layers.Dense(1, activation="sigmoid", name="second")(merged)
    model = models.Model([a, b], [first, second])
    session = check_agrees(model, [images(4, 6), images(4, 6, seed=1)], tmp_path)
    assert [o.name for o in session.get_outputs()] == ["first", "second"]
    initializers = onnx.load(str(tmp_path / "model.onnx")).graph.initializer
    assert len(initializers) == len({i.name for i in initializers})
    assert sum(1 for i in initializers if i.name.startswith(tower.layers[0].name + "/kernel")) == 1  # shared once


def test_dynamic_batch_axis(tmp_path):
    model = chapter2_network()
    path = exported(model, tmp_path)
    graph = onnx.load(str(path)).graph
    for value in list(graph.input) + list(graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    for batch in (1, 7):
        x = images(batch, 784, seed=batch)
        (y,), _ = run_onnx(path, [x])
        np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=1e-5, rtol=0)


@pytest.mark.parametrize("opset", [13, 18, None])
def test_opsets(opset, tmp_path):
    model = models.Sequential([layers.Input(shape=(6, 6, 2)), layers.Conv2D(3, 3), layers.GlobalMaxPooling2D(),
                               layers.Dense(2)])
    check_agrees(model, images(2, 6, 6, 2), tmp_path, opset=opset)


ACTIVATIONS = sorted(fastnn.activations.ALL)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation(name, tmp_path):
    inputs = layers.Input(shape=(9,))
    model = models.Model(inputs, [layers.Dense(7, activation=name)(inputs), layers.Activation(name)(inputs)])
    check_agrees(model, images(5, 9) * 2, tmp_path)


IMAGE_LAYERS = {
    "conv_valid_strides": lambda: layers.Conv2D(4, (3, 2), strides=(2, 1)),
    "conv_same_strides": lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
    "conv_same_even_kernel": lambda: layers.Conv2D(3, 4, padding="same", use_bias=False),
    "conv_dilation": lambda: layers.Conv2D(2, 3, dilation_rate=2, padding="same"),
    "max_pool": lambda: layers.MaxPooling2D(2),
    "max_pool_same": lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
    "avg_pool": lambda: layers.AveragePooling2D((2, 3), strides=1),
    "avg_pool_same": lambda: layers.AveragePooling2D(3, strides=2, padding="same"),
    "global_avg": lambda: layers.GlobalAveragePooling2D(),
    "global_max_keepdims": lambda: layers.GlobalMaxPooling2D(keepdims=True),
    "batch_norm": lambda: layers.BatchNormalization(),
    "batch_norm_axis1": lambda: layers.BatchNormalization(axis=1, scale=False),
    "transpose_valid": lambda: layers.Conv2DTranspose(3, 3, strides=2),
    "transpose_same": lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh"),
    "transpose_same_even": lambda: layers.Conv2DTranspose(2, 4, strides=2, padding="same"),
    "transpose_output_padding": lambda: layers.Conv2DTranspose(2, 3, strides=3, output_padding=2),
    "transpose_same_output_padding": lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same",
                                                                    output_padding=1),
    "transpose_dilation": lambda: layers.Conv2DTranspose(2, 3, dilation_rate=2),
    "depthwise": lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
    "depthwise_strides": lambda: layers.DepthwiseConv2D(3, strides=2, activation="relu"),
    "separable": lambda: layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same"),
    "up_sampling": lambda: layers.UpSampling2D((2, 3)),
    "zero_padding": lambda: layers.ZeroPadding2D(((1, 2), (0, 3))),
    "cropping": lambda: layers.Cropping2D(((1, 0), (2, 1))),
    "permute": lambda: layers.Permute((3, 1, 2)),
    "reshape": lambda: layers.Reshape((-1, 3)),
    "leaky_relu": lambda: layers.LeakyReLU(0.3),
    "elu": lambda: layers.ELU(0.7),
    "dropout": lambda: layers.Dropout(0.4),
    "flatten": lambda: layers.Flatten(),
}


@pytest.mark.parametrize("name", sorted(IMAGE_LAYERS))
def test_every_image_layer(name, tmp_path):
    model = models.Sequential([layers.Input(shape=(7, 6, 3)), IMAGE_LAYERS[name]()])
    check_agrees(with_trained_statistics(model, None), images(2, 7, 6, 3), tmp_path)


SEQUENCE_LAYERS = {
    "conv1d_valid": lambda: layers.Conv1D(4, 3, strides=2),
    "conv1d_same": lambda: layers.Conv1D(3, 4, padding="same", activation="relu"),
    "conv1d_causal_dilated": lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2),
    "max_pool1d": lambda: layers.MaxPooling1D(2),
    "max_pool1d_same": lambda: layers.MaxPooling1D(3, strides=2, padding="same"),
    "avg_pool1d_same": lambda: layers.AveragePooling1D(3, strides=2, padding="same"),
    "global_avg1d": lambda: layers.GlobalAveragePooling1D(),
    "global_max1d": lambda: layers.GlobalMaxPooling1D(keepdims=True),
    "up_sampling1d": lambda: layers.UpSampling1D(3),
    "zero_padding1d": lambda: layers.ZeroPadding1D((2, 1)),
    "cropping1d": lambda: layers.Cropping1D((1, 2)),
    "dense_on_steps": lambda: layers.Dense(3),
    "batch_norm_steps": lambda: layers.BatchNormalization(),
}


@pytest.mark.parametrize("name", sorted(SEQUENCE_LAYERS))
def test_every_sequence_layer(name, tmp_path):
    model = models.Sequential([layers.Input(shape=(9, 4)), SEQUENCE_LAYERS[name]()])
    check_agrees(with_trained_statistics(model, None), images(3, 9, 4), tmp_path)


def test_repeat_vector(tmp_path):
    check_agrees(models.Sequential([layers.Input(shape=(5,)), layers.RepeatVector(3)]), images(2, 5), tmp_path)


def test_embedding(tmp_path):
    model = models.Sequential([layers.Input(shape=(6,)), layers.Embedding(20, 4), layers.Flatten(),
                               layers.Dense(2)])
    x = np.random.default_rng(0).integers(0, 20, size=(3, 6)).astype("float32")
    check_agrees(model, x, tmp_path)


MERGES = {
    "add": layers.Add, "subtract": layers.Subtract, "multiply": layers.Multiply, "average": layers.Average,
    "maximum": layers.Maximum, "minimum": layers.Minimum,
}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_every_merge_layer_with_broadcasting(name, tmp_path):
    a, b = layers.Input(shape=(3, 4)), layers.Input(shape=(4,))
    model = models.Model([a, b], MERGES[name]()([a, b]))  # (4,) becomes (1, 4), as fastnn broadcasts it
    check_agrees(model, [images(2, 3, 4), images(2, 4, seed=1)], tmp_path)


@pytest.mark.parametrize("name", sorted(MERGES))
def test_every_merge_layer_of_three(name, tmp_path):
    if name == "subtract":
        pytest.skip("Subtract takes exactly two inputs")
    inputs = [layers.Input(shape=(5,)) for _ in range(3)]
    model = models.Model(inputs, MERGES[name]()(inputs))
    check_agrees(model, [images(2, 5, seed=s) for s in range(3)], tmp_path)


def test_concatenate_on_an_inner_axis(tmp_path):
    a, b = layers.Input(shape=(3, 4)), layers.Input(shape=(2, 4))
    model = models.Model([a, b], layers.Concatenate(axis=1)([a, b]))
    check_agrees(model, [images(2, 3, 4), images(2, 2, 4, seed=1)], tmp_path)


@pytest.mark.parametrize("shapes, axes, normalize", [
    (((5,), (5,)), 1, False), (((5,), (5,)), 1, True), (((3, 4), (4, 2)), (2, 1), False),
    (((3, 4), (3, 2)), 1, True), (((4,), (4, 3)), (1, 1), False), (((3, 4), (4,)), (2, 1), False)])
def test_dot(shapes, axes, normalize, tmp_path):
    a, b = layers.Input(shape=shapes[0]), layers.Input(shape=shapes[1])
    model = models.Model([a, b], layers.Dot(axes=axes, normalize=normalize)([a, b]))
    check_agrees(model, [images(2, *shapes[0]), images(2, *shapes[1], seed=1)], tmp_path)


def test_unknown_image_sizes(tmp_path):
    model = models.Sequential([layers.Input(shape=(None, None, 2)), layers.Conv2D(3, 3, padding="same"),
                               layers.MaxPooling2D(2, padding="same"), layers.UpSampling2D(2),
                               layers.GlobalAveragePooling2D()])
    path = exported(model, tmp_path)
    for shape in ((1, 5, 7, 2), (3, 8, 6, 2)):
        x = images(*shape)
        (y,), _ = run_onnx(path, [x])
        np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=1e-5, rtol=0)


def test_lambda_layer_is_refused_by_name(tmp_path):
    model = models.Sequential([layers.Input(shape=(3,)), layers.Lambda(lambda t: t * 2, name="doubler")])
    with pytest.raises(ValueError, match=r"'doubler' \(Lambda\)"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_custom_layer_and_subclass_are_refused_by_name(tmp_path):
    class Scaled(layers.Dense):
        def call(self, inputs, training=False):
            return super().call(inputs) * 3.0

    model = models.Sequential([layers.Input(shape=(3,)), Scaled(2, name="scaled")])
    with pytest.raises(ValueError, match=r"'scaled' \(Scaled\).*no ONNX converter"):
        model.export(tmp_path / "m.onnx", format="onnx")


def test_custom_activation_and_masks_are_refused(tmp_path):
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(2, activation=lambda t: t, name="odd")])
    with pytest.raises(ValueError, match=r"'odd' \(Dense\) uses the activation"):
        model.export(tmp_path / "m.onnx", format="onnx")
    masked = models.Sequential([layers.Input(shape=(4,)), layers.Embedding(5, 2, mask_zero=True, name="words")])
    with pytest.raises(ValueError, match=r"'words' \(Embedding\).*mask_zero"):
        masked.export(tmp_path / "m.onnx", format="onnx")


def randomized_biases(model):
    """Every weight moved by noise (biases included, zero or one at first), so that the gate order of
    each kernel and bias block is checked."""
    rng = np.random.default_rng(2)
    for weight in model.weights:
        weight.data[...] += rng.normal(scale=0.3, size=weight.data.shape).astype(weight.data.dtype)
    return model


RECURRENT = {
    "simple_rnn": lambda: layers.SimpleRNN(5),
    "simple_rnn_relu_sequences": lambda: layers.SimpleRNN(4, activation="relu", return_sequences=True),
    "lstm": lambda: layers.LSTM(5),
    "lstm_sequences_backwards": lambda: layers.LSTM(3, return_sequences=True, go_backwards=True),
    "lstm_no_bias": lambda: layers.LSTM(4, use_bias=False, unit_forget_bias=False),
    "gru": lambda: layers.GRU(5),
    "gru_reset_before": lambda: layers.GRU(4, reset_after=False, return_sequences=True),
    "gru_backwards": lambda: layers.GRU(3, go_backwards=True),
    "bidirectional_lstm": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_gru_sum": lambda: layers.Bidirectional(layers.GRU(3), merge_mode="sum"),
    "bidirectional_rnn_ave": lambda: layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True), merge_mode="ave"),
    "bidirectional_mul": lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="mul"),
    "time_distributed_dense": lambda: layers.TimeDistributed(layers.Dense(3, activation="relu")),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_every_recurrent_layer(name, tmp_path):
    model = models.Sequential([layers.Input(shape=(6, 4)), RECURRENT[name]()])
    check_agrees(randomized_biases(model), images(3, 6, 4), tmp_path)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_recurrent_layer_returning_its_states(cls, tmp_path):
    inputs = layers.Input(shape=(5, 3))
    outputs = cls(4, return_state=True, return_sequences=True)(inputs)
    model = models.Model(inputs, outputs)
    check_agrees(randomized_biases(model), images(2, 5, 3), tmp_path)


def test_bidirectional_returning_states_and_no_merge(tmp_path):
    inputs = layers.Input(shape=(5, 3))
    model = models.Model(inputs, layers.Bidirectional(layers.LSTM(2, return_state=True), merge_mode=None)(inputs))
    check_agrees(randomized_biases(model), images(2, 5, 3), tmp_path)


def test_embedding_lstm_model(tmp_path):
    model = models.Sequential([layers.Input(shape=(7,)), layers.Embedding(30, 6), layers.LSTM(5),
                               layers.Dense(1, activation="sigmoid")])
    x = np.random.default_rng(0).integers(0, 30, size=(4, 7)).astype("float32")
    check_agrees(randomized_biases(model), x, tmp_path)
    path = tmp_path / "model.onnx"
    (y,), _ = run_onnx(path, [x[:1]])
    np.testing.assert_allclose(y, model.predict(x[:1], verbose=0), atol=1e-5)


def test_refused_recurrent_options(tmp_path):
    model = models.Sequential([layers.Input(shape=(4, 3)), layers.LSTM(2, activation="softsign", name="memory")])
    with pytest.raises(ValueError, match=r"'memory' \(LSTM\).*softsign"):
        model.export(tmp_path / "m.onnx", format="onnx")
    stateful = models.Sequential([layers.Input(shape=(4, 3), batch_size=2), layers.GRU(2, stateful=True, name="s")])
    with pytest.raises(ValueError, match=r"'s' \(GRU\).*stateful"):
        stateful.export(tmp_path / "m.onnx", format="onnx")


def test_arithmetic_on_symbolic_tensors(tmp_path):
    a, b = layers.Input(shape=(3,)), layers.Input(shape=(3,))
    x = layers.Dense(3)(a)
    outputs = [x * 2.0, 1.0 - x, -x / 4, abs(x) + b, b - x, x / (abs(b) + 1), x * np.arange(3, dtype="float32")]
    model = models.Model([a, b], outputs)
    check_agrees(model, [images(2, 3), images(2, 3, seed=1)], tmp_path)


def test_other_operations_on_symbolic_tensors_are_refused(tmp_path):
    inputs = layers.Input(shape=(3,))
    model = models.Model(inputs, layers.Dense(2)(inputs) ** 2)
    with pytest.raises(ValueError, match=r"operation 'power.*\(power\).*the operations exported are"):
        model.export(tmp_path / "m.onnx", format="onnx")


def test_bad_arguments(tmp_path):
    model = chapter2_network()
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(tmp_path / "m")  # Keras's default format
    with pytest.raises(ValueError, match="opset must be an integer"):
        model.export(tmp_path / "m.onnx", format="onnx", opset_version=7)
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx", format="onnx")


def test_sequential_names_its_input_and_output_after_its_layers(tmp_path, capsys):
    model = models.Sequential([layers.Input(shape=(4,), name="features"), layers.Dense(2, name="logits")])
    path = model.export(tmp_path / "named.onnx", format="onnx", verbose=True)
    assert str(tmp_path / "named.onnx") in capsys.readouterr().out
    graph = onnx.load(path).graph
    assert [v.name for v in graph.input] == ["features"] and [v.name for v in graph.output] == ["logits"]


def test_export_model_function(tmp_path):
    model = chapter2_network()
    path = fastnn.onnx.export_model(model, tmp_path / "f.onnx", opset=15)
    assert onnx.load(path).opset_import[0].version == 15


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match=r'pip install "fastnn\[onnx\]"'):
        chapter2_network().export(tmp_path / "m.onnx", format="onnx")


def test_mnist_example_agrees_with_predict_on_the_test_set(mnist_dir, tmp_path):
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(Path(fastnn.__file__).resolve().parents[1]))
    result = subprocess.run([sys.executable, str(root / "examples" / "export_onnx.py"), "--data-dir", str(mnist_dir),
                             "--train-samples", "1000", "--seed", "3", "--out-dir", str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    shares = [float(s) for s in re.findall(r"on 10000 test images: ([\d.]+)%", result.stdout)]
    assert len(shares) == 2 and min(shares) >= 99.9, result.stdout
    assert sorted(p.name for p in tmp_path.glob("*.onnx")) == ["chapter2_network.onnx", "convnet.onnx"]


def test_functional_model_nested_in_a_sequential_one(tmp_path):
    inputs = layers.Input(shape=(6, 6, 2))
    block = models.Model(inputs, layers.Concatenate()([layers.Conv2D(2, 3, padding="same")(inputs), inputs]),
                         name="block")
    model = models.Sequential([layers.Input(shape=(6, 6, 2)), block, layers.TimeDistributed(layers.Flatten()),
                               layers.GRU(3)])
    check_agrees(randomized_biases(model), images(2, 6, 6, 2), tmp_path)


def test_importing_fastnn_does_not_import_onnx():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(fastnn.__file__).resolve().parents[1]))
    probe = subprocess.run([sys.executable, "-c", "import sys, fastnn; print(sorted({'onnx', 'onnxruntime'} & "
                            "set(sys.modules)), fastnn.onnx.export_model.__name__)"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.split() == ["[]", "export_model"], probe.stderr
