"""atomic_write: replace a file with new contents all at once, or not at all.

The contents go to a temporary file next to the target, which is then renamed over it, so a
reader (or a save interrupted at any point, even by SIGKILL) sees the old file or the new one.
A path that is a symbolic link is written through: the file it points to is replaced and the
link stays. Each temporary file is locked while its save runs; one found unlocked was left by
a save that died, and the next save to the same target removes it.
"""
import errno
import os
import re
import tempfile

from .. import distribution

try:
    import fcntl
except ImportError:  # no flock: leftovers cannot be told from saves in progress, so none are removed
    fcntl = None

_SUFFIX = ".tmp"


def atomic_write(filepath, write):
    """Calls write(file) on a temporary file (binary, readable and writable) next to filepath's
    target, then renames it to the target.

    OSErrors name filepath (and the target when filepath is a link), never the temporary file.
    When several processes train together, only process 0 writes.
    """
    if not distribution.is_chief():
        return
    filepath = os.fspath(filepath)
    target = os.path.realpath(filepath)
    try:
        _write_and_rename(target, write)
    except OSError as err:
        if err.errno is None:
            raise
        if os.path.islink(filepath):
            raise OSError(err.errno, err.strerror, filepath, None, target) from None
        raise OSError(err.errno, err.strerror, filepath) from None


def _write_and_rename(target, write):
    folder, prefix = os.path.dirname(target), _prefix(target)
    _remove_leftovers(folder, prefix)
    fd, tmp_path = _locked_temporary(folder, prefix)
    try:
        try:
            # readable too, for writers that read back what they wrote (h5py); fd stays open, and
            # locked, until renamed
            with os.fdopen(fd, "w+b", closefd=False) as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            mode = os.stat(target).st_mode & 0o777 if os.path.exists(target) else 0o644
            os.chmod(tmp_path, mode)
            if fcntl is None:  # no lock to hold, and an open file cannot be renamed on Windows
                os.close(fd)
                fd = None
            os.replace(tmp_path, target)
        except BaseException:
            try:
                os.unlink(tmp_path)
            except FileNotFoundError:
                pass
            raise
    finally:
        if fd is not None:
            os.close(fd)


def _prefix(target):
    return "." + os.path.basename(target) + ".fastnn-"


def _locked_temporary(folder, prefix):
    """(fd, path) of a new temporary file in folder that this process holds the lock on."""
    while True:
        fd, path = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=_SUFFIX)
        if fcntl is None:
            return fd, path
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.stat(path), os.fstat(fd)):
                return fd, path
        except FileNotFoundError:
            pass
        os.close(fd)  # removed as a leftover before it was locked: make another


def _remove_leftovers(folder, prefix):
    """Removes the temporary files of saves to this target that died (their lock is free)."""
    if fcntl is None:
        return
    pattern = re.compile(re.escape(prefix) + r"[A-Za-z0-9_]+" + re.escape(_SUFFIX))
    try:
        names = [name for name in os.listdir(folder) if pattern.fullmatch(name)]
    except OSError:
        return  # the save itself reports an unusable folder
    for name in names:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # renamed or removed meanwhile, or not ours to open
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.stat(path), os.fstat(fd)):
                os.unlink(path)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.ENOENT, errno.EACCES, errno.EPERM):
                raise
        finally:
            os.close(fd)
