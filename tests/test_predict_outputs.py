"""predict writes each batch's outputs straight into arrays as long as its input: the same values,
batch by batch, as predict_on_batch, for one output and several, and callbacks see each batch's."""
import numpy as np

from fastnn import Input, callbacks, layers, models
from fastnn.utils import set_random_seed


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.outputs = []

    def on_predict_batch_end(self, batch, logs=None):
        self.outputs.append([np.array(o) for o in (logs["outputs"] if isinstance(logs["outputs"], tuple)
                                                   else (logs["outputs"],))])


def test_predict_matches_predict_on_batch_batch_by_batch():
    set_random_seed(1)
    inputs = Input(shape=(6,))
    hidden = layers.Dense(5, activation="relu")(inputs)
    model = models.Model(inputs, [layers.Dense(3, activation="softmax")(hidden), layers.Dense(1)(hidden)])
    x = np.random.default_rng(0).standard_normal((30, 6)).astype(np.float32)
    recorder = Recorder()
    got = model.predict(x, batch_size=7, verbose=0, callbacks=[recorder])
    assert [a.shape for a in got] == [(30, 3), (30, 1)] and all(a.dtype == np.float32 for a in got)
    for k, start in enumerate(range(0, 30, 7)):
        want = model.predict_on_batch(x[start:start + 7])
        for output, expected, seen in zip(got, want, recorder.outputs[k]):
            assert np.array_equal(output[start:start + 7], expected)
            assert np.array_equal(seen, expected)
    single = models.Model(inputs, layers.Dense(2)(hidden))
    rows = [single.predict_on_batch(x[s:s + 4]) for s in range(0, 30, 4)]
    assert np.array_equal(single.predict(x, batch_size=4, verbose=0), np.concatenate(rows))
    assert single.predict(x[:0], batch_size=4, verbose=0).shape == (0, 2)
