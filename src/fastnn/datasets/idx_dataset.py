"""Datasets stored as four IDX files: training and test images and labels."""
import os
from pathlib import Path

import numpy as np

from .download import DownloadError, download_from_mirrors
from .idx import read_idx
from .locations import DatasetNotFoundError, cache_dir, how_to_use_local_files, search_dirs

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILE_STEMS = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def load_idx_dataset(name, path, mirrors, checksums, *, num_classes=10, timeout=None):
    """Return ``((x_train, y_train), (x_test, y_test))`` for the dataset ``name``.

    A given ``path`` must be a folder holding the four files; nothing else is
    tried. Without one, the first folder of ``search_dirs(name)`` holding all
    four files wins; otherwise the missing ``.gz`` files are downloaded from
    ``mirrors`` into ``cache_dir(name)`` and checked against ``checksums``
    (filename -> SHA-256). Labels must lie in ``[0, num_classes)``.
    """
    if path is not None:
        return read_four_files(_files_in_given_folder(name, path), num_classes)
    folders = search_dirs(name)
    for folder in folders:
        found, _ = locate_files(folder)
        if len(found) == len(FILE_STEMS):
            return read_four_files(found, num_classes)
    return read_four_files(_download_missing(name, mirrors, checksums, timeout, folders), num_classes)


def _files_in_given_folder(name, path):
    folder = Path(os.fspath(path)).expanduser()
    needed = ", ".join(FILE_STEMS)
    name = _module_name(name)
    if not folder.exists():
        raise DatasetNotFoundError(
            f"{name}.load_data(path={str(folder)!r}): no such folder; "
            f"it should hold the files {needed} (gzipped or not)")
    if not folder.is_dir():
        raise DatasetNotFoundError(
            f"{name}.load_data(path={str(folder)!r}): this is a file, but path must be "
            f"the folder holding {needed} (gzipped or not)")
    found, missing = locate_files(folder)
    if missing:
        raise DatasetNotFoundError(
            f"{name}.load_data(path={str(folder)!r}): the folder lacks "
            f"{', '.join(stem + '[.gz]' for stem in missing)}")
    return found


def locate_files(folder):
    """Map each of the four file stems present in ``folder`` to its path; list the missing."""
    folder = Path(folder)
    found, missing = {}, []
    for stem in FILE_STEMS:
        for candidate in (folder / stem, folder / (stem + ".gz")):
            if candidate.is_file():
                found[stem] = candidate
                break
        else:
            missing.append(stem)
    return found, missing


def read_four_files(files, num_classes=10):
    """Read and cross-check the four IDX files given as a stem -> path mapping."""
    x_train = read_idx(files[TRAIN_IMAGES], ndim=3, dtype=np.uint8)
    y_train = read_idx(files[TRAIN_LABELS], ndim=1, dtype=np.uint8)
    x_test = read_idx(files[TEST_IMAGES], ndim=3, dtype=np.uint8)
    y_test = read_idx(files[TEST_LABELS], ndim=1, dtype=np.uint8)
    _check_counts(files[TRAIN_IMAGES], x_train, files[TRAIN_LABELS], y_train)
    _check_counts(files[TEST_IMAGES], x_test, files[TEST_LABELS], y_test)
    _check_labels(files[TRAIN_LABELS], y_train, num_classes)
    _check_labels(files[TEST_LABELS], y_test, num_classes)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"training images are {x_train.shape[1]}x{x_train.shape[2]} "
            f"({files[TRAIN_IMAGES]}) but test images are "
            f"{x_test.shape[1]}x{x_test.shape[2]} ({files[TEST_IMAGES]})")
    return (x_train, y_train), (x_test, y_test)


def _check_counts(images_path, images, labels_path, labels):
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but "
                         f"{labels_path} holds {len(labels)} labels")


def _check_labels(path, labels, num_classes):
    bad = labels >= num_classes
    if bad.any():
        first = int(np.argmax(bad))
        values = ", ".join(str(v) for v in np.unique(labels[bad])[:5].tolist())
        raise ValueError(
            f"{path}: labels must lie in 0-{num_classes - 1}, but {int(bad.sum())} do not "
            f"(values {values}; the first at index {first})")


def _download_missing(name, mirrors, checksums, timeout, searched):
    target = cache_dir(name)
    found, missing = locate_files(target)
    for stem in missing:
        filename = stem + ".gz"
        try:
            found[stem] = Path(download_from_mirrors(
                filename, mirrors, target, checksums[filename], timeout=timeout))
        except DownloadError as exc:
            raise DatasetNotFoundError(_not_found_message(name, searched, exc)) from exc
    return found


def _not_found_message(name, searched, failure):
    lines = [f"The {name} dataset was not found on disk and could not be downloaded.",
             "Folders searched, in order:"]
    for folder in searched:
        if not folder.is_dir():
            lines.append(f"  {folder} (does not exist)")
        else:
            _, missing = locate_files(folder)
            lines.append(f"  {folder} (missing: {', '.join(missing)})")
    lines.append(f"Download failed: {failure}")
    lines += how_to_use_local_files(name, [stem + ".gz" for stem in FILE_STEMS],
                                    f"{_module_name(name)}.load_data(path=\"DIR\")")
    lines.append("(the files may be gzipped or not)")
    return "\n".join(lines)


def _module_name(name):
    return name.replace("-", "_")
