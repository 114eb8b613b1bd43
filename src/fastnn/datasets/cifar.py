"""What CIFAR-10 and CIFAR-100 share: their authors' "python version" archives, read as Keras reads them.

Each archive (``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``) holds a
folder of Python 2 pickles, one per batch: a dict with the keys ``data`` (a
uint8 array, one row of 3072 bytes per image: the red, green then blue 32x32
planes) and the labels (``labels``, or ``fine_labels`` and ``coarse_labels``).
The batches are read straight from the archive, without unpacking it, through
the restricted unpickler of ``npz`` (builtins and NumPy arrays only, nothing
that runs code), and checked: shapes, dtype, label counts and ranges.
"""
import io
import os
import posixpath
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .keras_files import dataset_file
from .locations import DatasetNotFoundError
from .npz import unpickle_restricted

# The authors' site, where Keras downloads the archives from.
ORIGIN = "https://www.cs.toronto.edu/~kriz/"
SIDE = 32
CHANNELS = 3
PIXELS = SIDE * SIDE * CHANNELS


class Layout:
    """One dataset's archive: its name, file, digest, inner folder and batch members."""

    def __init__(self, name, filename, file_hash, folder, train_members, test_members):
        self.name = name
        self.filename = filename
        self.file_hash = file_hash
        self.folder = folder
        self.train_members = train_members
        self.test_members = test_members

    @property
    def members(self):
        return self.train_members + self.test_members


def load_batches(layout, path, caller, label_key, num_classes, timeout=None):
    """``((x_train, labels_train), (x_test, labels_test))``: images as a uint8 (N, 32, 32, 3)
    array, labels as an int64 array of N, read from the archive or folder ``path`` names."""
    source = _source(layout, path, caller, timeout)
    batches = source.read_batches(layout.members, label_key, num_classes)
    return (_stack([batches[m] for m in layout.train_members]),
            _stack([batches[m] for m in layout.test_members]))


def _stack(batches):
    count = sum(len(labels) for _, labels in batches)
    images = np.empty((count, SIDE, SIDE, CHANNELS), dtype=np.uint8)
    offset = 0
    for data, _ in batches:
        # Rows are channel planes; channels-last is what Keras returns by default.
        images[offset:offset + len(data)] = data.reshape(len(data), CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
        offset += len(data)
    labels = np.concatenate([labels for _, labels in batches]) if batches else np.zeros(0, np.int64)
    return images, labels


def _source(layout, path, caller, timeout):
    if path is None or os.fspath(path) == layout.filename:
        return _Archive(dataset_file(layout.name, layout.filename, None, layout.file_hash, caller=caller,
                                     origin=ORIGIN, timeout=timeout), layout.folder)
    given = Path(os.fspath(path)).expanduser()
    if given.is_file():
        return _Archive(given, layout.folder)
    if given.is_dir():
        if (given / layout.filename).is_file():
            return _Archive(given / layout.filename, layout.folder)
        for folder in (given / layout.folder, given):
            if (folder / layout.members[0]).is_file():
                return _Folder(folder)
        raise DatasetNotFoundError(
            f"{caller}(path={str(given)!r}): the folder holds neither {layout.filename} nor the unpacked "
            f"batches ({layout.folder}/{layout.members[0]}, ...)")
    raise DatasetNotFoundError(
        f"{caller}(path={str(given)!r}): no such file or folder; path must be {layout.filename}, a folder "
        f"holding it, or the folder {layout.folder} unpacked from it")


class _Source:
    def read_batches(self, members, label_key, num_classes):
        payloads = self._payloads(members)
        missing = [m for m in members if m not in payloads]
        if missing:
            raise ValueError(f"{self.path}: missing {', '.join(self._where_name(m) for m in missing)}; expected "
                             f"the batches {', '.join(members)}")
        return {m: _parse_batch(payloads[m], f"{self.path}, {self._where_name(m)}", label_key, num_classes)
                for m in members}

    def _where_name(self, member):
        return member


class _Archive(_Source):
    """Batches read in one pass from the tar archive at ``path``, members of its folder ``folder``."""

    def __init__(self, path, folder):
        self.path = Path(path)
        self.folder = folder

    def _where_name(self, member):
        return f"member {self.folder}/{member}"

    def _payloads(self, members):
        wanted = {f"{self.folder}/{member}": member for member in members}
        found = {}
        try:
            with tarfile.open(self.path, "r:*") as archive:
                for info in archive:
                    member = wanted.get(posixpath.normpath(info.name))
                    if member is None or member in found:
                        continue
                    if not info.isfile():
                        raise ValueError(f"{self.path}: member {info.name} is not a regular file")
                    found[member] = archive.extractfile(info).read()
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise ValueError(f"{self.path}: damaged or truncated archive ({type(exc).__name__}: {exc}); "
                             "replace it with a complete copy") from None
        except OSError as exc:
            if exc.filename is not None:
                raise
            raise ValueError(f"{self.path}: damaged or truncated archive ({exc}); "
                             "replace it with a complete copy") from None
        return found


class _Folder(_Source):
    """Batches read from a folder unpacked from the archive."""

    def __init__(self, path):
        self.path = Path(path)

    def _payloads(self, members):
        return {m: (self.path / m).read_bytes() for m in members if (self.path / m).is_file()}


def _parse_batch(payload, where, label_key, num_classes):
    batch = unpickle_restricted(io.BytesIO(payload), where, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{where}: a CIFAR batch is a pickled dict, found a {type(batch).__name__}")
    # Python 2 wrote the keys as str, which Python 3 reads as bytes.
    batch = {key.decode("utf-8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    for key in ("data", label_key):
        if key not in batch:
            raise ValueError(f"{where}: no {key!r} entry (keys: {', '.join(map(str, batch))})")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        found = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{where}: 'data' must be a uint8 array of shape (N, {PIXELS}), found a {found}")
    labels = _labels(batch[label_key], where, label_key, num_classes)
    if len(labels) != len(data):
        raise ValueError(f"{where}: {len(data)} images but {len(labels)} {label_key}")
    return data, labels


def _labels(raw, where, label_key, num_classes):
    try:
        labels = np.asarray(raw)
    except ValueError:
        labels = None
    if labels is None or labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"{where}: {label_key!r} must be a list of integers")
    labels = labels.astype(np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"{where}: {label_key} must lie in 0-{num_classes - 1}; label {first} is {labels[first]}")
    return labels
