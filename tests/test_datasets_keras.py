"""IMDB, Reuters and Boston housing read from Keras's file formats, as keras.datasets returns them."""
import hashlib
import http.server
import io
import itertools
import json
import os
import pickle
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.datasets import (DatasetNotFoundError, UnsafeFileError, boston_housing, download, imdb,
                             keras_files, load_npz, locations, reuters)


# ---------------------------------------------------------------- files made here

def ragged(rows):
    """A 1-D object array of lists, as Keras stores its ragged sequences."""
    array = np.empty(len(rows), dtype=object)
    for position, row in enumerate(rows):
        array[position] = list(row)
    return array


def random_sequences(rng, count, vocabulary, longest=30):
    return [rng.integers(1, vocabulary, rng.integers(1, longest)).tolist() for _ in range(count)]


def write_imdb(path, x_train, y_train, x_test, y_test):
    np.savez(path, x_train=ragged(x_train), y_train=np.asarray(y_train, np.int64),
             x_test=ragged(x_test), y_test=np.asarray(y_test, np.int64))
    return path


def write_reuters(path, xs, ys):
    np.savez(path, x=ragged(xs), y=np.asarray(ys, np.int64))
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No FASTNN_DATASETS, an empty HOME and system folder, and Keras's origin unreachable."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FASTNN_DATASETS", raising=False)
    monkeypatch.setattr(locations, "SYSTEM_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(keras_files, "KERAS_ORIGIN", "http://127.0.0.1:9/")
    monkeypatch.setattr(download, "TIMEOUT_SECONDS", 2.0)
    return {"home": home, "cache": home / ".fastnn" / "datasets", "system": tmp_path / "system"}


@pytest.fixture
def imdb_file(tmp_path):
    rng = np.random.default_rng(1)
    return write_imdb(tmp_path / "imdb.npz", random_sequences(rng, 40, 60), rng.integers(0, 2, 40),
                      random_sequences(rng, 30, 60), rng.integers(0, 2, 30))


@pytest.fixture
def reuters_file(tmp_path):
    rng = np.random.default_rng(2)
    return write_reuters(tmp_path / "reuters.npz", random_sequences(rng, 50, 80), rng.integers(0, 46, 50))


def as_lists(x):
    return [list(sequence) for sequence in x]


def assert_sequences(x, expected):
    assert isinstance(x, np.ndarray) and x.dtype == object and x.shape == (len(expected),)
    assert all(type(s) is list and all(type(w) is int for w in s) for s in x)
    assert as_lists(x) == expected


# ---------------------------------------------------------------- Keras's rules, written out plainly

def keras_rules(parts, *, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    """The documented preparation, in plain Python: parts is [(sequences, labels), ...].

    One RandomState(seed) permutes each part in turn; words move up by
    index_from behind start_char; sequences of maxlen or more entries go; the
    vocabulary limit then applies to all parts together, with num_words
    defaulting to the largest index present (which itself falls out).
    """
    rng = np.random.RandomState(seed)
    prepared = []
    for xs, ys in parts:
        order = np.arange(len(xs))
        rng.shuffle(order)
        xs = [[w + index_from for w in xs[i]] for i in order]
        ys = [ys[i] for i in order]
        if start_char is not None:
            xs = [[start_char] + x for x in xs]
        if maxlen:
            kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
            xs, ys = [xs[i] for i in kept], [ys[i] for i in kept]
        prepared.append((xs, ys))
    if not num_words:
        num_words = max(w for xs, _ in prepared for x in xs for w in x)
    limited = []
    for xs, ys in prepared:
        if oov_char is None:
            xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
        else:
            xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
        limited.append((xs, ys))
    return limited


OPTIONS = [dict(zip(("num_words", "skip_top", "maxlen", "seed", "start_char", "oov_char", "index_from"), values))
           for values in itertools.product([None, 20], [0, 5], [None, 12], [113, 7], [1, None], [2, None], [3, 0])]


# ---------------------------------------------------------------- IMDB

def test_imdb_by_hand(tmp_path):
    # One review per half, so the shuffles cannot move anything.
    path = write_imdb(tmp_path / "imdb.npz", [[1, 2, 3, 50]], [1], [[7, 1]], [0])
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path)
    # Shifted by 3 behind the start mark 1; the largest index (53) is out of vocabulary by Keras's rule.
    assert_sequences(x_train, [[1, 4, 5, 6, 2]])
    assert_sequences(x_test, [[1, 10, 4]])
    assert y_train.tolist() == [1] and y_test.tolist() == [0]
    (x_train, _), (x_test, _) = imdb.load_data(path, num_words=6, skip_top=5)
    assert_sequences(x_train, [[2, 2, 5, 2, 2]])
    (x_train, _), (x_test, _) = imdb.load_data(path, num_words=6, oov_char=None, start_char=None, index_from=0)
    assert_sequences(x_train, [[1, 2, 3]])
    assert_sequences(x_test, [[1]])
    with pytest.raises(ValueError, match="no training review is shorter than maxlen=4"):
        imdb.load_data(path, maxlen=4)


def test_imdb_shuffle_by_hand(tmp_path):
    order_train, order_test = np.arange(5), np.arange(4)
    rng = np.random.RandomState(113)
    rng.shuffle(order_train)
    rng.shuffle(order_test)
    x_train = [[i + 1] * (i + 1) for i in range(5)]
    x_test = [[10 + i] for i in range(4)]
    path = write_imdb(tmp_path / "imdb.npz", x_train, [0, 1, 0, 1, 1], x_test, [1, 0, 0, 1])
    (got_train, y_train), (got_test, y_test) = imdb.load_data(path, num_words=100)
    assert_sequences(got_train, [[1] + [w + 3 for w in x_train[i]] for i in order_train])
    assert_sequences(got_test, [[1, x_test[i][0] + 3] for i in order_test])
    assert y_train.tolist() == [[0, 1, 0, 1, 1][i] for i in order_train]
    assert y_test.tolist() == [[1, 0, 0, 1][i] for i in order_test]
    assert y_train.dtype == np.int64


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_imdb_follows_keras_rules(imdb_file, options):
    arrays = load_npz(imdb_file)
    (want_train, want_y_train), (want_test, want_y_test) = keras_rules(
        [(list(arrays["x_train"]), arrays["y_train"].tolist()), (list(arrays["x_test"]), arrays["y_test"].tolist())],
        **options)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(imdb_file, **options)
    assert_sequences(x_train, want_train)
    assert_sequences(x_test, want_test)
    assert y_train.tolist() == want_y_train and y_test.tolist() == want_y_test


def test_imdb_equal_length_reviews_stay_a_list_per_review(tmp_path):
    path = write_imdb(tmp_path / "imdb.npz", [[1, 2], [3, 4]], [0, 1], [[5, 6]], [1])
    (x_train, _), _ = imdb.load_data(path)
    assert x_train.shape == (2,)


def test_imdb_word_index(tmp_path, isolated):
    path = tmp_path / "imdb_word_index.json"
    path.write_text(json.dumps({"the": 1, "and": 2, "fawn": 34701}))
    assert imdb.get_word_index(path) == {"the": 1, "and": 2, "fawn": 34701}
    assert imdb.get_word_index(tmp_path) == {"the": 1, "and": 2, "fawn": 34701}
    path.write_text(json.dumps({"the": "1"}))
    with pytest.raises(ValueError, match="imdb_word_index.json: the index of 'the' is '1', not an integer"):
        imdb.get_word_index(path)
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="must be a JSON object, found list"):
        imdb.get_word_index(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="not a valid JSON word index"):
        imdb.get_word_index(path)


