"""Checksum-verified downloads that never leave a partial file behind."""
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

# Seconds a connect or a single read may block before the mirror is given up.
TIMEOUT_SECONDS = 30.0
# Largest download accepted; far above any IDX file of the supported datasets.
MAX_BYTES = 1 << 28
_CHUNK = 1 << 16


class DownloadError(OSError):
    """Every mirror failed to deliver a file with the expected checksum."""


class ChecksumMismatchError(OSError):
    """A downloaded file's checksum differs from the expected one."""


# Hash algorithm by length of the hexadecimal digest, as Keras publishes them:
# SHA-256 for most files, MD5 for a few older ones (the word-index JSON files).
_ALGORITHMS = {64: ("sha256", "SHA-256"), 32: ("md5", "MD5")}


def hash_algorithm(file_hash, algorithm="auto"):
    """``(hashlib name, display name)`` of a hexadecimal digest: chosen by its length for
    ``algorithm="auto"``, else ``"sha256"`` or ``"md5"``, which the digest's length must fit."""
    try:
        by_length = _ALGORITHMS[len(file_hash)]
    except (KeyError, TypeError):
        raise ValueError(f"expected a SHA-256 (64 hex digits) or MD5 (32 hex digits) digest. "
                         f"Received: {file_hash!r}") from None
    if algorithm not in ("auto", by_length[0]):
        if algorithm not in ("sha256", "md5"):
            raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5'. Received: {algorithm!r}")
        raise ValueError(f"a {algorithm} digest has {64 if algorithm == 'sha256' else 32} hex digits, "
                         f"but {file_hash!r} has {len(file_hash)}")
    return by_length


def file_digest(path, algorithm):
    """Hexadecimal digest of the file at ``path`` (``algorithm``: a hashlib name)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_from_mirrors(filename, mirrors, folder, file_hash, *, timeout=None, quiet=False):
    """Fetch ``filename`` from the first mirror (base URL) that delivers it intact.

    The file lands at ``folder/filename`` only once its SHA-256 (or MD5, for a
    32-digit ``file_hash``) equals ``file_hash``. Raises DownloadError listing
    each mirror's failure.
    """
    if not mirrors:
        raise DownloadError(f"no download mirrors configured for {filename}")
    failures = []
    for base in mirrors:
        url = urllib.parse.urljoin(base if base.endswith("/") else base + "/", filename)
        if not quiet:
            print(f"Downloading {url}", file=sys.stderr)
        try:
            return fetch_verified(url, os.path.join(folder, filename), file_hash, timeout=timeout)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append(f"  {url}: {describe_failure(exc)}")
    raise DownloadError(f"could not download {filename}:\n" + "\n".join(failures))


def fetch_verified(url, destination, file_hash, *, timeout=None, algorithm="auto", max_bytes=MAX_BYTES):
    """Download ``url`` to ``destination`` if its digest is ``file_hash``; return the path.

    ``file_hash`` is a SHA-256 (64 hex digits) or MD5 (32) digest (``algorithm``
    as for ``hash_algorithm``), or None to accept any content. Data goes to a
    temporary file beside ``destination``, renamed into place only after the
    checksum matched; on any failure nothing is left behind, not even the
    folders made for it. ``max_bytes`` (None: no limit) bounds the download.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"only http and https downloads are supported. Received: {url}")
    if file_hash is None:
        algorithm, algorithm_name, expected = "sha256", "SHA-256", None
    else:
        algorithm, algorithm_name = hash_algorithm(file_hash, algorithm)
        expected = file_hash.lower()
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    folder = os.path.dirname(os.path.abspath(destination))
    created = make_folders(folder)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix="." + os.path.basename(destination) + ".", suffix=".part")
        with os.fdopen(handle, "wb") as out:
            digest = _copy_response(url, out, timeout, algorithm, max_bytes)
        if expected is not None and digest != expected:
            raise ChecksumMismatchError(
                f"{algorithm_name} mismatch for {url}: expected {expected}, got {digest}")
        os.replace(temporary, destination)
    except BaseException:
        if temporary is not None:
            _remove_quietly(temporary)
        remove_empty_folders(created)
        raise
    return destination


def make_folders(folder):
    """Create ``folder`` and any missing parents; return those created, outermost first."""
    missing = []
    folder = os.path.abspath(folder)
    while not os.path.isdir(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    missing.reverse()
    for index, path in enumerate(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):
                remove_empty_folders(missing[:index])
                raise
        except BaseException:
            remove_empty_folders(missing[:index])
            raise
    return missing


def remove_empty_folders(created):
    """Remove the folders of ``created`` (outermost first) that are empty, innermost first."""
    for path in reversed(created):
        try:
            os.rmdir(path)
        except OSError:
            return


def _copy_response(url, out, timeout, algorithm="sha256", max_bytes=MAX_BYTES):
    request = urllib.request.Request(url, headers={"User-Agent": "fastnn-datasets"})
    digest = hashlib.new(algorithm)
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise OSError(f"{url} sent more than {max_bytes} bytes")
            digest.update(chunk)
            out.write(chunk)
        if response.length:
            raise OSError(f"connection closed after {received} bytes, "
                          f"{response.length} bytes short of the announced length")
    return digest.hexdigest()


def describe_failure(exc):
    """A download failure in a few words: "HTTP 404 Not Found", "timed out (...)"."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{type(exc.reason).__name__}: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return f"timed out ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
