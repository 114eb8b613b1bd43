"""Datasets stored as four IDX files: training and test images and labels."""
from pathlib import Path

import numpy as np

from .download import DownloadError, download_from_mirrors
from .idx import read_idx
from .locations import cache_dir, search_dirs

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILE_STEMS = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


class DatasetNotFoundError(OSError):
    """A dataset is neither on disk nor downloadable."""


def load_idx_dataset(name, path, mirrors, checksums, *, timeout=None):
    """Return ``((x_train, y_train), (x_test, y_test))`` for the dataset ``name``.

    The first folder of ``search_dirs(name, path)`` holding all four files wins;
    otherwise the missing ``.gz`` files are downloaded from ``mirrors`` into
    ``cache_dir(name)`` and checked against ``checksums`` (filename -> SHA-256).
    """
    folders = search_dirs(name, path)
    for folder in folders:
        found, _ = locate_files(folder)
        if len(found) == len(FILE_STEMS):
            return read_four_files(found)
    return read_four_files(_download_missing(name, mirrors, checksums, timeout, folders))


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


def read_four_files(files):
    """Read and cross-check the four IDX files given as a stem -> path mapping."""
    x_train = read_idx(files[TRAIN_IMAGES], ndim=3, dtype=np.uint8)
    y_train = read_idx(files[TRAIN_LABELS], ndim=1, dtype=np.uint8)
    x_test = read_idx(files[TEST_IMAGES], ndim=3, dtype=np.uint8)
    y_test = read_idx(files[TEST_LABELS], ndim=1, dtype=np.uint8)
    _check_counts(files[TRAIN_IMAGES], x_train, files[TRAIN_LABELS], y_train)
    _check_counts(files[TEST_IMAGES], x_test, files[TEST_LABELS], y_test)
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


def _download_missing(name, mirrors, checksums, timeout, searched):
    target = cache_dir(name)
    created = not target.exists()
    found, missing = locate_files(target)
    for stem in missing:
        filename = stem + ".gz"
        try:
            found[stem] = Path(download_from_mirrors(
                filename, mirrors, target, checksums[filename], timeout=timeout))
        except DownloadError as exc:
            if created:
                _remove_if_empty(target)
            raise DatasetNotFoundError(_not_found_message(name, searched, target, exc)) from exc
    return found


def _remove_if_empty(folder):
    try:
        folder.rmdir()
    except OSError:
        pass


def _not_found_message(name, searched, target, failure):
    lines = [f"The {name} dataset was not found on disk and could not be downloaded.",
             "Folders searched, in order:"]
    for folder in searched:
        if not folder.is_dir():
            lines.append(f"  {folder} (does not exist)")
        else:
            _, missing = locate_files(folder)
            lines.append(f"  {folder} (missing: {', '.join(missing)})")
    lines.append(f"Download failed: {failure}")
    lines.append(f"To use local copies, put these four files, gzipped (.gz) or not, "
                 f"in {target} or in a folder passed as load_data(path=...):")
    lines.extend(f"  {stem}.gz" for stem in FILE_STEMS)
    return "\n".join(lines)