# ---------------------------------------------------------------- Reuters

@pytest.mark.parametrize("options", OPTIONS[::3], ids=lambda o: "-".join(str(v) for v in o.values()))
@pytest.mark.parametrize("test_split", [0.2, 0.5, 0.0, 1.0])
def test_reuters_follows_keras_rules(reuters_file, options, test_split):
    arrays = load_npz(reuters_file)
    [(xs, ys)] = keras_rules([(list(arrays["x"]), arrays["y"].tolist())], **options)
    split = int(len(xs) * (1 - test_split))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(reuters_file, test_split=test_split, **options)
    assert_sequences(x_train, xs[:split])
    assert_sequences(x_test, xs[split:])
    assert y_train.tolist() == ys[:split] and y_test.tolist() == ys[split:]
    assert y_train.dtype == y_test.dtype == np.int64


def test_reuters_default_split_by_hand(tmp_path):
    path = write_reuters(tmp_path / "r.npz", [[i + 1] for i in range(11)], list(range(11)))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(path, num_words=1000)
    assert len(x_train) == 8 and len(x_test) == 3  # int(11 * 0.8)
    order = np.arange(11)
    np.random.RandomState(113).shuffle(order)
    assert y_train.tolist() + y_test.tolist() == order.tolist()
    assert as_lists(x_train) + as_lists(x_test) == [[1, i + 4] for i in order]


