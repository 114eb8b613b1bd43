import gzip
import hashlib
import http.server
import os
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.datasets import (ChecksumMismatchError, DatasetNotFoundError, DownloadError,
                             download, fashion_mnist, idx_dataset, locations, mnist,
                             read_idx, write_idx)

STEMS = idx_dataset.FILE_STEMS


# ---------------------------------------------------------------- helpers

def idx_bytes(code, dims, payload, zeros=b"\x00\x00"):
    """IDX file bytes assembled by hand, independently of write_idx."""
    return zeros + bytes([code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def write_bytes(path, data):
    path = Path(path)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def synthetic_dataset(seed, n_train=6, n_test=4, rows=4, cols=3):
    """Four small uint8 arrays standing for a dataset; `seed` makes them distinguishable."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, rows, cols), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, rows, cols), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def dataset_file_bytes(arrays):
    """stem -> uncompressed IDX bytes of each array (ubyte, code 0x08)."""
    return {stem: idx_bytes(0x08, a.shape, a.tobytes()) for stem, a in arrays.items()}


def write_dataset(folder, arrays, gz=True):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, data in dataset_file_bytes(arrays).items():
        write_bytes(folder / (stem + (".gz" if gz else "")), data)
    return folder


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, stem in [(x_train, STEMS[0]), (y_train, STEMS[1]), (x_test, STEMS[2]), (y_test, STEMS[3])]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[stem])


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """No FASTNN_DATASETS, an empty HOME, an empty system folder, unreachable mirrors."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FASTNN_DATASETS", raising=False)
    system = tmp_path / "system"
    monkeypatch.setattr(locations, "SYSTEM_DIR", str(system))
    refused = refused_url()
    monkeypatch.setattr(mnist, "MIRRORS", [refused])
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [refused])
    return {"home": home, "system": system, "cache": home / ".fastnn" / "datasets"}


_refusing_sockets = []


