"""Where datasets are looked for on disk, in order, and where downloads go.

``$FASTNN_DATASETS`` names the parent folder of the datasets' folders
(``$FASTNN_DATASETS/mnist/``, ``$FASTNN_DATASETS/imdb/``); a folder holding
one dataset's files directly is accepted too.
"""
import os
from pathlib import Path

ENV_VAR = "FASTNN_DATASETS"
# fastnn's own folder (Keras's KERAS_HOME): $FASTNN_HOME when set, else ~/.fastnn.
HOME_ENV_VAR = "FASTNN_HOME"
# Debian's dataset-* packages install here, e.g. /usr/share/datasets/fashion-mnist/.
SYSTEM_DIR = "/usr/share/datasets"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not where it was asked for, or neither on disk nor downloadable."""


def fastnn_home():
    """``$FASTNN_HOME`` when set, else ``~/.fastnn``: the root of fastnn's caches."""
    root = os.environ.get(HOME_ENV_VAR)
    return Path(root).expanduser() if root else Path.home() / ".fastnn"


def home_dir():
    """``~/.fastnn/datasets`` (``$FASTNN_HOME/datasets``): the download cache when
    ``$FASTNN_DATASETS`` is not set."""
    return fastnn_home() / "datasets"


def cache_dir(name):
    """Download folder: ``$FASTNN_DATASETS/<name>`` if set, else ``~/.fastnn/datasets/<name>``."""
    root = os.environ.get(ENV_VAR)
    if root:
        return Path(root).expanduser() / name
    return home_dir() / name


def search_dirs(name):
    """Folders searched for ``name``'s files when no path is given, highest priority first."""
    folders = []
    root = os.environ.get(ENV_VAR)
    if root:
        root = Path(root).expanduser()
        folders += [root / name, root]
    folders.append(home_dir() / name)
    folders.append(Path(SYSTEM_DIR) / name)
    unique = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def how_to_use_local_files(name, files, example_call):
    """Lines telling a user how to point fastnn at their own copy of ``files``."""
    return [
        f"To use local copies of {', '.join(files)}, either",
        f"  pass the folder holding them: {example_call}, or",
        f"  set {ENV_VAR} to its parent folder (the files in ${ENV_VAR}/{name}/)"
        " or to that folder itself.",
    ]