def test_reuters_label_names_and_word_index(tmp_path):
    names = reuters.get_label_names()
    assert len(names) == 46 and len(set(names)) == 46
    assert names[3] == "earn" and names[4] == "acq" and names[-1] == "lead"
    (tmp_path / "reuters_word_index.json").write_text(json.dumps({"the": 1, "of": 2}))
    assert reuters.get_word_index(tmp_path / "reuters_word_index.json") == {"the": 1, "of": 2}


# ---------------------------------------------------------------- Boston housing

def test_boston_housing_by_hand(tmp_path):
    x = np.arange(506 * 13, dtype=np.float64).reshape(506, 13)
    y = np.arange(506, dtype=np.float64) / 10
    np.savez(tmp_path / "boston_housing.npz", x=x, y=y)
    order = np.arange(506)
    np.random.RandomState(113).shuffle(order)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(tmp_path / "boston_housing.npz")
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    assert x_train.dtype == y_train.dtype == np.float64
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[order])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y[order])
    (x_train, _), (x_test, _) = boston_housing.load_data(tmp_path, test_split=0.1, seed=5)
    order = np.arange(506)
    np.random.RandomState(5).shuffle(order)
    assert len(x_train) == int(506 * 0.9)
    np.testing.assert_array_equal(x_test, x[order[int(506 * 0.9):]])


