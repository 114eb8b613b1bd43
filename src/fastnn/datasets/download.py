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
    """A downloaded file's SHA-256 differs from the expected one."""


def download_from_mirrors(filename, mirrors, folder, sha256, *, timeout=None, quiet=False):
    """Fetch ``filename`` from the first mirror (base URL) that delivers it intact.

    The file lands at ``folder/filename`` only once its SHA-256 equals
    ``sha256``. Raises DownloadError listing each mirror's failure.
    """
    if not mirrors:
        raise DownloadError(f"no download mirrors configured for {filename}")
    failures = []
    for base in mirrors:
        url = urllib.parse.urljoin(base if base.endswith("/") else base + "/", filename)
        if not quiet:
            print(f"Downloading {url}", file=sys.stderr)
        try:
            return fetch_verified(url, os.path.join(folder, filename), sha256, timeout=timeout)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append(f"  {url}: {_describe(exc)}")
    raise DownloadError(f"could not download {filename}:\n" + "\n".join(failures))


def fetch_verified(url, destination, sha256, *, timeout=None):
    """Download ``url`` to ``destination`` if its SHA-256 is ``sha256``; return the path.

    Data goes to a temporary file beside ``destination``, renamed into place
    only after the checksum matched; on any failure nothing is left behind.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"only http and https downloads are supported. Received: {url}")
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    folder = os.path.dirname(os.path.abspath(destination))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix="." + os.path.basename(destination) + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            digest = _copy_response(url, out, timeout)
        if digest != sha256.lower():
            raise ChecksumMismatchError(
                f"SHA-256 mismatch for {url}: expected {sha256.lower()}, got {digest}")
        os.replace(temporary, destination)
    except BaseException:
        _remove_quietly(temporary)
        raise
    return destination


def _copy_response(url, out, timeout):
    request = urllib.request.Request(url, headers={"User-Agent": "fastnn-datasets"})
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_BYTES:
                raise OSError(f"{url} sent more than {MAX_BYTES} bytes")
            digest.update(chunk)
            out.write(chunk)
        if response.length:
            raise OSError(f"connection closed after {received} bytes, "
                          f"{response.length} bytes short of the announced length")
    return digest.hexdigest()


def _describe(exc):
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
