"""Unpacking tar and zip archives without letting a member land outside the destination.

Every member is checked before it is written: absolute names, names that climb
out with ``..``, links (symbolic or hard) pointing outside, and device or FIFO
files are refused, naming the archive and the member. Where the tarfile module
has extraction filters (Python 3.12, 3.11.4+, 3.10.12+), its ``data`` filter
checks each member again against the files already extracted, which catches a
path that climbs out through a link extracted before it; without filters,
archives holding links are refused outright. The archive is unpacked into a
temporary folder beside the destination, which takes the destination's place
only once every member is out: an interrupted or refused extraction leaves
nothing behind.
"""
import os
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
import zlib

ARCHIVE_FORMATS = ("tar", "zip")


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the destination folder, or is a device file."""


def archive_formats(archive_format):
    """The formats to try, in order, for Keras's ``archive_format`` ("auto", "tar", "zip", a list)."""
    if archive_format == "auto":
        return list(ARCHIVE_FORMATS)
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format or [])
    unknown = [name for name in formats if name not in ARCHIVE_FORMATS]
    if unknown:
        raise ValueError(f"archive_format must be 'auto', 'tar', 'zip' or a list of those. "
                         f"Received: archive_format={archive_format!r}")
    return formats


def extract_archive(file_path, destination, archive_format="auto"):
    """Unpack the archive ``file_path`` so that the folder ``destination`` holds exactly its members.

    Returns the format found ("tar", covering .tar, .tar.gz, .tar.bz2 and .tar.xz, or "zip").
    Raises UnsafeArchiveError for a member escaping ``destination`` and ValueError for a
    file that is none of the formats tried, or a damaged archive; an existing
    ``destination`` is replaced only after a complete extraction.
    """
    file_path = os.fspath(file_path)
    destination = os.path.abspath(os.fspath(destination))
    formats = archive_formats(archive_format)
    for name in formats:
        if (tarfile.is_tarfile if name == "tar" else zipfile.is_zipfile)(file_path):
            break
    else:
        raise ValueError(f"{file_path} is not a {' or '.join(formats) or 'known'} archive, so it cannot be extracted")
    if os.path.lexists(destination) and not os.path.isdir(destination):
        raise FileExistsError(f"cannot extract {file_path}: {destination} exists and is not a folder")
    parent = os.path.dirname(destination)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(destination) + ".", suffix=".part")
    try:
        (_extract_tar if name == "tar" else _extract_zip)(file_path, staging)
        _put_in_place(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return name


def _refuse(file_path, member, reason):
    raise UnsafeArchiveError(f"{file_path}: refused to extract member {member!r}: {reason}; "
                             "nothing was extracted")


def _check_name(file_path, name):
    """Refuse a member name that is absolute or climbs out of the destination."""
    if name.startswith(("/", "\\")) or posixpath.isabs(name) or os.path.isabs(name) or \
            (len(name) > 1 and name[0].isalpha() and name[1] == ":"):
        _refuse(file_path, name, "its path is absolute")
    if _climbs_out(name):
        _refuse(file_path, name, "its path leads outside the destination folder")


def _climbs_out(relative):
    normal = posixpath.normpath(relative.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def _check_tar_member(file_path, member):
    _check_name(file_path, member.name)
    if member.issym():
        target = member.linkname
        if posixpath.isabs(target) or _climbs_out(posixpath.join(posixpath.dirname(member.name), target)):
            _refuse(file_path, member.name, f"it is a symbolic link to {target!r}, outside the destination folder")
    elif member.islnk():
        if posixpath.isabs(member.linkname) or _climbs_out(member.linkname):
            _refuse(file_path, member.name, f"it is a hard link to {member.linkname!r}, outside the destination folder")
    elif not (member.isfile() or member.isdir()):
        _refuse(file_path, member.name, "it is a device file or FIFO, not a file, folder or link")


def _extract_tar(file_path, staging):
    filters = hasattr(tarfile, "data_filter")

    def checked(member, path):
        _check_tar_member(file_path, member)
        if not filters and (member.issym() or member.islnk()):
            _refuse(file_path, member.name, "this Python's tarfile module has no extraction filters to check "
                                            "where links lead")
        try:
            return tarfile.data_filter(member, path) if filters else member
        except tarfile.FilterError as exc:
            _refuse(file_path, member.name, str(exc))

    try:
        with tarfile.open(file_path) as archive:
            if filters:
                archive.extractall(staging, filter=checked)
            else:
                for member in archive:
                    archive.extract(checked(member, staging), staging)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ValueError(f"{file_path}: damaged or truncated tar archive ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        if exc.filename is None:  # a decompressor's complaint (gzip.BadGzipFile, lzma), not a disk error
            raise ValueError(f"{file_path}: damaged or truncated tar archive ({exc})") from None
        raise


def _extract_zip(file_path, staging):
    try:
        with zipfile.ZipFile(file_path) as archive:
            for info in archive.infolist():
                _check_name(file_path, info.filename)
            archive.extractall(staging)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{file_path}: damaged or truncated zip archive ({exc})") from None


def _put_in_place(staging, destination):
    try:
        os.rename(staging, destination)
        return
    except OSError:
        if not os.path.lexists(destination):
            raise
    # Replace the earlier extraction: move it aside, move the new one in, then delete the old one.
    parent = os.path.dirname(destination)
    retired = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(destination) + ".", suffix=".old")
    os.rmdir(retired)
    os.rename(destination, retired)
    os.rename(staging, destination)
    if os.path.islink(retired):
        os.remove(retired)
    else:
        shutil.rmtree(retired, ignore_errors=True)