def refused_url():
    """A 127.0.0.1 URL whose port is bound but not listening, so connecting is refused (the port
    stays bound until this module's tests end)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _refusing_sockets.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.fixture(autouse=True, scope="module")
def close_refusing_sockets():
    yield
    while _refusing_sockets:
        _refusing_sockets.pop().close()


def files_in(folder):
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- real MNIST

@pytest.fixture(scope="module")
def real_mnist(mnist_dir):
    return mnist.load_data(path=mnist_dir)


def test_public_api_is_reachable_from_the_package():
    assert fastnn.datasets.mnist.load_data is mnist.load_data
    assert issubclass(DatasetNotFoundError, OSError)


def test_real_mnist_shapes_dtypes_and_labels(real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.c_contiguous and array.flags.writeable
    assert list(y_train[:5]) == [5, 0, 4, 1, 9]
    assert list(y_test[:5]) == [7, 2, 1, 0, 4]
    assert y_train.max() == 9 and y_test.max() == 9
    assert list(np.bincount(y_train)) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert list(np.bincount(y_test)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.min() == 0 and x_train.max() == 255
    # Borders of MNIST digits are blank; the centre of the first test image (a 7) is not.
    assert not x_test[0, :3].any() and x_test[0].max() == 255


def test_real_mnist_gzipped_plain_and_mixed_copies_agree(real_mnist, mnist_dir, tmp_path):
    plain, mixed = tmp_path / "plain", tmp_path / "mixed"
    plain.mkdir()
    mixed.mkdir()
    for stem in STEMS:
        with gzip.open(mnist_dir / (stem + ".gz"), "rb") as src:
            (plain / stem).write_bytes(src.read())
        if stem.startswith("train"):
            shutil.copy(mnist_dir / (stem + ".gz"), mixed / (stem + ".gz"))
        else:
            os.link(plain / stem, mixed / stem)
    for folder in (plain, mixed):
        result = mnist.load_data(path=folder)
        for got, want in zip(result[0] + result[1], real_mnist[0] + real_mnist[1]):
            np.testing.assert_array_equal(got, want)


def test_real_mnist_headers_have_standard_magic(mnist_dir):
    with gzip.open(mnist_dir / "train-images-idx3-ubyte.gz", "rb") as f:
        assert struct.unpack(">4I", f.read(16)) == (2051, 60000, 28, 28)
    with gzip.open(mnist_dir / "t10k-labels-idx1-ubyte.gz", "rb") as f:
        assert struct.unpack(">2I", f.read(8)) == (2049, 10000)


# ---------------------------------------------------------------- lookup order

def test_lookup_order_path_env_home_system(isolated_env, tmp_path, monkeypatch):
    env_root = tmp_path / "env"
    monkeypatch.setenv("FASTNN_DATASETS", str(env_root))
    places = {
        "path": tmp_path / "given",
        "env": env_root / "mnist",
        "home": isolated_env["cache"] / "mnist",
        "system": isolated_env["system"] / "mnist",
    }
    data = {}
    for seed, (place, folder) in enumerate(places.items()):
        data[place] = synthetic_dataset(seed)
        write_dataset(folder, data[place], gz=seed % 2 == 0)

    assert_loaded(mnist.load_data(path=places["path"]), data["path"])
    assert_loaded(mnist.load_data(path=str(places["path"])), data["path"])
    assert_loaded(mnist.load_data(), data["env"])
    monkeypatch.delenv("FASTNN_DATASETS")
    assert_loaded(mnist.load_data(), data["home"])
    shutil.rmtree(places["home"])
    assert_loaded(mnist.load_data(), data["system"])


def test_env_variable_may_name_the_dataset_folder_itself(isolated_env, tmp_path, monkeypatch):
    arrays = synthetic_dataset(5)
    write_dataset(tmp_path / "my-mnist", arrays)
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "my-mnist"))
    assert_loaded(mnist.load_data(), arrays)
    # The dataset's own folder under the variable still comes first.
    inner = synthetic_dataset(6)
    write_dataset(tmp_path / "my-mnist" / "mnist", inner)
    assert_loaded(mnist.load_data(), inner)


def test_home_folder_is_searched_even_when_env_folder_is_empty(isolated_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "env"))
    arrays = synthetic_dataset(7)
    write_dataset(isolated_env["cache"] / "mnist", arrays)
    assert_loaded(mnist.load_data(), arrays)


def test_searched_folder_missing_one_file_is_skipped(isolated_env, tmp_path, monkeypatch):
    partial, complete = synthetic_dataset(1), synthetic_dataset(2)
    write_dataset(tmp_path / "env" / "mnist", partial)
    (tmp_path / "env" / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "env"))
    write_dataset(isolated_env["cache"] / "mnist", complete)
    assert_loaded(mnist.load_data(), complete)


@pytest.mark.parametrize("module", [mnist, fashion_mnist])
def test_given_path_is_the_only_place_looked_at(isolated_env, tmp_path, monkeypatch, module):
    # Valid copies everywhere else: none of them may be used in place of the given path.
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "env"))
    for folder in (tmp_path / "env" / module.NAME, tmp_path / "env",
                   isolated_env["cache"] / module.NAME, isolated_env["system"] / module.NAME):
        write_dataset(folder, synthetic_dataset(9))
    partial = write_dataset(tmp_path / "partial", synthetic_dataset(1))
    (partial / "t10k-labels-idx1-ubyte.gz").unlink()
    (partial / "train-images-idx3-ubyte.gz").unlink()
    a_file = partial / "train-labels-idx1-ubyte.gz"
    cases = {
        tmp_path / "no-such-folder": "no such folder",
        a_file: "this is a file, but path must be the folder",
        partial: "lacks train-images-idx3-ubyte\\[.gz\\], t10k-labels-idx1-ubyte\\[.gz\\]$",
    }
    for given, message in cases.items():
        with pytest.raises(DatasetNotFoundError, match=message) as info:
            module.load_data(path=given)
        assert str(given) in str(info.value)
        assert f"{module.NAME.replace('-', '_')}.load_data(path=" in str(info.value)
        assert isinstance(info.value, FileNotFoundError)
    assert files_in(tmp_path / "home") == [".fastnn"]  # nothing downloaded, nothing created


def test_not_found_error_lists_folders_and_files(isolated_env, tmp_path, monkeypatch):
    env_root = tmp_path / "env"
    monkeypatch.setenv("FASTNN_DATASETS", str(env_root))
    write_dataset(env_root / "mnist", {k: v for k, v in synthetic_dataset(0).items() if "labels" in k})
    started = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as info:
        mnist.load_data()
    assert time.monotonic() - started < 5
    message = str(info.value)
    for folder in (env_root / "mnist", env_root, isolated_env["cache"] / "mnist", isolated_env["system"] / "mnist"):
        assert f"  {folder} (" in message
    assert "missing: train-images-idx3-ubyte, t10k-images-idx3-ubyte" in message
    for stem in STEMS:
        assert stem + ".gz" in message
    assert 'mnist.load_data(path="DIR")' in message
    assert "set FASTNN_DATASETS to its parent folder (the files in $FASTNN_DATASETS/mnist/)" in message
    assert "or to that folder itself" in message
    assert "Connection" in message or "refused" in message.lower()
    assert isinstance(info.value.__cause__, DownloadError)
    # The download folder was created for nothing: it is gone again, the partial one kept.
    assert files_in(env_root) == ["mnist"]
    assert files_in(env_root / "mnist") == ["t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_failed_download_removes_every_folder_it_created(isolated_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "new" / "deeper" / "root"))
    with pytest.raises(DatasetNotFoundError):
        mnist.load_data()
    assert files_in(tmp_path) == ["home"]
    monkeypatch.delenv("FASTNN_DATASETS")
    with pytest.raises(DatasetNotFoundError):
        mnist.load_data()
    assert files_in(isolated_env["home"]) == []


@pytest.mark.parametrize("module", [mnist, fashion_mnist])
@pytest.mark.parametrize("stem", ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"])
def test_labels_outside_0_to_9_are_refused(isolated_env, tmp_path, module, stem):
    arrays = synthetic_dataset(4)
    arrays[stem] = arrays[stem].copy()
    arrays[stem][2] = 10
    arrays[stem][3] = 255
    write_dataset(tmp_path / "d", arrays)
    with pytest.raises(ValueError, match=f"{stem}.gz: labels must lie in 0-9, but 2 do not "
                                         "\\(values 10, 255; the first at index 2\\)"):
        module.load_data(path=tmp_path / "d")


# ---------------------------------------------------------------- IDX reader

@pytest.mark.parametrize("dtype, code", [("u1", 0x08), ("i1", 0x09), (">i2", 0x0B),
                                         (">i4", 0x0C), (">f4", 0x0D), (">f8", 0x0E)])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_every_dtype(tmp_path, dtype, code, suffix):
    values = (np.arange(-30, 30).reshape(3, 4, 5) * 3.25).astype(dtype)
    path = write_bytes(tmp_path / ("f.idx" + suffix), idx_bytes(code, values.shape, values.tobytes()))
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, values)


def test_read_idx_one_dimension_and_gzip_detected_by_content(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-without-gz-suffix"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (5,), labels.tobytes())))
    np.testing.assert_array_equal(read_idx(path, ndim=1, dtype=np.uint8), labels)


def test_read_idx_zero_size(tmp_path):
    path = write_bytes(tmp_path / "empty.idx", idx_bytes(0x08, (0, 28, 28), b""))
    assert read_idx(path).shape == (0, 28, 28)


@pytest.mark.parametrize("dtype", ["u1", "i1", "<i2", ">i4", "float32", "<f8"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_write_idx_round_trip(tmp_path, dtype, name):
    values = np.arange(2 * 3 * 7).reshape(2, 3, 7)[:, ::-1].astype(dtype)
    write_idx(tmp_path / name, values)
    np.testing.assert_array_equal(read_idx(tmp_path / name), values)


def test_write_idx_rejects_unsupported(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="ndim=0"):
        write_idx(tmp_path / "x", np.uint8(3))


def test_write_idx_header_matches_mnist_magic(tmp_path):
    write_idx(tmp_path / "x", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "y", np.zeros(2, np.uint8))
    assert struct.unpack(">4I", (tmp_path / "x").read_bytes()[:16]) == (2051, 2, 28, 28)
    assert struct.unpack(">2I", (tmp_path / "y").read_bytes()[:8]) == (2049, 2)


GOOD_IMAGES = idx_bytes(0x08, (2, 3, 3), bytes(range(18)))

BAD_FILES = {
    "empty": (b"", "truncated IDX header"),
    "short-magic": (b"\x00\x00\x08", "truncated IDX header"),
    "short-dims": (GOOD_IMAGES[:10], "truncated IDX header"),
    "short-data": (GOOD_IMAGES[:-1], "too short.*needs 18 bytes, found 17"),
    "long-data": (GOOD_IMAGES + b"\x00", "too long"),
    "wrong-magic": (b"PK\x03\x04" + GOOD_IMAGES[4:], "not an IDX file"),
    "dtype-code": (idx_bytes(0x0A, (2, 3, 3), bytes(18)), "unknown IDX dtype code 0x0A"),
    "zero-ndim": (b"\x00\x00\x08\x00", "0 dimensions"),
    "huge-dims": (idx_bytes(0x08, (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), b"\x00"),
                  "more than the file can hold"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_rejects_bad_files(tmp_path, kind, suffix):
    data, message = BAD_FILES[kind]
    path = write_bytes(tmp_path / (kind + suffix), data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage"])
def test_read_idx_rejects_corrupt_gzip(tmp_path, damage):
    packed = bytearray(gzip.compress(idx_bytes(0x08, (50, 3, 3), bytes(range(150)) * 3)))
    if damage == "truncated":
        packed = packed[: len(packed) // 2]
    elif damage == "flipped":
        packed[-6] ^= 0xFF  # inside the CRC32/size trailer
    else:
        packed[10:] = b"\xff" * (len(packed) - 10)
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="corrupt gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_expected_magic(tmp_path):
    labels = write_bytes(tmp_path / "labels", idx_bytes(0x08, (4,), bytes(4)))
    with pytest.raises(ValueError, match="expected 3-D IDX data \\(magic 2051\\), found 1-D \\(magic 2049\\)"):
        read_idx(labels, ndim=3, dtype=np.uint8)
    floats = write_bytes(tmp_path / "floats", idx_bytes(0x0D, (4,), bytes(16)))
    with pytest.raises(ValueError, match="expected IDX dtype uint8 .*found float32"):
        read_idx(floats, ndim=1, dtype=np.uint8)


def test_loader_rejects_image_label_count_mismatch(isolated_env, tmp_path):
    arrays = synthetic_dataset(0)
    arrays["t10k-labels-idx1-ubyte"] = arrays["t10k-labels-idx1-ubyte"][:-1]
    write_dataset(tmp_path / "d", arrays)
    with pytest.raises(ValueError, match="holds 4 images but .*t10k-labels.* holds 3 labels"):
        mnist.load_data(path=tmp_path / "d")


def test_loader_rejects_labels_in_place_of_images(isolated_env, tmp_path):
    arrays = synthetic_dataset(0)
    write_dataset(tmp_path / "d", arrays)
    shutil.copy(tmp_path / "d" / "train-labels-idx1-ubyte.gz", tmp_path / "d" / "train-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: expected 3-D"):
        mnist.load_data(path=tmp_path / "d")


def test_loader_rejects_train_test_image_size_mismatch(isolated_env, tmp_path):
    arrays = synthetic_dataset(0)
    arrays["t10k-images-idx3-ubyte"] = np.zeros((4, 5, 5), np.uint8)
    write_dataset(tmp_path / "d", arrays)
    with pytest.raises(ValueError, match="training images are 4x3 .* test images are 5x5"):
        mnist.load_data(path=tmp_path / "d")


# ---------------------------------------------------------------- downloads

class MirrorServer:
    """HTTP server on 127.0.0.1 serving `routes` (path -> bytes or a behaviour name)."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.routes.get(self.path)
                if body == "hang":
                    server.release.wait(10)
                    return
                if body == "stall":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"\x1f\x8b")
                    self.wfile.flush()
                    server.release.wait(10)
                    return
                if body == "short":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"\x1f\x8b" * 10)
                    return
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
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def publish(self, prefix, files):
        for name, data in files.items():
            self.routes[f"{prefix}{name}"] = data
        return self.url + prefix

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = MirrorServer()
    yield srv
    srv.close()


