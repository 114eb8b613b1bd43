"""pad_sequences, TimeseriesGenerator and timeseries_dataset_from_array.

Hand-computed expectations (Keras's documented examples among them) run without
Keras; the comparisons with Keras's own functions are skipped when it is missing.
TensorFlow is not installed, so Keras's timeseries_dataset_from_array cannot
run: its windows are checked against the rule its documentation states.
"""
import os
import random

import numpy as np
import pytest

import fastnn
from fastnn.preprocessing.sequence import TimeseriesGenerator, pad_sequences
from fastnn.utils import timeseries_dataset_from_array


# ---------------------------------------------------------------- pad_sequences by hand

def test_pad_sequences_keras_documented_examples():
    sequence = [[1], [2, 3], [4, 5, 6]]
    padded = pad_sequences(sequence)
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    assert fastnn.utils.pad_sequences is pad_sequences


def test_pad_sequences_truncating_dtype_and_empty_rows():
    sequences = [[1, 2, 3, 4], [], np.array([7, 8])]
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=3, truncating="post"), [[1, 2, 3], [0, 0, 0], [0, 7, 8]])
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=3, padding="post"), [[2, 3, 4], [0, 0, 0], [7, 8, 0]])
    wide = pad_sequences(sequences, maxlen=6, dtype="float32", value=0.5)
    assert wide.dtype == np.float32 and wide.shape == (3, 6)
    np.testing.assert_array_equal(wide[1], np.full(6, 0.5, np.float32))
    assert pad_sequences([[1.7, 2.2]], dtype="int64").tolist() == [[1, 2]]  # cast like np.asarray
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([[1, 2]], maxlen=0, truncating="post").shape == (1, 0)


def test_pad_sequences_of_vectors_and_strings():
    sequences = [[[1, 2], [3, 4]], [[5, 6]]]
    padded = pad_sequences(sequences, padding="post", value=9)
    assert padded.shape == (2, 2, 2)
    np.testing.assert_array_equal(padded, [[[1, 2], [3, 4]], [[5, 6], [9, 9]]])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]
    assert pad_sequences([["ab"]], maxlen=2, dtype="<U5", value="z").tolist() == [["z", "ab"]]


@pytest.mark.parametrize("call, error, match", [
    (lambda: pad_sequences(x for x in [[1]]), ValueError, "must be iterable"),
    (lambda: pad_sequences([[1], 5]), ValueError, "list of iterables. Found non-iterable: 5"),
    (lambda: pad_sequences([[1]], value="x"), ValueError, "dtype int32 is not compatible with value"),
    (lambda: pad_sequences([[1]], padding="middle"), ValueError, 'padding type "middle" not understood'),
    (lambda: pad_sequences([[1]], truncating="x"), ValueError, 'truncating type "x" not understood'),
    (lambda: pad_sequences([[[1, 2]], [[1, 2, 3]]]), ValueError, "position 1 have shape \\(3,\\)"),
    (lambda: pad_sequences([]), ValueError, "is empty and no maxlen"),
    (lambda: pad_sequences([[1]], maxlen=-1), ValueError, "maxlen must be >= 0"),
    (lambda: pad_sequences([[1]], maxlen=2.0), TypeError, "maxlen must be an integer"),
    (lambda: pad_sequences([[1]], maxlen=0), ValueError, "maxlen=0 with truncating='pre'"),
])
def test_pad_sequences_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_unknown_modes_are_only_noticed_on_a_non_empty_sequence_as_in_keras():
    assert pad_sequences([[], []], maxlen=2, padding="middle", truncating="x").tolist() == [[0, 0], [0, 0]]


# ---------------------------------------------------------------- TimeseriesGenerator by hand

