"""Bad sequence input ends in a clear exception naming the layer (or the function), the input and
its shapes or values: recurrent and 1-D convolution layers, Embedding indices, masks, ragged
lists, NaN under debug_nans, generators, pad_sequences and Tokenizer.

The table lists (what is called, the exception, a fragment of its message), as test_bad_input.py.
"""
import re
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.preprocessing.sequence import pad_sequences
from fastnn.preprocessing.text import Tokenizer

STEPS, FEATURES, VOCABULARY = 6, 3, 10

SEQUENCE_LAYERS = {
    "SimpleRNN": lambda: layers.SimpleRNN(2, name="seq"),
    "LSTM": lambda: layers.LSTM(2, name="seq"),
    "GRU": lambda: layers.GRU(2, name="seq"),
    "Bidirectional": lambda: layers.Bidirectional(layers.LSTM(2), name="seq"),
    "Conv1D": lambda: layers.Conv1D(2, 3, name="seq"),
}
RECURRENT = ["SimpleRNN", "LSTM", "GRU"]


def sequences(n=8, steps=STEPS, features=FEATURES):
    return np.random.default_rng(n).random((n, steps, features), dtype=np.float32)


def targets(n=8):
    return np.zeros((n, 1), np.float32)


def sequence_model(kind):
    model = models.Sequential([layers.Input(shape=(STEPS, FEATURES)), SEQUENCE_LAYERS[kind](), layers.Flatten(),
                               layers.Dense(1, name="out")])
    model.compile("rmsprop", "mse")
    return model


def embedding_model(recurrent=False):
    middle = [layers.LSTM(2, name="seq")] if recurrent else [layers.Flatten()]
    model = models.Sequential([layers.Embedding(VOCABULARY, 4, input_length=STEPS, name="emb"), *middle,
                               layers.Dense(1, name="out")])
    model.compile("rmsprop", "mse")
    return model


def indices(bad, n=8, at=(1, 2)):
    x = np.random.default_rng(0).integers(0, VOCABULARY, (n, STEPS)).astype(np.int64)
    x[at] = bad
    return x


def masked_model():
    inputs, mask = layers.Input(shape=(STEPS, FEATURES)), layers.Input(shape=(STEPS - 1,), dtype="bool")
    return models.Model([inputs, mask], layers.LSTM(2, name="seq")(inputs, mask=mask))


def stateful_model():
    model = models.Sequential([layers.LSTM(2, stateful=True, batch_input_shape=(2, STEPS, FEATURES), name="seq"),
                               layers.Dense(1)])
    model.compile("rmsprop", "mse")
    return model


def float_indices(bad):
    x = indices(0).astype(np.float32)
    x[1, 2] = bad
    return x


def functional(kind):
    inputs = layers.Input(shape=(STEPS,))
    return SEQUENCE_LAYERS[kind]()(inputs)


def generator(kind, bad_from=2):
    """Batches of 4 sequences; from batch `bad_from` on, one of the wrong structure `kind`."""
    rng = np.random.default_rng(1)
    step = 0
    while True:
        x, y = rng.random((4, STEPS, FEATURES), dtype=np.float32), rng.random((4, 1), dtype=np.float32)
        if step < bad_from:
            yield x, y
        else:
            yield {
                "bare array": lambda: x,
                "3-tuple, 3 weights": lambda: (x, y, np.ones(3)),
                "3-tuple, 2-D weights": lambda: (x, y, np.ones((4, 2))),
                "negative weights": lambda: (x, y, np.array([1.0, -1.0, 1.0, 1.0])),
                "4-tuple": lambda: (x, y, np.ones(4), 0),
                "batch sizes differ": lambda: (x, y[:3]),
                "wrong features": lambda: (x[:, :, :2], y),
                "wrong steps": lambda: (x[:, :4], y),
                "None": lambda: None,
            }[kind]()
        step += 1


def fit_on(kind, bad_from=2):
    return sequence_model("LSTM").fit(generator(kind, bad_from), steps_per_epoch=4, verbose=0)


def fit_with_nans(kind, call):
    x = sequences(16)
    x[2, 3, 1] = np.nan
    model = sequence_model(kind)
    with fastnn.debug_nans():
        if call == "fit":
            return model.fit(x, targets(16), batch_size=4, verbose=0)
        if call == "predict":
            return model.predict(x, batch_size=4, verbose=0)
        return model.layers[0](x)


