"""The TensorBoard callback: event files read back with the tensorboard package's own reader."""
import io
import json
import os
import threading

import numpy as np
import pytest

import fastnn
from fastnn import callbacks, layers, models
from fastnn.tensorboard import records, summaries

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def accumulate(folder):
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def small_model(seed=0):
    fastnn.set_seed(seed)
    model = models.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def data(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.normal(size=(n, 1)).astype(np.float32)


def test_crc32c_matches_the_check_value_and_tensorboards_own():
    from tensorboard.compat.tensorflow_stub import pywrap_tensorflow

    assert records.crc32c(b"123456789") == 0xE3069283
    rng = np.random.default_rng(0)
    for size in (0, 1, 7, 97, 1000):
        data_bytes = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert records.masked_crc32c(data_bytes) == pywrap_tensorflow.masked_crc32c(data_bytes)


def test_histogram_buckets_follow_tensorflows_layout():
    limits = summaries.default_bucket_limits()
    assert limits[0] == -np.finfo(np.float64).max and limits[-1] == np.finfo(np.float64).max
    middle = np.flatnonzero(limits == 0.0)[0]
    assert limits[middle + 1] == 1e-12 and np.isclose(limits[middle + 2], 1.1e-12)
    assert np.all(np.diff(limits) > 0) and np.array_equal(limits[:middle], -limits[:middle:-1])
    values = np.array([0.0, 0.5, 0.5, -2.0, 3e-13, 7.0])
    low, high, num, total, squares, bucket_limit, bucket = summaries.histogram_counts(values)
    assert (low, high, num, total) == (-2.0, 7.0, 6.0, values.sum()) and np.isclose(squares, (values ** 2).sum())
    assert sum(bucket) == 6 and bucket_limit[-1] == np.finfo(np.float64).max
    # each value is counted in the bucket whose [previous limit, limit) holds it
    ends = np.array(bucket_limit)
    for value in values:
        i = np.searchsorted(ends, value, side="right")
        assert bucket[i] > 0
    # empty runs are merged: no two empty entries in a row
    empty = np.array(bucket) == 0
    assert not np.any(empty[1:] & empty[:-1])
    assert summaries.histogram_counts([])[2] == 0.0


def test_fit_writes_epoch_scalars_under_train_and_validation(tmp_path):
    model = small_model()
    x, y = data()
    threads = threading.active_count()
    board = callbacks.TensorBoard(log_dir=tmp_path / "logs")
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[board])
    assert threading.active_count() == threads and board._writers == {}
    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    train, validation = accumulate(tmp_path / "logs" / "train"), accumulate(tmp_path / "logs" / "validation")
    for name in ("loss", "mae"):
        got = scalars(train, f"epoch_{name}")
        assert [step for step, _ in got] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in got], history.history[name], rtol=1e-6)
        got = scalars(validation, f"epoch_{name}")
        np.testing.assert_allclose([v for _, v in got], history.history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars(train, "epoch_learning_rate")], [0.01] * 3, rtol=1e-6)
    assert not any(tag.startswith("batch_") for tag in train.Tags()["scalars"])
    assert "val_loss" not in str(validation.Tags()["scalars"])
    iterations = [step for step, _ in scalars(validation, "evaluation_loss_vs_iterations")]
    assert iterations == [4, 8, 12]  # 30 training samples in batches of 8


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]), (4, [4]), (2, [2, 4, 6])])
def test_update_freq_writes_batch_scalars(tmp_path, update_freq, steps):
    model = small_model()
    x, y = data(24)
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path, update_freq=update_freq),
                                                                  record])
    train = accumulate(tmp_path / "train")
    got = scalars(train, "batch_loss")
    assert [step for step, _ in got] == steps
    np.testing.assert_allclose([v for _, v in got], [seen[s - 1]["loss"] for s in steps], rtol=1e-6)
    assert [step for step, _ in scalars(train, "batch_mae")] == steps


def test_histograms_every_histogram_freq_epochs_and_images(tmp_path):
    from PIL import Image

    model = small_model()
    x, y = data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=2, write_images=True)])
    train = accumulate(tmp_path / "train")
    first, second = model.layers
    tags = [f"{first.name}/kernel/histogram", f"{first.name}/bias/histogram", f"{second.name}/kernel/histogram",
            f"{second.name}/bias/histogram"]
    assert sorted(train.Tags()["histograms"]) == sorted(tags)
    for tag, weight in zip(tags, [first.kernel, first.bias, second.kernel, second.bias]):
        events = train.Histograms(tag)
        assert [event.step for event in events] == [0, 2]
        last = events[-1].histogram_value  # epoch 2 is the last: the weights fit left
        values = weight.data.astype(np.float64)
        assert last.num == values.size and last.min == values.min() and last.max == values.max()
        assert np.isclose(last.sum, values.sum()) and sum(last.bucket) == values.size
    image_event = train.Images(f"{first.name}/kernel/image")[-1]
    picture = np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)))
    kernel = first.kernel.data.T  # (5, 4): Keras draws a 2-D kernel with its longer axis across
    assert picture.shape == (5, 4) if kernel.shape[0] <= kernel.shape[1] else picture.shape == (4, 5)
    expected = (np.clip(first.kernel.data.astype(np.float64), 0, 1) * 255.5).astype(np.uint8)
    expected = expected.T if expected.shape[0] > expected.shape[1] else expected
    np.testing.assert_array_equal(picture, expected)
    bias_picture = np.asarray(Image.open(io.BytesIO(train.Images(f"{first.name}/bias/image")[-1].encoded_image_string)))
    assert bias_picture.shape == (1, 5)


def test_write_graph_gives_tensorboard_the_conceptual_and_layer_graphs(tmp_path):
    from tensorboard.plugins.graph import keras_util

    inputs = layers.Input(shape=(6,), name="features")
    left = layers.Dense(3, name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    outputs = layers.Dense(1, name="out")(layers.Concatenate(name="join")([left, right]))
    model = models.Model(inputs, outputs, name="branches")
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 6)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])
    train = accumulate(tmp_path / "train")
    (event,) = train.Tensors("keras")
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    config = json.loads(event.tensor_proto.string_val[0])
    assert config["class_name"] == "Functional" and config["config"]["name"] == "branches"
    conceptual = {node.name: list(node.input) for node in keras_util.keras_model_to_graph_def(config).node}
    assert conceptual["branches/join"] == ["branches/left", "branches/right"]
    assert conceptual["branches/out"] == ["branches/join"] and conceptual["branches/left"] == ["branches/features"]
    graph = {node.name: (node.op, list(node.input)) for node in train.Graph().node}
    assert graph == {"features": ("InputLayer", []), "left": ("Dense", ["features"]), "right": ("Dense", ["features"]),
                     "join": ("Concatenate", ["left", "right"]), "out": ("Dense", ["join"])}


def test_write_graph_false_writes_no_graph(tmp_path):
    model = small_model()
    x, y = data(16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path, write_graph=False)])
    train = accumulate(tmp_path / "train")
    assert train.Tags()["tensors"] == [] and not train.Tags()["graph"]


