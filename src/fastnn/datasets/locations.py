"""Where datasets are looked for on disk, in order, and where downloads go."""
import os
from pathlib import Path

ENV_VAR = "FASTNN_DATASETS"
# Debian's dataset-* packages install here, e.g. /usr/share/datasets/fashion-mnist/.
SYSTEM_DIR = "/usr/share/datasets"


def cache_dir(name):
    """Download folder: ``$FASTNN_DATASETS/<name>`` if set, else ``~/.fastnn/datasets/<name>``."""
    root = os.environ.get(ENV_VAR)
    if root:
        return Path(root).expanduser() / name
    return Path.home() / ".fastnn" / "datasets" / name


def search_dirs(name, path=None):
    """Folders searched for ``name``'s files, highest priority first."""
    folders = []
    if path is not None:
        folders.append(Path(os.fspath(path)).expanduser())
    root = os.environ.get(ENV_VAR)
    if root:
        folders.append(Path(root).expanduser() / name)
    folders.append(Path.home() / ".fastnn" / "datasets" / name)
    folders.append(Path(SYSTEM_DIR) / name)
    unique = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique
