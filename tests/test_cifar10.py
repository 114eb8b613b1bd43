"""datasets.cifar10 and datasets.cifar100 on small archives in the exact layout of the real ones.

The batches are written as Python 2's cPickle wrote them (protocol 2, str as
8-bit strings, arrays through numpy.core.multiarray._reconstruct), so they are
read the way the real files are: with encoding="bytes".
"""
import hashlib
import http.server
import io
import os
import pickle
import struct
import tarfile
import threading

import numpy as np
import pytest

import fastnn
from fastnn.datasets import DatasetNotFoundError, UnsafeFileError, cifar, cifar10, cifar100, download, locations

TRAIN_COUNTS = (3, 2, 4, 1, 2)
TEST_COUNT = 3


# ---------------------------------------------------------------- writing Python 2 pickles

def _string(data):
    data = data.encode("latin-1") if isinstance(data, str) else data
    if len(data) < 256:
        return b"U" + bytes([len(data)]) + data                 # SHORT_BINSTRING
    return b"T" + struct.pack("<i", len(data)) + data           # BINSTRING


def _int(value):
    if 0 <= value < 256:
        return b"K" + bytes([value])                            # BININT1
    if 0 <= value < 65536:
        return b"M" + struct.pack("<H", value)                  # BININT2
    return b"J" + struct.pack("<i", value)                      # BININT


def _array(array):
    dtype_state = b"(" + _int(3) + _string("|") + b"NNN" + _int(-1) + _int(-1) + _int(0) + b"t"
    dtype = b"cnumpy\ndtype\n" + _string(array.dtype.str[1:]) + _int(0) + _int(1) + b"\x87R" + dtype_state + b"b"
    shape = b"(" + b"".join(_int(d) for d in array.shape) + b"t"
    header = b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _int(0) + b"\x85" + _string("b") + b"\x87R"
    return header + b"(" + _int(1) + shape + dtype + b"\x89" + _string(array.tobytes()) + b"tb"


def _value(value):
    if isinstance(value, dict):
        return b"}(" + b"".join(_value(k) + _value(v) for k, v in value.items()) + b"u"
    if isinstance(value, list):
        return b"](" + b"".join(_value(v) for v in value) + b"e"
    if isinstance(value, (str, bytes)):
        return _string(value)
    if isinstance(value, (int, np.integer)):
        return _int(int(value))
    return _array(value)


def py2_pickle(value):
    return b"\x80\x02" + _value(value) + b"."


# ---------------------------------------------------------------- archives in the real layout

def images(rng, count):
    return rng.integers(0, 256, size=(count, 3072), dtype=np.uint8)


def batch(data, labels, label_keys=("labels",), name="training batch"):
    content = {"batch_label": name}
    for key in label_keys:
        content[key] = labels if len(label_keys) == 1 else labels[key]
    content["data"] = data
    content["filenames"] = [f"img_{i}.png" for i in range(len(data))]
    return py2_pickle(content)


def cifar10_members(seed=0):
    rng = np.random.default_rng(seed)
    arrays, members = {}, {}
    for i, count in enumerate(TRAIN_COUNTS, start=1):
        data, labels = images(rng, count), [int(v) for v in rng.integers(0, 10, count)]
        arrays[f"data_batch_{i}"] = (data, labels)
    arrays["test_batch"] = (images(rng, TEST_COUNT), [int(v) for v in rng.integers(0, 10, TEST_COUNT)])
    for name, (data, labels) in arrays.items():
        members[name] = batch(data, labels, name=name)
    members["batches.meta"] = py2_pickle({"label_names": list(cifar10.CLASS_NAMES), "num_vis": 3072})
    return arrays, members


def write_tar(path, members, folder="cifar-10-batches-py", mode="w:gz"):
    with tarfile.open(path, mode) as archive:
        folder_info = tarfile.TarInfo(folder)
        folder_info.type = tarfile.DIRTYPE
        archive.addfile(folder_info)
        for name, data in members.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        readme = b"<html>readme</html>"
        info = tarfile.TarInfo(f"{folder}/readme.html")
        info.size = len(readme)
        archive.addfile(info, io.BytesIO(readme))
    return path