def fitted_tokenizer():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(["the cat sat", "the dog"])
    return tokenizer


@dataclass(frozen=True)
class Row:
    label: str
    call: Callable[[], object]
    exception: type
    match: str


NOT_SEQUENCES = r"'seq' \(%s\) is incompatible with the layer: expected ndim=3 \(batch, steps, features\), found ndim=2"
ROWS = [
    # ---- a 2-D input where (batch, steps, features) is expected ----
    *[Row(f"{kind}: Sequential.build with a 2-D input shape",
          lambda kind=kind: models.Sequential([SEQUENCE_LAYERS[kind]()]).build((None, STEPS)),
          ValueError, NOT_SEQUENCES % kind + r".*\(None, 6\)") for kind in SEQUENCE_LAYERS],
    *[Row(f"{kind}: functional call on a 2-D Input", lambda kind=kind: functional(kind),
          ValueError, NOT_SEQUENCES % kind + r".*\(None, 6\)") for kind in SEQUENCE_LAYERS],
    *[Row(f"{kind}: eager call on a 2-D array", lambda kind=kind: SEQUENCE_LAYERS[kind]()(np.ones((4, STEPS))),
          ValueError, NOT_SEQUENCES % kind) for kind in SEQUENCE_LAYERS],
    *[Row(f"{kind}: fit with 2-D x, model built for 3-D",
          lambda kind=kind: sequence_model(kind).fit(np.ones((8, STEPS), np.float32), targets(), verbose=0),
          ValueError,
          r"'seq' \(%s\) is incompatible.*expected shape \(None, 6, 3\), but x has shape \(None, 6\)" % kind)
      for kind in SEQUENCE_LAYERS],
    Row("LSTM: predict with 3 features too few",
        lambda: sequence_model("LSTM").predict(sequences(features=2), verbose=0),
        ValueError, r"'seq' \(LSTM\).*expected shape \(None, 6, 3\), but x has shape \(None, 6, 2\)"),

    # ---- Embedding indices outside [0, input_dim) ----
    *[Row(f"Embedding {call}: index {bad}", (lambda call=call, bad=bad: {
        "fit": lambda: embedding_model().fit(indices(bad), targets(), shuffle=False, verbose=0),
        "predict": lambda: embedding_model().predict(indices(bad), verbose=0),
        "evaluate": lambda: embedding_model().evaluate(indices(bad), targets(), verbose=0),
        "eager call": lambda: embedding_model().layers[0](indices(bad)),
        "fit into an LSTM": lambda: embedding_model(True).fit(indices(bad), targets(), shuffle=False, verbose=0),
    }[call]()), IndexError, r"'emb' \(Embedding\): index %s at position \(1, 2\) is not an integer in \[0, 10\)" % bad)
      for call in ("fit", "predict", "evaluate", "eager call", "fit into an LSTM")
      for bad in (VOCABULARY, 10 ** 9, -1, -(10 ** 9))],
    Row("Embedding: float index 1.5",
        lambda: embedding_model().predict(float_indices(1.5), verbose=0),
        IndexError, r"'emb' \(Embedding\): index 1.5 at position \(1, 2\)"),
    Row("Embedding: NaN index",
        lambda: embedding_model().layers[0](float_indices(np.nan)),
        IndexError, r"'emb' \(Embedding\): index nan at position \(1, 2\)"),

    # ---- an explicit mask of the wrong shape or type ----
    *[Row(f"{kind}: mask of shape {shape}",
          lambda kind=kind, shape=shape: SEQUENCE_LAYERS[kind]()(sequences(4), mask=np.ones(shape, bool)),
          ValueError, r"'seq' \(%s\): the mask must have shape \(batch, steps\) = \(4, 6\) for inputs of shape "
                      r"\(4, 6, 3\). Received: a mask of shape %s" % (kind, re.escape(str(shape))))
      for kind in RECURRENT + ["Bidirectional"] for shape in ((4, 5), (3, 6), (4, 6, 1), (6,))],
    Row("stateful LSTM: a batch of another size",
        lambda: stateful_model().fit(sequences(6), targets(6), batch_size=3, verbose=0),
        ValueError, r"'seq' \(LSTM\): if an RNN is stateful, the batch size .*\n- Expected batch size: 2\n"
                    r"- Received batch size: 3"),
    Row("functional model: a mask input of 5 steps for 6-step sequences",
        lambda: masked_model().predict([sequences(2), np.ones((2, STEPS - 1), bool)], verbose=0),
        ValueError, r"'seq' \(LSTM\): the mask must have shape \(batch, steps\) = \(2, 6\) .*Received: a mask of "
                    r"shape \(2, 5\)"),
    Row("LSTM: mask of strings",
        lambda: SEQUENCE_LAYERS["LSTM"]()(sequences(4), mask=np.full((4, STEPS), "a")),
        TypeError, r"'seq' \(LSTM\): the mask must hold booleans.*dtype <U1"),

    # ---- ragged lists of sequences, not padded ----
    Row("fit: ragged lists of token indices",
        lambda: embedding_model(True).fit([[1, 2, 3], [4, 5], [6]], np.zeros(3), verbose=0),
        ValueError, r"ragged x: sample 0 has length 3 but sample 1 has length 2.*pad_sequences"),
    Row("fit: object array of sequences (as imdb.load_data returns)",
        lambda: embedding_model(True).fit(np.array([[1, 2, 3], [4, 5], [6]], dtype=object), np.zeros(3), verbose=0),
        ValueError, r"ragged x \(an object array of 3 sequences\): sample 0 has length 3 but sample 1 has length 2"
                    r".*pad_sequences"),
    Row("predict: ragged lists",
        lambda: embedding_model(True).predict([[1, 2], [3, 4], [5, 6, 7]], verbose=0),
        ValueError, r"ragged x: sample 0 has length 2 but sample 2 has length 3"),
    Row("evaluate: ragged y",
        lambda: embedding_model(True).evaluate(indices(0, n=3), [[1], [1, 2], [3]], verbose=0),
        ValueError, r"ragged y: sample 0 has length 1 but sample 1 has length 2"),

    # ---- NaN in a sequence, with debug_nans: the layer is named ----
    *[Row(f"debug_nans: NaN into {kind} ({call})", lambda kind=kind, call=call: fit_with_nans(kind, call),
          FloatingPointError, r"debug_nans: .* in layer %s .*1 NaN.*the data fed in, such as a batch of x" % (
              r"'forward_lstm\w*' \(LSTM\) of 'seq' \(Bidirectional\)" if kind == "Bidirectional"
              else r"'seq' \(%s\)" % kind))
      for kind in SEQUENCE_LAYERS for call in ("fit", "predict", "eager call")],

    # ---- a generator of the wrong structure: the batch is named ----
    *[Row(f"generator: {kind} at batch {at}", lambda kind=kind, at=at: fit_on(kind, at), exception, match % at)
      for at in (0, 2) for kind, exception, match in [
          ("bare array", ValueError, r"batch %d of the generator must be a tuple \(x, y\) or \(x, y, sample_weight\). "
                                     r"Received: ndarray"),
          ("4-tuple", ValueError, r"batch %d of the generator must be a tuple.*Received: tuple of length 4"),
          ("3-tuple, 3 weights", ValueError, r"x has 4 samples but sample_weight of batch %d of the generator has 3"),
          ("3-tuple, 2-D weights", ValueError, r"sample_weight of batch %d of the generator must hold one weight per "
                                               r"sample, shape \(4,\). Received shape \(4, 2\)"),
          ("negative weights", ValueError, r"sample_weight of batch %d of the generator must hold finite, "
                                           r"non-negative weights"),
          ("batch sizes differ", ValueError, r"x of batch (%d) of the generator has 4 samples but y of batch \1 of the "
                                             r"generator has 3"),
          ("wrong features", ValueError, r"'seq' \(LSTM\).*expected shape \(None, 6, 3\), but x of batch %d of the "
                                         r"generator has shape \(None, 6, 2\)"),
          ("wrong steps", ValueError, r"'seq' \(LSTM\).*expected shape \(None, 6, 3\), but x of batch %d of the "
                                      r"generator has shape \(None, 4, 3\)"),
      ]],
    Row("generator: None at batch 2", lambda: fit_on("None", 2),
        ValueError, r"batch 2 of the generator is None"),
    Row("generator: None first", lambda: fit_on("None", 0),
        ValueError, r"batch 0 of the generator is None"),
    Row("evaluate: generator with batch sizes differing at batch 1",
        lambda: sequence_model("LSTM").evaluate(generator("batch sizes differ", 1), steps=3, verbose=0),
        ValueError, r"x of batch 1 of the generator has 4 samples but y of batch 1 of the generator has 3"),
    Row("predict: generator with wrong features at batch 2",
        lambda: sequence_model("LSTM").predict(generator("wrong features"), steps=3, verbose=0),
        ValueError, r"but x of batch 2 of the generator has shape \(None, 6, 2\)"),
    Row("fit: validation generator yielding bare arrays",
        lambda: sequence_model("LSTM").fit(generator("bare array", 99), steps_per_epoch=2, verbose=0,
                                           validation_data=generator("bare array", 1), validation_steps=2),
        ValueError, r"batch 1 of the generator must be a tuple"),

    # ---- pad_sequences ----
    Row("pad_sequences: padding='middle'", lambda: pad_sequences([[1, 2], [3]], padding="middle"),
        ValueError, r'padding type "middle" not understood; expected "pre" or "post"'),
    Row("pad_sequences: padding=None", lambda: pad_sequences([[1, 2], [3]], padding=None),
        ValueError, r'padding type "None" not understood'),
    Row("pad_sequences: truncating='both' with maxlen", lambda: pad_sequences([[1, 2, 3]], maxlen=2, truncating="both"),
        ValueError, r'truncating type "both" not understood; expected "pre" or "post"'),
    Row("pad_sequences: truncating='both' without maxlen", lambda: pad_sequences([[1, 2, 3]], truncating="both"),
        ValueError, r'truncating type "both" not understood'),
    Row("pad_sequences: maxlen=-1", lambda: pad_sequences([[1]], maxlen=-1),
        ValueError, r"maxlen must be >= 0. Received: maxlen=-1"),
    Row("pad_sequences: maxlen='5'", lambda: pad_sequences([[1]], maxlen="5"),
        TypeError, r"maxlen must be an integer or None. Received: maxlen='5'"),
    Row("pad_sequences: a list of numbers, not of sequences", lambda: pad_sequences([1, 2, 3]),
        ValueError, r"`sequences` must be a list of iterables. Found non-iterable: 1"),
    Row("pad_sequences: words into int32", lambda: pad_sequences([["the", "cat"]]),
        ValueError, r"the sequence at position 0 cannot be converted to dtype int32.*strings need dtype=object"),
    Row("pad_sequences: entries of different shapes inside one sequence", lambda: pad_sequences([[1], [[1, 2], [3]]]),
        ValueError, r"the sequence at position 1 cannot be converted|sequence at position 1 have shape"),
    Row("pad_sequences: entries of different shapes across sequences", lambda: pad_sequences([[[1, 2]], [[3]]]),
        ValueError, r"the entries of the sequence at position 1 have shape \(1,\), but those of the first non-empty "
                    r"sequence have shape \(2,\)"),

    # ---- Tokenizer on what is not text ----
    Row("Tokenizer.fit_on_texts: integers", lambda: Tokenizer().fit_on_texts([1, 2]),
        TypeError, r"fit_on_texts: text 0 is a int, not a str or a list of tokens: 1"),
    Row("Tokenizer.fit_on_texts: None among texts", lambda: Tokenizer().fit_on_texts(["a b", None]),
        TypeError, r"fit_on_texts: text 1 is a NoneType"),
    Row("Tokenizer.fit_on_texts: bytes", lambda: Tokenizer().fit_on_texts([b"a b"]),
        TypeError, r"text 0 is a bytes"),
    Row("Tokenizer.fit_on_texts: one string", lambda: Tokenizer().fit_on_texts("the cat"),
        TypeError, r"texts must be a list of texts, not a single string.*\['the cat'\]"),
    Row("Tokenizer.fit_on_texts: a number", lambda: Tokenizer().fit_on_texts(3.0),
        TypeError, r"fit_on_texts: texts must be a list. Received: float 3.0"),
    Row("Tokenizer.fit_on_texts: token lists holding an int", lambda: Tokenizer().fit_on_texts([["a", "b"], ["c", 1]]),
        TypeError, r"text 1 is a list of tokens holding a int, 1; tokens must be str"),
    Row("Tokenizer.texts_to_sequences: integers", lambda: fitted_tokenizer().texts_to_sequences([3]),
        TypeError, r"texts_to_sequences: text 0 is a int"),
    Row("Tokenizer.texts_to_matrix: None", lambda: fitted_tokenizer().texts_to_matrix(["the", None]),
        TypeError, r"text 1 is a NoneType"),
    Row("Tokenizer.fit_on_sequences: strings", lambda: Tokenizer().fit_on_sequences(["ab"]),
        TypeError, r"fit_on_sequences: sequence 0 must be a list of integer indices. Received: str 'ab'"),
    Row("Tokenizer.sequences_to_texts: words", lambda: fitted_tokenizer().sequences_to_texts([[1], ["cat"]]),
        TypeError, r"sequences_to_texts: sequence 1 must be a list of integer indices. Received: str 'cat' in it"),
    *[Row(f"Tokenizer.sequences_to_texts: {bad!r} as an index",
          lambda bad=bad: fitted_tokenizer().sequences_to_texts([[1, bad]]),
          TypeError, r"sequences_to_texts: sequence 0 must be a list of integer indices. Received: %s" % kind)
      for bad, kind in [(True, "bool True"), (1.5, "float 1.5"), (float("nan"), "float nan"), (None, "NoneType None")]],
    Row("Tokenizer.sequences_to_matrix: words", lambda: fitted_tokenizer().sequences_to_matrix([["cat"]]),
        ValueError, r"sequences_to_matrix: sequence 0 must be a list of integer indices"),
    Row("Tokenizer.sequences_to_matrix: negative index", lambda: fitted_tokenizer().sequences_to_matrix([[1, -2]]),
        ValueError, r"sequence 0 holds the negative index -2"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.label for row in ROWS])
