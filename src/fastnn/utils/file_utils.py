"""``get_file``: a file from a URL, kept in a local cache, as Keras's ``keras.utils.get_file``."""
import http.client
import os
import sys
import tempfile
import urllib.parse
from pathlib import Path

from ..datasets import download
from ..datasets.download import DownloadError
from ..datasets.locations import fastnn_home
from .archives import archive_formats, extract_archive


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Path (a str) of the file at ``origin``, downloaded into the cache unless already there.

    The cache folder is ``cache_dir/cache_subdir``; ``cache_dir`` defaults to
    ``$FASTNN_HOME``, else ``~/.fastnn`` (or ``<tmp>/.fastnn`` when that cannot be
    written), so files land in ``~/.fastnn/datasets/`` by default; an absolute
    ``cache_subdir`` is used as it is. ``fname`` (default: the URL's last path
    component) is the file's name there, as in Keras.

    A cached file is used as it is, unless ``force_download``, or a ``file_hash``
    is given (SHA-256 or MD5 hex digest; ``hash_algorithm`` "auto" tells them
    apart by length) and the file does not match it: then it is downloaded
    again. A download is written to a temporary file and renamed into place only
    once complete and matching ``file_hash``. When it fails (offline, HTTP error,
    wrong digest) DownloadError says which file to put where to do without it.

    ``extract=True`` (or ``untar=True``, meaning ``archive_format="tar"``)
    unpacks the tar (plain, gz, bz2, xz) or zip archive and returns the folder
    instead, named as Keras names it: for ``fname="data.tar.gz"`` the archive is
    ``data.tar.gz`` and the folder ``data_extracted``; for ``fname="data"`` (or no
    fname, from the URL) the folder is ``data`` and the archive ``data_archive``.
    Unlike Keras, an existing folder is reused unless the archive was just
    downloaded, and members that would land outside the folder (absolute paths,
    ``..``, links pointing out, device files) make it refuse the whole archive.
    ``md5_hash`` is the deprecated spelling of ``file_hash`` with "md5".
    """
    if origin is None:
        raise ValueError('get_file: specify the "origin" argument (the URL of the file to download)')
    origin = os.fspath(origin)
    if urllib.parse.urlsplit(origin).scheme not in ("http", "https"):
        raise ValueError(f"get_file: only http and https origins are supported. Received: origin={origin!r}")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        try:
            download.hash_algorithm(file_hash, hash_algorithm)
        except ValueError as exc:
            raise ValueError(f"get_file: file_hash={file_hash!r}, hash_algorithm={hash_algorithm!r}: {exc}") from None
    if extract or untar:
        formats = archive_formats("tar" if untar else archive_format)
        if not formats:
            raise ValueError(f"get_file: extract=True with archive_format={archive_format!r} would extract nothing")

    folder = _cache_folder(cache_dir, cache_subdir)
    name = _file_name(fname, origin)
    if extract or untar:
        if fname and "." in name:
            archive = folder / name
            unpacked = folder / f"{name[:name.find('.')]}_extracted"
        else:
            archive = folder / f"{name}_archive"
            unpacked = folder / name
    else:
        archive, unpacked = folder / name, None

    downloaded = False
    if force_download or not archive.exists():
        _download(origin, archive, file_hash, hash_algorithm, stale=False)
        downloaded = True
    elif file_hash is not None and not _matches(archive, file_hash, hash_algorithm):
        print(f"A local file was found at {archive}, but its {hash_algorithm} hash does not match the "
              f"expected {file_hash}, so it will be downloaded again.", file=sys.stderr)
        _download(origin, archive, file_hash, hash_algorithm, stale=True)
        downloaded = True

    if unpacked is None:
        return str(archive)
    if downloaded or not unpacked.is_dir():
        extract_archive(archive, unpacked, formats)
    return str(unpacked)


def _cache_folder(cache_dir, cache_subdir):
    if cache_dir is None:
        base = fastnn_home()
        if not _can_write(base):
            base = Path(tempfile.gettempdir()) / ".fastnn"
    else:
        base = Path(os.fspath(cache_dir)).expanduser()
    return base / os.fspath(cache_subdir)


def _can_write(folder):
    """Whether ``folder`` exists and is writable, or could be created."""
    folder = Path(folder).absolute()
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _file_name(fname, origin):
    if fname is not None:
        fname = os.fspath(fname)
    if not fname:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(f"get_file: cannot tell the file's name from origin={origin!r}; pass fname")
        return name
    if os.sep in fname or "/" in fname or fname in (".", ".."):
        raise ValueError("get_file: fname must be a file name, not a path; to choose the folder, use cache_dir "
                         f"(and cache_subdir). Received: fname={fname!r}")
    return fname


def _matches(path, file_hash, hash_algorithm):
    algorithm, _ = download.hash_algorithm(file_hash, hash_algorithm)
    return download.file_digest(path, algorithm) == file_hash.lower()


def _download(origin, target, file_hash, hash_algorithm, stale):
    print(f"Downloading data from {origin}", file=sys.stderr)
    try:
        download.fetch_verified(origin, target, file_hash, algorithm=hash_algorithm, max_bytes=None)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        lines = [f"get_file: could not download {target.name} from {origin}: {download.describe_failure(exc)}",
                 f"To work without the download, put the file in the folder {target.parent} "
                 f"under the name {target.name}"]
        if stale:
            lines[-1] += " (the one there does not match file_hash)"
        if file_hash is not None:
            lines.append(f"(its hash must be {file_hash})")
        raise DownloadError("\n".join(lines)) from exc