def expected(arrays, names):
    """The arrays Keras builds: rows reshaped to (3, 32, 32), then channels last."""
    x = np.concatenate([arrays[n][0] for n in names]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    y = np.concatenate([arrays[n][1] for n in names]).reshape(-1, 1)
    return x, y


TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


@pytest.fixture
def archive(tmp_path):
    arrays, members = cifar10_members()
    return write_tar(tmp_path / "cifar-10-python.tar.gz", members), arrays, members


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No FASTNN_DATASETS or FASTNN_HOME, an empty HOME and system folder, the origin unreachable."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FASTNN_DATASETS", raising=False)
    monkeypatch.delenv("FASTNN_HOME", raising=False)
    monkeypatch.setattr(locations, "SYSTEM_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(cifar, "ORIGIN", "http://127.0.0.1:9/")
    monkeypatch.setattr(download, "TIMEOUT_SECONDS", 2.0)
    return tmp_path / "home" / ".fastnn" / "datasets"


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    want_x, want_y = expected(arrays, TRAIN)
    assert x_train.shape == (sum(TRAIN_COUNTS), 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (sum(TRAIN_COUNTS), 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)
    want_x, want_y = expected(arrays, ["test_batch"])
    assert x_test.shape == (TEST_COUNT, 32, 32, 3) and y_test.shape == (TEST_COUNT, 1) and y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_test, want_x)
    np.testing.assert_array_equal(y_test, want_y)


# ---------------------------------------------------------------- loading

def test_loads_the_archive_channels_last(archive):
    path, arrays, _ = archive
    result = cifar10.load_data(path)
    assert_loaded(result, arrays)
    x_train = result[0][0]
    first = arrays["data_batch_1"][0][0]
    # Pixel (row 0, column 1) of the first image: bytes 1 (red), 1025 (green), 2049 (blue).
    assert x_train[0, 0, 1].tolist() == [first[1], first[1025], first[2049]]
    assert x_train.flags.c_contiguous


def test_path_may_be_a_folder_with_the_archive_or_the_unpacked_batches(archive, tmp_path):
    path, arrays, members = archive
    assert_loaded(cifar10.load_data(str(tmp_path)), arrays)
    unpacked = tmp_path / "unpacked" / "cifar-10-batches-py"
    unpacked.mkdir(parents=True)
    for name, data in members.items():
        (unpacked / name).write_bytes(data)
    assert_loaded(cifar10.load_data(unpacked), arrays)
    assert_loaded(cifar10.load_data(unpacked.parent), arrays)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="holds neither cifar-10-python.tar.gz nor the unpacked"):
        cifar10.load_data(tmp_path / "empty")
    (unpacked / "data_batch_4").unlink()
    with pytest.raises(ValueError, match="missing data_batch_4"):
        cifar10.load_data(unpacked)
    with pytest.raises(DatasetNotFoundError, match="no such file or folder"):
        cifar10.load_data(tmp_path / "nowhere")


def test_batches_written_by_python3_load_too(tmp_path):
    rng = np.random.default_rng(3)
    members, arrays = {}, {}
    for name in TRAIN + ["test_batch"]:
        data, labels = images(rng, 2), [1, 9]
        arrays[name] = (data, labels)
        members[name] = pickle.dumps({"data": data, "labels": labels}, protocol=4)
    (x_train, y_train), _ = cifar10.load_data(write_tar(tmp_path / "c.tar.gz", members))
    np.testing.assert_array_equal(x_train, expected(arrays, TRAIN)[0])