def test_boston_housing_bad_arguments_and_files(tmp_path):
    np.savez(tmp_path / "b.npz", x=np.zeros((4, 13)), y=np.zeros(5))
    with pytest.raises(ValueError, match="b.npz: expected x of shape"):
        boston_housing.load_data(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", x=np.zeros((4, 13)))
    with pytest.raises(ValueError, match="c.npz: missing array\\(s\\) y"):
        boston_housing.load_data(tmp_path / "c.npz")
    with pytest.raises(ValueError, match="Received: test_split=1"):
        boston_housing.load_data(tmp_path / "c.npz", test_split=1)
    with pytest.raises(ValueError, match="Received: seed=-1"):
        boston_housing.load_data(tmp_path / "c.npz", seed=-1)


# ---------------------------------------------------------------- arguments and damaged files

@pytest.mark.parametrize("arg, value", [("num_words", -1), ("num_words", 2.5), ("skip_top", None),
                                        ("maxlen", "10"), ("seed", 2**32), ("seed", True),
                                        ("start_char", -1), ("index_from", None)])
def test_bad_options_are_named(imdb_file, reuters_file, arg, value):
    for loader, file in ((imdb.load_data, imdb_file), (reuters.load_data, reuters_file)):
        with pytest.raises(ValueError, match=f"Received: {arg}={value!r}"):
            loader(file, **{arg: value})
    with pytest.raises(ValueError, match="test_split must be in \\[0, 1\\]"):
        reuters.load_data(reuters_file, test_split=1.5)


def test_damaged_sequence_files_are_refused_naming_the_file(tmp_path):
    np.savez(tmp_path / "a.npz", x=ragged([[1, 2], [3]]), y=np.array([1]))
    with pytest.raises(ValueError, match="a.npz, y: 2 sequences but 1 labels"):
        reuters.load_data(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=ragged([[1, 2.5]]), y=np.array([1]))
    with pytest.raises(ValueError, match="b.npz, x: sequence 0 is not a list of integers"):
        reuters.load_data(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", x=ragged([[1], [-4]]), y=np.array([1, 0]))
    with pytest.raises(ValueError, match="c.npz, x: sequence 1 holds the negative word index -4"):
        reuters.load_data(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", x_train=ragged([[1]]), y_train=np.array([1]))
    with pytest.raises(ValueError, match="d.npz: missing array\\(s\\) x_test, y_test"):
        imdb.load_data(tmp_path / "d.npz")
    (tmp_path / "e.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="e.npz: not a readable .npz archive"):
        imdb.load_data(tmp_path / "e.npz")


# ---------------------------------------------------------------- no pickled code runs

class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class Evaluates:
    def __reduce__(self):
        return (eval, ("1 + 1",))


def npz_with_payload(path, member, payload, shape=(1,)):
    """An .npz whose member declares an object array and carries the pickle ``payload``."""
    header = {"descr": "|O", "fortran_order": False, "shape": shape}
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, header)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member + ".npy", stream.getvalue() + payload)
    return path


@pytest.mark.parametrize("gadget, refused", [("shell", "posix.system"), ("eval", "builtins.eval")])
def test_pickled_code_is_refused_without_running(tmp_path, gadget, refused):
    marker = tmp_path / "ran"
    payload = pickle.dumps(RunsShell(marker) if gadget == "shell" else Evaluates())
    path = npz_with_payload(tmp_path / "reuters.npz", "x", payload)
    with pytest.raises(UnsafeFileError, match=f"reuters.npz, member x.npy: refused to load the "
                                              f"Python global {refused}"):
        load_npz(path)
    with pytest.raises(UnsafeFileError):
        reuters.load_data(path)
    assert not marker.exists()


def test_refused_global_inside_an_otherwise_valid_array(tmp_path):
    marker = tmp_path / "ran"
    array = ragged([[1], [2]])
    array[1] = RunsShell(marker)
    path = npz_with_payload(tmp_path / "imdb.npz", "x_train", pickle.dumps(array, protocol=2), shape=(2,))
    with pytest.raises(UnsafeFileError, match="posix.system"):
        imdb.load_data(path)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_object_arrays_of_every_pickle_protocol_load(tmp_path, protocol):
    array = ragged([[1, 2], [3], []])
    load_npz(npz_with_payload(tmp_path / "p.npz", "x", pickle.dumps(array, protocol=protocol), shape=(3,)))
    got = load_npz(tmp_path / "p.npz")["x"]
    assert got.dtype == object and as_lists(got) == [[1, 2], [3], []]


def test_npz_reader_matches_numpy_on_ordinary_files(tmp_path):
    arrays = {"ints": np.arange(7, dtype=">i2"), "fortran": np.asfortranarray(np.arange(12.).reshape(3, 4)),
              "empty": np.zeros((0, 3), np.float32), "scalar": np.array(3.5),
              "objects": ragged([[1, 2], [], [3]]), "record": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")])}
    np.savez(tmp_path / "plain.npz", **arrays)
    np.savez_compressed(tmp_path / "packed.npz", **arrays)
    for name in ("plain.npz", "packed.npz"):
        got = load_npz(tmp_path / name)
        assert sorted(got) == sorted(arrays)
        for key, want in arrays.items():
            assert got[key].dtype == want.dtype and got[key].shape == want.shape
            if key == "objects":
                assert as_lists(got[key]) == as_lists(want)
            else:
                np.testing.assert_array_equal(got[key], want)
        assert got["fortran"].flags.f_contiguous and got["ints"].flags.writeable


def test_npz_reader_refuses_damaged_members(tmp_path):
    good = np.lib.format.magic(1, 0)
    with zipfile.ZipFile(tmp_path / "short.npz", "w") as archive:
        stream = io.BytesIO()
        np.save(stream, np.arange(10))
        archive.writestr("a.npy", stream.getvalue()[:-3])
    with pytest.raises(ValueError, match="short.npz, member a.npy: int64 of shape \\(10,\\) needs 80 bytes, found 77"):
        load_npz(tmp_path / "short.npz")
    with zipfile.ZipFile(tmp_path / "magic.npz", "w") as archive:
        archive.writestr("a.npy", b"PK" + good[2:] + b"rubbish")
    with pytest.raises(ValueError, match="magic.npz, member a.npy: not a valid .npy header"):
        load_npz(tmp_path / "magic.npz")
    truncated = pickle.dumps(ragged([[1, 2], [3]]))[:-10]
    with pytest.raises(ValueError, match="t.npz, member x.npy: corrupt pickled array"):
        load_npz(npz_with_payload(tmp_path / "t.npz", "x", truncated, shape=(2,)))
    with pytest.raises(ValueError, match="s.npz, member x.npy: header declares object of shape \\(3,\\)"):
        load_npz(npz_with_payload(tmp_path / "s.npz", "x", pickle.dumps(ragged([[1], [2]])), shape=(3,)))
    with pytest.raises(ValueError, match="l.npz, member x.npy: the pickled payload is a list"):
        load_npz(npz_with_payload(tmp_path / "l.npz", "x", pickle.dumps([[1]])))


# ---------------------------------------------------------------- where files are found

@pytest.mark.parametrize("module, filename", [(imdb, "imdb.npz"), (reuters, "reuters.npz"),
                                              (boston_housing, "boston_housing.npz")])
def test_search_order_without_a_path(isolated, tmp_path, monkeypatch, module, filename):
    def write(folder, value):
        folder.mkdir(parents=True, exist_ok=True)
        if module is boston_housing:
            np.savez(folder / filename, x=np.full((5, 13), value, float), y=np.zeros(5))
        elif module is imdb:
            write_imdb(folder / filename, [[value]], [0], [[value]], [1])
        else:
            write_reuters(folder / filename, [[value]] * 5, [0] * 5)

    env = tmp_path / "env"
    monkeypatch.setenv("FASTNN_DATASETS", str(env))
    folders = [env / module.NAME, env, isolated["cache"] / module.NAME, isolated["system"] / module.NAME]
    for value, folder in enumerate(folders, start=10):
        write(folder, value)
    for value, folder in enumerate(folders, start=10):
        if module is boston_housing:
            (x_train, _), _ = module.load_data()
            assert x_train[0, 0] == value, folder
        else:
            (x_train, _), _ = module.load_data(num_words=100)
            assert x_train[0] == [1, value + 3], folder
        (folder / filename).unlink()
    with pytest.raises(DatasetNotFoundError) as info:
        module.load_data()
    message = str(info.value)
    for folder in folders:
        assert f"  {folder} (" in message
    assert f'{module.NAME}.load_data(path="DIR")' in message
    assert f"$FASTNN_DATASETS/{module.NAME}/" in message
    assert "127.0.0.1:9" in message
    assert files_under(env / module.NAME) == []  # no partial download left


def files_under(folder):
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []


@pytest.mark.parametrize("module, filename", [(imdb, "imdb.npz"), (reuters, "reuters.npz"),
                                              (boston_housing, "boston_housing.npz")])
def test_given_path_is_used_alone(isolated, tmp_path, monkeypatch, module, filename, imdb_file, reuters_file):
    source = {"imdb.npz": imdb_file, "reuters.npz": reuters_file}.get(filename)
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "env"))
    (tmp_path / "env" / module.NAME).mkdir(parents=True)
    if source is None:
        np.savez(tmp_path / "env" / module.NAME / filename, x=np.zeros((5, 13)), y=np.zeros(5))
    else:
        (tmp_path / "env" / module.NAME / filename).write_bytes(source.read_bytes())
    module.load_data()  # found without a path
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / filename).mkdir()
    cases = {tmp_path / "nowhere.npz": "no such file or folder", empty: "the folder has no " + filename}
    for given, message in cases.items():
        with pytest.raises(DatasetNotFoundError, match=message) as info:
            module.load_data(path=given)
        assert str(given) in str(info.value) and f"{module.NAME}.load_data(path=" in str(info.value)
    (empty / filename).rmdir()
    with pytest.raises(DatasetNotFoundError, match=f"the folder has no {filename} .* does not exist"):
        module.load_data(path=str(empty))
    with pytest.raises(DatasetNotFoundError, match="get_word_index.*no such file or folder"):
        (reuters if module is reuters else imdb).get_word_index(tmp_path / "missing.json")