@pytest.fixture
def published(server):
    """Synthetic dataset as .gz files, its SHA-256 table, and the arrays it holds."""
    arrays = synthetic_dataset(11)
    files = {stem + ".gz": gzip.compress(data, mtime=0) for stem, data in dataset_file_bytes(arrays).items()}
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return arrays, files, checksums


@pytest.fixture
def download_env(isolated_env, tmp_path, monkeypatch):
    cache_root = tmp_path / "cache"
    monkeypatch.setenv("FASTNN_DATASETS", str(cache_root))
    monkeypatch.setattr(download, "TIMEOUT_SECONDS", 2.0)
    return cache_root / "mnist"


def test_download_success_and_reuse(server, published, download_env, monkeypatch):
    arrays, files, checksums = published
    monkeypatch.setattr(mnist, "MIRRORS", [server.publish("/good/", files)])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    assert_loaded(mnist.load_data(), arrays)
    assert files_in(download_env) == sorted(files)
    for name, data in files.items():
        assert (download_env / name).read_bytes() == data
    assert len(server.requests) == 4
    assert_loaded(mnist.load_data(), arrays)
    assert len(server.requests) == 4


def test_download_falls_back_to_next_mirror_after_404(server, published, download_env, monkeypatch):
    arrays, files, checksums = published
    good = server.publish("/second/", files)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/first/", good.rstrip("/")])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    assert_loaded(mnist.load_data(), arrays)
    assert [p for p in server.requests if p.startswith("/first/")] == ["/first/" + n for n in files]
    assert files_in(download_env) == sorted(files)