def test_book_listing_7_2_embeddings_for_the_projector(tmp_path, monkeypatch):
    """Listing 7.2 of the book on an IMDB-like task (random reviews), smaller."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2

    monkeypatch.chdir(tmp_path)
    max_features, max_len = 200, 60
    rng = np.random.default_rng(0)
    x_train = rng.integers(1, max_features, (80, max_len))
    y_train = rng.integers(0, 2, (80, 1)).astype(np.float32)
    model = models.Sequential()
    model.add(layers.Embedding(max_features, 16, input_length=max_len, name="embed"))
    model.add(layers.Conv1D(8, 7, activation="relu"))
    model.add(layers.MaxPooling1D(5))
    model.add(layers.Conv1D(8, 7, activation="relu"))
    model.add(layers.GlobalMaxPooling1D())
    model.add(layers.Dense(1))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    cbs = [callbacks.TensorBoard(log_dir="my_log_dir", histogram_freq=1, embeddings_freq=1)]
    history = model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.2, callbacks=cbs, verbose=0)
    log_dir = tmp_path / "my_log_dir"
    config = text_format.Parse((log_dir / "projector_config.pbtxt").read_text(), projector_config_pb2.ProjectorConfig())
    (embedding,) = config.embeddings
    assert embedding.tensor_name == "embed/embeddings"
    matrix = np.loadtxt(log_dir / embedding.tensor_path, delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(matrix, model.get_layer("embed").embeddings.data)
    train = accumulate(log_dir / "train")
    assert [s for s, _ in scalars(train, "epoch_acc")] == [0, 1]
    assert "embed/embeddings/histogram" in train.Tags()["histograms"]
    np.testing.assert_allclose([v for _, v in scalars(accumulate(log_dir / "validation"), "epoch_loss")],
                               history.history["val_loss"], rtol=1e-6)


def test_embeddings_metadata(tmp_path):
    model = models.Sequential([layers.Embedding(10, 3, input_shape=(4,), name="words"), layers.Flatten(),
                               layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.default_rng(0).integers(0, 10, (8, 4)), np.zeros((8, 1), np.float32)
    model.fit(x, y, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path, embeddings_freq=1,
                                                                embeddings_metadata={"words": "labels.tsv"})])
    assert 'metadata_path: "labels.tsv"' in (tmp_path / "projector_config.pbtxt").read_text()
    with pytest.raises(ValueError, match="Unrecognized Embedding layer names.*'nope'"):
        model.fit(x, y, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path, embeddings_freq=1,
                                                                    embeddings_metadata={"nope": "labels.tsv"})])


def test_evaluate_alone_writes_and_closes(tmp_path):
    model = small_model()
    x, y = data(16)
    board = callbacks.TensorBoard(tmp_path, write_graph=False)
    loss, _ = model.evaluate(x, y, verbose=0, callbacks=[board])
    assert board._writers == {}
    got = scalars(accumulate(tmp_path / "validation"), "evaluation_loss_vs_iterations")
    assert got == [(0, pytest.approx(loss, rel=1e-6))]


def test_files_are_framed_records_with_checked_crcs(tmp_path):
    from tensorboard.compat.proto import event_pb2

    model = small_model()
    x, y = data(16)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])
    (name,) = os.listdir(tmp_path / "train")
    assert name.startswith("events.out.tfevents.")
    raw = (tmp_path / "train" / name).read_bytes()
    position, events = 0, []
    while position < len(raw):
        length = int.from_bytes(raw[position:position + 8], "little")
        assert int.from_bytes(raw[position + 8:position + 12], "little") == records.masked_crc32c(raw[position:position + 8])
        body = raw[position + 12:position + 12 + length]
        assert int.from_bytes(raw[position + 12 + length:position + 16 + length], "little") == records.masked_crc32c(body)
        events.append(event_pb2.Event.FromString(body))
        position += 16 + length
    assert events[0].file_version == "brain.Event:2"
    assert [e.step for e in events if e.summary.value and e.summary.value[0].tag == "epoch_loss"] == [0, 1]


@pytest.mark.parametrize("kwargs, match", [
    ({"update_freq": "sometimes"}, "update_freq"), ({"update_freq": 0}, "update_freq"),
    ({"histogram_freq": -1}, "histogram_freq"), ({"embeddings_freq": 1.5}, "embeddings_freq"),
    ({"profile_batch": 3}, "profile_batch"), ({"embeddings_metadata": 3}, "embeddings_metadata")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.TensorBoard("logs", **kwargs)