# ---------------------------------------------------------------- downloads from Keras's storage

class Origin:
    """A local HTTP server standing in for Keras's storage."""

    def __init__(self, files):
        self.requests = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                origin.requests.append(self.path)
                body = files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def origin(isolated, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = []

    def serve(files):
        server = Origin(files)
        servers.append(server)
        monkeypatch.setattr(keras_files, "KERAS_ORIGIN", server.url)
        return server

    yield serve
    for server in servers:
        server.close()


def test_download_verifies_sha256_and_md5_and_caches(origin, isolated, imdb_file, monkeypatch):
    data = imdb_file.read_bytes()
    words = json.dumps({"good": 1, "bad": 2}).encode()
    server = origin({"imdb.npz": data, "imdb_word_index.json": words})
    monkeypatch.setattr(imdb, "FILE_HASH", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(words).hexdigest())
    want = imdb.load_data(imdb_file)
    got = imdb.load_data()
    assert as_lists(got[0][0]) == as_lists(want[0][0]) and got[1][1].tolist() == want[1][1].tolist()
    assert imdb.get_word_index() == {"good": 1, "bad": 2}
    cache = isolated["cache"] / "imdb"
    assert sorted(p.name for p in cache.iterdir()) == ["imdb.npz", "imdb_word_index.json"]
    assert server.requests == ["/imdb.npz", "/imdb_word_index.json"]
    imdb.load_data()
    imdb.get_word_index()
    assert len(server.requests) == 2


@pytest.mark.parametrize("which", ["sha256", "md5"])
def test_download_with_wrong_checksum_leaves_nothing(origin, isolated, monkeypatch, which):
    origin({"reuters.npz": b"tampered", "reuters_word_index.json": b"{}"})
    with pytest.raises(DatasetNotFoundError, match=("SHA-256" if which == "sha256" else "MD5") + " mismatch") as info:
        reuters.load_data() if which == "sha256" else reuters.get_word_index()
    assert "reuters" in str(info.value)
    assert files_under(isolated["home"]) == []


def test_shipped_checksums_are_keras_digests():
    for module in (imdb, reuters, boston_housing):
        assert len(module.FILE_HASH) == 64 and int(module.FILE_HASH, 16) >= 0
    for module in (imdb, reuters):
        assert len(module.WORD_INDEX_HASH) == 32 and int(module.WORD_INDEX_HASH, 16) >= 0
    assert keras_files.KERAS_ORIGIN.startswith("https://")


def test_reachable_from_the_package():
    assert fastnn.datasets.imdb.load_data is imdb.load_data
    assert fastnn.datasets.reuters.get_label_names is reuters.get_label_names
    assert fastnn.datasets.boston_housing.load_data is boston_housing.load_data


# ---------------------------------------------------------------- against keras itself, when installed

@pytest.fixture
def keras_datasets(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "numpy"))
    try:
        from keras.src.datasets import boston_housing as k_boston, imdb as k_imdb, reuters as k_reuters
    except Exception as exc:  # keras missing, or no usable backend
        pytest.skip(f"keras is not importable ({type(exc).__name__}: {exc})")
    for module in (k_imdb, k_reuters, k_boston):
        # The file is given: Keras must neither download nor check it against its published digest.
        monkeypatch.setattr(module, "get_file", lambda fname=None, origin=None, **kwargs: fname)
    return k_imdb, k_reuters, k_boston


def test_same_arrays_as_keras(keras_datasets, imdb_file, reuters_file, tmp_path):
    k_imdb, k_reuters, k_boston = keras_datasets
    for options in OPTIONS[::5]:
        for ours, theirs in ((imdb.load_data(imdb_file, **options), k_imdb.load_data(str(imdb_file), **options)),
                             (reuters.load_data(reuters_file, test_split=0.3, **options),
                              k_reuters.load_data(str(reuters_file), test_split=0.3, **options))):
            for got, want in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
                assert got.dtype == want.dtype and got.shape == want.shape
                assert [np.asarray(v).tolist() for v in got] == [np.asarray(v).tolist() for v in want]
    np.savez(tmp_path / "boston_housing.npz", x=np.random.default_rng(0).normal(size=(37, 13)), y=np.arange(37.0))
    for ours, theirs in zip(boston_housing.load_data(tmp_path / "boston_housing.npz", 0.25, 9),
                            k_boston.load_data(str(tmp_path / "boston_housing.npz"), 0.25, 9)):
        for got, want in zip(ours, theirs):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    assert reuters.get_label_names() == tuple(k_reuters.get_label_names())