def test_search_order_and_download_with_sha256(isolated, archive, tmp_path, monkeypatch):
    path, arrays, _ = archive
    data = path.read_bytes()
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        monkeypatch.setattr(cifar, "ORIGIN", f"http://127.0.0.1:{server.server_address[1]}/~kriz/")
        monkeypatch.setattr(cifar10.LAYOUT, "file_hash", "0" * 64)
        with pytest.raises(DatasetNotFoundError, match="SHA-256 mismatch") as info:
            cifar10.load_data()
        assert "cifar-10-python.tar.gz of the cifar10 dataset" in str(info.value)
        assert not isolated.exists()
        monkeypatch.setattr(cifar10.LAYOUT, "file_hash", hashlib.sha256(data).hexdigest())
        assert_loaded(cifar10.load_data(), arrays)
        assert requests == ["/~kriz/cifar-10-python.tar.gz", "/~kriz/cifar-10-python.tar.gz"]
        assert (isolated / "cifar10" / "cifar-10-python.tar.gz").read_bytes() == data
        cifar10.load_data()
        assert len(requests) == 2
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    # $FASTNN_DATASETS comes first.
    other_arrays, other_members = cifar10_members(seed=9)
    (tmp_path / "env" / "cifar10").mkdir(parents=True)
    write_tar(tmp_path / "env" / "cifar10" / "cifar-10-python.tar.gz", other_members)
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "env"))
    assert_loaded(cifar10.load_data(), other_arrays)