def test_download_fetches_only_files_missing_from_cache(server, published, download_env, monkeypatch):
    arrays, files, checksums = published
    download_env.mkdir(parents=True)
    (download_env / "train-images-idx3-ubyte.gz").write_bytes(files["train-images-idx3-ubyte.gz"])
    monkeypatch.setattr(mnist, "MIRRORS", [server.publish("/m/", files)])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    assert_loaded(mnist.load_data(), arrays)
    assert sorted(server.requests) == sorted("/m/" + n for n in files if not n.startswith("train-images"))


def test_checksum_mismatch_leaves_nothing_behind(server, published, download_env, monkeypatch):
    _, files, checksums = published
    wrong = dict(checksums, **{"train-labels-idx1-ubyte.gz": "0" * 64})
    monkeypatch.setattr(mnist, "MIRRORS", [server.publish("/m/", files)])
    monkeypatch.setattr(mnist, "SHA256", wrong)
    with pytest.raises(DatasetNotFoundError, match="SHA-256 mismatch .*train-labels-idx1-ubyte.gz"):
        mnist.load_data()
    # The train-images file verified before the failure is kept; nothing else.
    assert files_in(download_env) == ["train-images-idx3-ubyte.gz"]

    target = Path(download_env) / "direct"
    target.mkdir()
    with pytest.raises(ChecksumMismatchError, match="expected 0{64}, got "):
        download.fetch_verified(server.url + "/m/train-labels-idx1-ubyte.gz",
                                target / "labels.gz", "0" * 64, timeout=2)
    assert files_in(target) == []


