"""Datasets that Keras ships as single files (``imdb.npz``, ``reuters_word_index.json``, ...).

``path`` follows Keras's convention: left at the file's own name it is looked
for in the dataset's folders (``search_dirs``) and downloaded from Keras's
storage, checksum-verified, when absent. Any other value is a file, or a
folder holding the file under its own name, and nothing else is tried.
"""
import os
from pathlib import Path

from .download import DownloadError, download_from_mirrors
from .locations import DatasetNotFoundError, cache_dir, how_to_use_local_files, search_dirs

# Where Keras downloads these files from.
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def dataset_file(name, filename, path, file_hash, *, caller, origin=None, timeout=None):
    """Path of the file ``filename`` of dataset ``name``, given the loader's ``path`` argument.

    ``caller`` (e.g. ``"imdb.load_data"``) names the function in error messages;
    ``file_hash`` is the SHA-256 (or MD5) Keras publishes for the file.
    """
    if path is None or os.fspath(path) == filename:
        return _search_or_download(name, filename, file_hash, caller, origin, timeout)
    return _given_file(filename, Path(os.fspath(path)).expanduser(), caller)


def _given_file(filename, given, caller):
    if given.is_dir():
        inside = given / filename
        if inside.is_file():
            return inside
        what = "is a folder but not a file" if inside.is_dir() else "does not exist"
        raise DatasetNotFoundError(
            f"{caller}(path={str(given)!r}): the folder has no {filename} ({inside} {what})")
    if given.is_file():
        return given
    raise DatasetNotFoundError(
        f"{caller}(path={str(given)!r}): no such file or folder; path must be Keras's "
        f"{filename} or a folder holding it")


def _search_or_download(name, filename, file_hash, caller, origin, timeout):
    folders = search_dirs(name)
    for folder in folders:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    target = cache_dir(name)
    try:
        return Path(download_from_mirrors(filename, [origin or KERAS_ORIGIN], target,
                                          file_hash, timeout=timeout))
    except DownloadError as exc:
        raise DatasetNotFoundError(_not_found_message(name, filename, folders, caller, exc)) from exc


def _not_found_message(name, filename, folders, caller, failure):
    lines = [f"{filename} of the {name} dataset was not found on disk and could not be "
             "downloaded.", "Folders searched, in order:"]
    lines += [f"  {folder} ({'no ' + filename if folder.is_dir() else 'does not exist'})"
              for folder in folders]
    lines.append(f"Download failed: {failure}")
    lines += how_to_use_local_files(name, [filename], f"{caller}(path=\"DIR\")")
    return "\n".join(lines)