def test_offline_message_lists_the_folders(isolated):
    with pytest.raises(DatasetNotFoundError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert "cifar-10-python.tar.gz of the cifar10 dataset was not found" in message
    assert str(isolated / "cifar10") in message and 'cifar10.load_data(path="DIR")' in message


# ---------------------------------------------------------------- damaged and malicious files

class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running(archive, tmp_path):
    _, _, members = archive
    marker = tmp_path / "ran"
    members = dict(members, data_batch_3=pickle.dumps({b"data": RunsShell(marker), b"labels": []}, protocol=2))
    path = write_tar(tmp_path / "evil.tar.gz", members)
    with pytest.raises(UnsafeFileError, match="evil.tar.gz, member cifar-10-batches-py/data_batch_3: refused "
                                              "to load the Python global posix.system"):
        cifar10.load_data(path)
    assert not marker.exists()
    members["data_batch_3"] = pickle.dumps({"data": eval, "labels": []})
    with pytest.raises(UnsafeFileError, match="builtins.eval"):
        cifar10.load_data(write_tar(tmp_path / "evil2.tar.gz", members))


def test_truncated_archive_names_the_file(archive, tmp_path):
    path, _, _ = archive
    data = path.read_bytes()
    cut = tmp_path / "cut" / "cifar-10-python.tar.gz"
    cut.parent.mkdir()
    cut.write_bytes(data[:len(data) * 2 // 3])
    with pytest.raises(ValueError, match=f"{cut}: damaged or truncated archive"):
        cifar10.load_data(cut)
    cut.write_bytes(b"\x1f\x8b" + data[2:40])
    with pytest.raises(ValueError, match="damaged or truncated archive"):
        cifar10.load_data(cut.parent)


@pytest.mark.parametrize("damage, match", [
    (lambda d, l: (d, [12] + l[1:]), "data_batch_2: labels must lie in 0-9; label 0 is 12"),
    (lambda d, l: (d, l[:-1]), "data_batch_2: 2 images but 1 labels"),
    (lambda d, l: (d[:, :100], l), "'data' must be a uint8 array of shape \\(N, 3072\\)"),
    (lambda d, l: (d.astype(np.int16), l), "found a int16 array"),
    (lambda d, l: (d, "labels"), "'labels' must be a list of integers"),
])
def test_damaged_batches_are_named(tmp_path, damage, match):
    arrays, members = cifar10_members()
    data, labels = damage(*arrays["data_batch_2"])
    members["data_batch_2"] = batch(data, labels)
    with pytest.raises(ValueError, match=match):
        cifar10.load_data(write_tar(tmp_path / "d.tar.gz", members))


def test_missing_member_and_wrong_content(tmp_path):
    arrays, members = cifar10_members()
    del members["test_batch"]
    with pytest.raises(ValueError, match="d.tar.gz: missing member cifar-10-batches-py/test_batch"):
        cifar10.load_data(write_tar(tmp_path / "d.tar.gz", members))
    members["test_batch"] = py2_pickle([1, 2])
    with pytest.raises(ValueError, match="test_batch: a CIFAR batch is a pickled dict, found a list"):
        cifar10.load_data(write_tar(tmp_path / "e.tar.gz", members))
    members["test_batch"] = py2_pickle({"data": arrays["test_batch"][0]})
    with pytest.raises(ValueError, match="no 'labels' entry"):
        cifar10.load_data(write_tar(tmp_path / "f.tar.gz", members))
    with pytest.raises(ValueError, match="missing member cifar-10-batches-py/data_batch_1"):
        cifar10.load_data(write_tar(tmp_path / "g.tar.gz", cifar10_members()[1], folder="other"))


# ---------------------------------------------------------------- CIFAR-100

def test_cifar100_fine_and_coarse_labels(tmp_path):
    rng = np.random.default_rng(5)
    parts = {}
    members = {}
    for name, count in (("train", 5), ("test", 2)):
        data = images(rng, count)
        labels = {"fine_labels": [int(v) for v in rng.integers(0, 100, count)],
                  "coarse_labels": [int(v) for v in rng.integers(0, 20, count)]}
        parts[name] = (data, labels)
        members[name] = batch(data, labels, label_keys=("fine_labels", "coarse_labels"))
    members["meta"] = py2_pickle({"fine_label_names": ["apple"], "coarse_label_names": ["fruit"]})
    path = write_tar(tmp_path / "cifar-100-python.tar.gz", members, folder="cifar-100-python")
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode, path=path)
        assert x_train.shape == (5, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
        # Keras's CIFAR-100 labels stay int64 (np.reshape of a list).
        assert y_train.dtype == np.int64 and y_train.shape == (5, 1)
        np.testing.assert_array_equal(y_train[:, 0], parts["train"][1][f"{mode}_labels"])
        np.testing.assert_array_equal(y_test[:, 0], parts["test"][1][f"{mode}_labels"])
        np.testing.assert_array_equal(x_test, parts["test"][0].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match='label_mode` must be one of "fine", "coarse". Received: label_mode=\'x\''):
        cifar100.load_data("x", path)
    members["train"] = batch(parts["train"][0], {"fine_labels": [100] * 5, "coarse_labels": [0] * 5},
                             label_keys=("fine_labels", "coarse_labels"))
    with pytest.raises(ValueError, match="fine_labels must lie in 0-99"):
        cifar100.load_data(path=write_tar(tmp_path / "bad.tar.gz", members, folder="cifar-100-python"))


def test_reachable_from_the_package():
    assert fastnn.datasets.cifar10.load_data is cifar10.load_data
    assert fastnn.datasets.cifar100.load_data is cifar100.load_data
    assert cifar10.get_label_names()[0] == "airplane" and len(cifar10.CLASS_NAMES) == 10


# ---------------------------------------------------------------- against Keras

@pytest.fixture
def keras_cifar(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    pytest.importorskip("keras")
    from keras.src.datasets import cifar as keras_cifar, cifar10 as keras_cifar10, cifar100 as keras_cifar100
    return keras_cifar, keras_cifar10, keras_cifar100


def test_same_batches_as_keras_and_its_published_digests(keras_cifar, archive, tmp_path):
    keras_batches, keras_cifar10, keras_cifar100 = keras_cifar
    path, _, _ = archive
    with tarfile.open(path) as opened:
        opened.extractall(tmp_path / "unpacked", filter="data")
    folder = tmp_path / "unpacked" / "cifar-10-batches-py"
    # Keras's loader itself wants 10,000 images per batch; its batch reader and its assembly rule are
    # applied here: rows reshaped to (3, 32, 32), stacked, transposed to channels last, uint8 labels.
    parts = [keras_batches.load_batch(str(folder / name)) for name in TRAIN + ["test_batch"]]
    want_x = np.concatenate([data for data, _ in parts[:5]]).transpose(0, 2, 3, 1)
    want_y = np.concatenate([np.asarray(labels, np.uint8) for _, labels in parts[:5]]).reshape(-1, 1)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path)
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)
    np.testing.assert_array_equal(x_test, parts[5][0].transpose(0, 2, 3, 1))
    assert x_train.dtype == parts[0][0].dtype
    import inspect
    assert cifar10.FILE_HASH in inspect.getsource(keras_cifar10)
    assert cifar100.FILE_HASH in inspect.getsource(keras_cifar100)
    assert cifar.ORIGIN + cifar10.FILENAME in inspect.getsource(keras_cifar10)
    assert cifar.ORIGIN + cifar100.FILENAME in inspect.getsource(keras_cifar100)