def test_bad_sequence_input_raises(row):
    with pytest.raises(row.exception, match=row.match):
        row.call()
    assert not [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")]


def test_embedding_bad_index_in_a_late_batch_stops_a_compiled_step_plan():
    """The step plan recorded on good batches still checks every index it gathers."""
    model = embedding_model(True)
    good = indices(0, n=64)
    model.fit(good, targets(64), batch_size=8, epochs=2, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    bad = good.copy()
    bad[60, 1] = VOCABULARY
    with pytest.raises(IndexError, match=r"'emb' \(Embedding\): index 10 at position \(4, 1\)"):
        model.fit(bad, targets(64), batch_size=8, shuffle=False, verbose=0)
    with pytest.raises(IndexError, match=r"index 10 at position \(4, 1\)"):
        model.predict(bad, batch_size=8, verbose=0)
    model.fit(good, targets(64), batch_size=8, verbose=0)  # the model still trains
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert any(not np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))


@pytest.mark.parametrize("bad", [VOCABULARY, 2 ** 31, 2 ** 40, -1, -(2 ** 40), 2.5, float("inf"), float("nan")])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
@pytest.mark.parametrize("kernel", ["take_rows", "scatter_add_rows"])
def test_row_kernels_refuse_out_of_range_indices_and_leave_out_untouched(kernel, bad, dtype):
    """The compiled gather (and its scatter-add gradient) checks every index before touching memory."""
    from fastnn import kernels

    if np.dtype(dtype).kind == "i" and (not float(bad).is_integer() or not -(2 ** 31) <= bad < 2 ** 31
                                        and np.dtype(dtype) == np.int32):
        pytest.skip(f"{bad} is not representable in {np.dtype(dtype).name}")
    idx = np.zeros((3, 5), dtype)
    idx[2, 4] = bad
    if kernel == "take_rows":
        source = np.arange(VOCABULARY * 4, dtype=np.float32).reshape(VOCABULARY, 4)
        out = np.full((3, 5, 4), -7.0, np.float32)
        call = lambda: kernels.take_rows(source, idx, out=out, owner="my_table")  # noqa: E731
    else:
        source = np.ones((3, 5, 4), np.float32)
        out = np.full((VOCABULARY, 4), -7.0, np.float32)
        call = lambda: kernels.scatter_add_rows(source, idx, VOCABULARY, out=out, owner="my_table")  # noqa: E731
    with pytest.raises(IndexError, match=r"my_table: index .* at position \(2, 4\) is not an integer in \[0, 10\)"):
        call()
    assert (out == -7.0).all()


def test_generator_running_out_warns_and_leaves_no_thread():
    def short():
        for _ in range(2):
            yield sequences(4), targets(4)

    with pytest.warns(UserWarning, match="the generator ran out of batches"):
        history = sequence_model("LSTM").fit(short(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) >= 1
    assert not [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")]


def test_sequences_to_texts_accepts_integer_valued_floats():
    """A padded float array (pad_sequences(dtype='float32')) reads back as the same words."""
    tokenizer = fitted_tokenizer()
    ints = tokenizer.texts_to_sequences(["the cat sat"])
    floats = pad_sequences(ints, maxlen=4, dtype="float32")
    assert tokenizer.sequences_to_texts(floats) == tokenizer.sequences_to_texts(ints) == ["the cat sat"]


def test_an_empty_batch_from_a_generator_is_a_no_op_for_sequence_layers():
    """A Sequence sliced past its end yields a batch of 0 samples: it trains nothing, as for Dense."""
    def batches(with_empty):
        rng = np.random.default_rng(3)
        for _ in range(3):
            yield rng.random((4, STEPS, FEATURES), dtype=np.float32), rng.random((4, 1), dtype=np.float32)
            if with_empty:
                yield np.zeros((0, STEPS, FEATURES), np.float32), np.zeros((0, 1), np.float32)

    for kind in [*SEQUENCE_LAYERS, "LSTM return_state"]:
        results = []
        for with_empty in (False, True):
            fastnn.utils.set_random_seed(0)
            if kind == "LSTM return_state":
                inputs = layers.Input(shape=(STEPS, FEATURES))
                output, h, c = layers.LSTM(2, return_state=True, name="seq")(inputs)
                model = models.Model(inputs, layers.Dense(1)(layers.concatenate([output, h, c])))
            else:
                model = models.Sequential([layers.Input(shape=(STEPS, FEATURES)), SEQUENCE_LAYERS[kind](),
                                           layers.Flatten(), layers.Dense(1)])
            model.compile("sgd", "mse")
            history = model.fit(batches(with_empty), steps_per_epoch=6 if with_empty else 3, verbose=0)
            results.append((history.history["loss"], model.get_weights(), model.predict(np.zeros((0, STEPS, FEATURES)),
                                                                                       verbose=0).shape))
        (loss, weights, empty_shape), (loss_e, weights_e, _) = results
        np.testing.assert_allclose(loss_e, loss, rtol=1e-6, err_msg=kind)
        for a, b in zip(weights, weights_e):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7, err_msg=kind)
        assert empty_shape == (0, 1)


@pytest.mark.parametrize("kind", SEQUENCE_LAYERS)
def test_debug_nans_names_the_layer_after_a_step_plan_was_recorded(kind):
    model = sequence_model(kind)
    model.fit(sequences(16), targets(16), batch_size=4, epochs=2, verbose=0)
    x = sequences(16)
    x[13, 0, 0] = np.nan  # in the last batch
    with fastnn.debug_nans():
        with pytest.raises(FloatingPointError, match=r"in layer .*'seq' \(%s\).*the data fed in" % kind):
            model.fit(x, targets(16), batch_size=4, shuffle=False, verbose=0)
    assert not fastnn.debug.is_debugging_nans()


def test_debug_nans_names_a_nested_models_layer_and_the_model():
    inner = models.Sequential([layers.Input(shape=(STEPS, FEATURES)), layers.GRU(2, name="inner_gru")],
                              name="encoder")
    outer = models.Sequential([inner, layers.Dense(1, name="out")])
    outer.compile("rmsprop", "mse")
    x = sequences(4)
    x[1, 2, 0] = np.nan
    with fastnn.debug_nans():
        with pytest.raises(FloatingPointError, match=r"in layer 'inner_gru' \(GRU\) of 'encoder' \(Sequential\) "
                                                     r"produced"):
            outer.fit(x, targets(4), verbose=0)


class Batches(fastnn.utils.Sequence):
    """Four batches of sequences; batch `bad` is the wrong structure `kind`."""

    def __init__(self, kind, bad=2, workers=1):
        super().__init__(workers=workers)
        self.kind, self.bad = kind, bad

    def __len__(self):
        return 4

    def __getitem__(self, index):
        x, y = sequences(4), targets(4)
        if index != self.bad:
            return x, y
        return {"bare array": x, "batch sizes differ": (x, y[:3]), "None": None}[self.kind]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("kind, match", [
    ("bare array", r"batch 2 of the Batches \(a Sequence\) must be a tuple \(x, y\) or \(x, y, sample_weight\)"),
    ("batch sizes differ", r"x of batch 2 of the Batches \(a Sequence\) has 4 samples but y of batch 2"),
    ("None", r"batch 2 of the Batches \(a Sequence\) is None"),
])
def test_a_sequence_batch_of_the_wrong_structure_names_its_index(kind, match, workers):
    with pytest.raises(ValueError, match=match):
        sequence_model("LSTM").fit(Batches(kind, workers=workers), epochs=1, verbose=0)
    assert not [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")]