def test_timeseries_generator_by_hand():
    data, targets = np.arange(10), np.arange(10) * 10
    generator = TimeseriesGenerator(data, targets, length=3, batch_size=2)
    assert len(generator) == 4  # rows 3..9: [3, 4], [5, 6], [7, 8], [9]
    x, y = generator[0]
    np.testing.assert_array_equal(x, [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(y, [30, 40])
    x, y = generator[-1]
    np.testing.assert_array_equal(x, [[6, 7, 8]])
    np.testing.assert_array_equal(y, [90])
    assert [batch[1].tolist() for batch in generator] == [[30, 40], [50, 60], [70, 80], [90]]


def test_timeseries_generator_rate_stride_bounds_and_reverse():
    data = np.arange(40).reshape(20, 2)
    generator = TimeseriesGenerator(data, np.arange(20), length=4, sampling_rate=2, stride=3, start_index=2,
                                    end_index=15, reverse=True, batch_size=2)
    # rows 6, 9, 12, 15; each sample holds data[row - 4 : row : 2], time reversed.
    assert len(generator) == 2
    x, y = generator[1]
    np.testing.assert_array_equal(y, [12, 15])
    np.testing.assert_array_equal(x, [[data[10], data[8]], [data[13], data[11]]])
    assert x.shape == (2, 2, 2)


def test_timeseries_generator_shuffle_draws_rows_from_the_global_state():
    generator = TimeseriesGenerator(np.arange(30), np.arange(30), length=5, shuffle=True, batch_size=6)
    np.random.seed(4)
    x, y = generator[0]
    np.random.seed(4)
    rows = np.random.randint(5, 30, size=6)
    np.testing.assert_array_equal(y, rows)
    np.testing.assert_array_equal(x, [np.arange(r - 5, r) for r in rows])


@pytest.mark.parametrize("kwargs, match", [
    ({"targets": np.arange(9)}, "same length. Data length is 10 while target length is 9"),
    ({"length": 10}, "start_index\\+length=10 > end_index=9"),
    ({"length": 0}, "length must be an integer >= 1"),
    ({"stride": 0}, "stride must be an integer >= 1"),
    ({"sampling_rate": 1.5}, "sampling_rate must be an integer"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1"),
    ({"start_index": -1}, "start_index must be an integer >= 0"),
    ({"end_index": 10}, "end_index=10 is past the last row"),
])
def test_timeseries_generator_errors(kwargs, match):
    arguments = {"data": np.arange(10), "targets": np.arange(10), "length": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        TimeseriesGenerator(**arguments)


def test_timeseries_generator_index_out_of_range():
    generator = TimeseriesGenerator(np.arange(10), np.arange(10), length=2, batch_size=4)
    with pytest.raises(IndexError, match="batch 2 out of range \\(there are 2 batches\\)"):
        generator[2]
    with pytest.raises(TypeError, match="must be integers"):
        generator[0.5]


def test_timeseries_generator_batches_train_a_model():
    series = np.sin(np.arange(400) * 0.1).astype("float32")
    generator = TimeseriesGenerator(series, series, length=8, batch_size=32)
    model = fastnn.models.Sequential([fastnn.layers.Dense(16, activation="relu"), fastnn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    losses = []
    for _ in range(15):
        epoch = [model.train_on_batch(x.reshape(len(x), -1), y.reshape(-1, 1)) for x, y in generator]
        losses.append(float(np.mean(epoch)))
        generator.on_epoch_end()
    assert losses[-1] < 0.2 * losses[0]


# ---------------------------------------------------------------- timeseries_dataset_from_array by hand

def windows(dataset):
    return [np.asarray(w).tolist() for batch in dataset for w in (batch[0] if isinstance(batch, tuple) else batch)]


def test_timeseries_dataset_keras_example_one():
    dataset = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sampling_rate=2,
                                            sequence_stride=3, batch_size=8)
    seen = windows(dataset)
    assert seen[0] == list(range(0, 19, 2)) and seen[1] == list(range(3, 22, 2))
    assert seen[2] == list(range(6, 25, 2)) and seen[-1] == list(range(78, 97, 2))
    assert len(seen) == 27 and len(dataset) == 4
    assert [len(batch) for batch in dataset] == [8, 8, 8, 3]


def test_timeseries_dataset_keras_example_two_targets():
    data = np.arange(50, dtype="float32") ** 2
    dataset = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10, batch_size=16)
    inputs, targets = next(iter(dataset))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10] and inputs.dtype == np.float32
    everything = [(x, y) for x, y in dataset]
    count = sum(len(y) for _, y in everything)
    assert count == 31  # 40 rows, windows of 10: starts 0..30
    for x, y in everything:
        for window, target in zip(x, y):
            start = int(round(np.sqrt(window[0])))
            np.testing.assert_array_equal(window, data[start:start + 10])
            assert target == data[start + 10]


def test_timeseries_dataset_keras_example_three_many_to_many():
    x, y = np.arange(100), np.arange(100) * 2
    inputs = timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20)
    outputs = timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20)
    for batch_in, batch_out in zip(inputs, outputs):
        np.testing.assert_array_equal(batch_in[0], x[:20])
        np.testing.assert_array_equal(batch_out[1], y[20:40])
        assert batch_in.shape == (5, 20)


def test_timeseries_dataset_bounds_unbatched_and_multichannel():
    data = np.arange(60).reshape(30, 2)
    dataset = timeseries_dataset_from_array(data, np.arange(30) * 10, sequence_length=3, sampling_rate=2,
                                            start_index=5, end_index=20, batch_size=None)
    samples = list(dataset)
    # rows 5..19, windows of rows p, p+2, p+4: first rows 5..15
    assert len(samples) == len(dataset) == 11
    window, target = samples[0]
    np.testing.assert_array_equal(window, data[[5, 7, 9]])
    assert target == 50
    window, target = samples[-1]
    np.testing.assert_array_equal(window, data[[15, 17, 19]])
    assert target == 150


def test_timeseries_dataset_shuffles_each_pass_reproducibly():
    def passes(seed):
        dataset = timeseries_dataset_from_array(np.arange(40), np.arange(40), sequence_length=4, batch_size=5,
                                                shuffle=True, seed=seed)
        return [[y.tolist() for _, y in dataset] for _ in range(3)]

    first = passes(7)
    assert first == passes(7)
    assert first[0] != first[1] != first[2]
    for epoch in first:
        starts = sorted(t for batch in epoch for t in batch)
        assert starts == list(range(37))
    order = np.arange(37)
    np.random.RandomState(7).shuffle(order)
    assert [t for batch in first[0] for t in batch] == order.tolist()


def test_timeseries_dataset_by_index_like_a_sequence():
    dataset = timeseries_dataset_from_array(np.arange(20), np.arange(20), sequence_length=5, batch_size=4)
    x, y = dataset[-1]
    assert y.tolist() == [12, 13, 14, 15] and x[-1].tolist() == [15, 16, 17, 18, 19]
    with pytest.raises(IndexError, match="out of range"):
        dataset[4]


def test_timeseries_dataset_with_too_few_rows_is_empty_as_in_keras():
    dataset = timeseries_dataset_from_array(np.arange(5), None, sequence_length=9)
    assert len(dataset) == 0 and list(dataset) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"start_index": -2}, "`start_index` must be 0 or greater"),
    ({"start_index": 20}, "`start_index` must be lower than the length of the data"),
    ({"start_index": 5, "end_index": 5}, "`end_index` must be higher than `start_index`"),
    ({"end_index": 20}, "`end_index` must be lower than the length"),
    ({"end_index": -1}, "`end_index` must be higher than 0"),
    ({"sampling_rate": 0}, "`sampling_rate` must be higher than 0"),
    ({"sampling_rate": 20}, "`sampling_rate` must be lower than the length"),
    ({"sequence_stride": 0}, "`sequence_stride` must be higher than 0"),
    ({"sequence_stride": 25}, "`sequence_stride` must be lower than the length"),
    ({"sequence_length": 0}, "`sequence_length` must be at least 1"),
    ({"batch_size": 0}, "`batch_size` must be at least 1"),
    ({"targets": np.arange(3), "start_index": 4}, "targets has 3 entries"),
])
def test_timeseries_dataset_errors(kwargs, match):
    arguments = {"data": np.arange(20), "targets": None, "sequence_length": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(**arguments)


# ---------------------------------------------------------------- against Keras

@pytest.fixture
def keras_sequence(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    pytest.importorskip("keras")
    from keras.src.legacy.preprocessing import sequence as legacy
    from keras.src.utils import sequence_utils
    return sequence_utils.pad_sequences, legacy.TimeseriesGenerator


def outcome(call):
    try:
        return "ok", call()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc), None


def test_pad_sequences_same_as_keras(keras_sequence):
    keras_pad, _ = keras_sequence
    rng = random.Random(1)
    for _ in range(600):
        sequences = [[rng.randint(-3, 9) for _ in range(rng.randint(0, 7))] for _ in range(rng.randint(0, 5))]
        if rng.random() < 0.2:
            sequences = [np.asarray(s) for s in sequences]
        options = dict(maxlen=rng.choice([None, 0, 1, 3, 10]), padding=rng.choice(["pre", "post", "mid"]),
                       truncating=rng.choice(["pre", "post", "end"]), value=rng.choice([0.0, -1, 2.5]),
                       dtype=rng.choice(["int32", "float32", "int64", "float64", "uint8"]))
        theirs, ours = outcome(lambda: keras_pad(sequences, **options)), outcome(lambda: pad_sequences(sequences, **options))
        assert theirs[0] == ours[0], (sequences, options, theirs, ours)
        if theirs[0] == "ok":
            assert ours[1].dtype == theirs[1].dtype and ours[1].shape == theirs[1].shape
            np.testing.assert_array_equal(ours[1], theirs[1])


def test_pad_sequences_of_vectors_same_as_keras(keras_sequence):
    keras_pad, _ = keras_sequence
    rng = np.random.default_rng(2)
    for _ in range(100):
        sequences = [rng.normal(size=(int(rng.integers(0, 5)), 3)) for _ in range(4)]
        options = dict(maxlen=int(rng.integers(1, 6)), padding=str(rng.choice(["pre", "post"])),
                       truncating=str(rng.choice(["pre", "post"])), dtype="float64", value=-7.0)
        np.testing.assert_array_equal(pad_sequences(sequences, **options), keras_pad(sequences, **options))


def test_timeseries_generator_same_as_keras(keras_sequence):
    _, KerasGenerator = keras_sequence
    rng = random.Random(5)
    data, targets = np.arange(120).reshape(60, 2), np.arange(60) * 10
    compared = 0
    for _ in range(300):
        options = dict(length=rng.randint(1, 10), sampling_rate=rng.randint(1, 3), stride=rng.randint(1, 4),
                       start_index=rng.randint(0, 12), end_index=rng.choice([None, 20, 40, 59]),
                       reverse=rng.random() < 0.5, batch_size=rng.randint(1, 9), shuffle=rng.random() < 0.2)
        try:
            theirs = KerasGenerator(data, targets, **options)
        except ValueError:
            with pytest.raises(ValueError):
                TimeseriesGenerator(data, targets, **options)
            continue
        ours = TimeseriesGenerator(data, targets, **options)
        assert len(ours) == len(theirs)
        for index in range(len(theirs)):
            np.random.seed(index)
            want = theirs[index]
            np.random.seed(index)
            got = ours[index]
            for a, b in zip(got, want):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(a, b)
        compared += 1
    assert compared > 150