def test_checksum_mismatch_on_first_mirror_then_good_second(server, published, download_env, monkeypatch):
    arrays, files, checksums = published
    tampered = {name: data + b"x" for name, data in files.items()}
    monkeypatch.setattr(mnist, "MIRRORS", [server.publish("/evil/", tampered), server.publish("/ok/", files)])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    assert_loaded(mnist.load_data(), arrays)
    assert files_in(download_env) == sorted(files)


@pytest.mark.parametrize("behaviour", ["hang", "stall", "short"])
def test_unresponsive_or_broken_server_times_out_cleanly(server, download_env, behaviour):
    url = server.url + "/slow/file.gz"
    server.routes["/slow/file.gz"] = behaviour
    download_env.mkdir(parents=True)
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        download.download_from_mirrors("file.gz", [server.url + "/slow/"], download_env, "0" * 64,
                                       timeout=0.5, quiet=True)
    assert time.monotonic() - started < 5
    assert url in str(info.value)
    expected = "short of the announced length" if behaviour == "short" else "timed out"
    assert expected in str(info.value)
    assert files_in(download_env) == []


def test_hanging_mirror_through_load_data(server, published, download_env, monkeypatch):
    _, files, checksums = published
    server.routes["/hang/train-images-idx3-ubyte.gz"] = "hang"
    monkeypatch.setattr(download, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/hang/"])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    started = time.monotonic()
    with pytest.raises(DatasetNotFoundError, match="timed out"):
        mnist.load_data()
    assert time.monotonic() - started < 5
    assert not download_env.exists()


def test_connection_refused_raises_not_found(download_env, published, monkeypatch):
    _, _, checksums = published
    monkeypatch.setattr(mnist, "MIRRORS", [refused_url(), refused_url()])
    monkeypatch.setattr(mnist, "SHA256", checksums)
    with pytest.raises(DatasetNotFoundError, match="ConnectionRefusedError") as info:
        mnist.load_data()
    assert str(info.value).count("ConnectionRefusedError") == 2
    assert not download_env.exists()


def test_interrupted_download_leaves_no_temporary_file(server, published, tmp_path, monkeypatch):
    _, files, checksums = published
    base = server.publish("/m/", files)

    def interrupted(url, out, timeout, algorithm, max_bytes):
        out.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_copy_response", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download.fetch_verified(base + "t10k-labels-idx1-ubyte.gz", tmp_path / "x.gz",
                                checksums["t10k-labels-idx1-ubyte.gz"], timeout=2)
    assert files_in(tmp_path) == []


def test_only_http_and_https_urls_are_fetched(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"data")
    with pytest.raises(ValueError, match="only http and https"):
        download.fetch_verified(secret.as_uri(), tmp_path / "copy", hashlib.sha256(b"data").hexdigest())
    assert not (tmp_path / "copy").exists()


def test_empty_mirror_list_is_an_error(tmp_path):
    with pytest.raises(DownloadError, match="no download mirrors"):
        download.download_from_mirrors("f.gz", [], tmp_path, "0" * 64)


def test_checksum_tables_cover_the_four_files():
    for module in (mnist, fashion_mnist):
        assert sorted(module.SHA256) == sorted(stem + ".gz" for stem in STEMS)
        assert all(len(v) == 64 and int(v, 16) >= 0 for v in module.SHA256.values())
        assert all(url.startswith(("http://", "https://")) for url in module.MIRRORS)


def test_official_checksums_match_the_shared_files_that_are_original(mnist_dir):
    for name in ("train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert hashlib.sha256((mnist_dir / name).read_bytes()).hexdigest() == mnist.SHA256[name]
