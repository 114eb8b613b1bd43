"""A member stored uncompressed in a zip archive, read in place: a read-only, seekable file
object over its bytes in the archive file, so that h5py can open a `.keras` file's weights
without a copy of them in memory."""
import io
import struct
import zipfile

LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and the extra field's lengths
LOCAL_SIGNATURE = b"PK\x03\x04"


class StoredMember(io.RawIOBase):
    """The bytes of `info` (a ZIP_STORED member) inside the open binary file `file`."""

    def __init__(self, file, info, where):
        super().__init__()
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"{where}: {info.filename} is compressed; only stored members are read in place")
        file.seek(info.header_offset)
        header = file.read(LOCAL_HEADER.size)
        if len(header) != LOCAL_HEADER.size or header[:4] != LOCAL_SIGNATURE:
            raise ValueError(f"{where}: the local header of {info.filename} is damaged")
        name_length, extra_length = LOCAL_HEADER.unpack(header)[1:]
        self._file, self._size, self._position = file, info.file_size, 0
        self._start = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
        file.seek(0, io.SEEK_END)
        if file.tell() < self._start + self._size:
            raise ValueError(f"{where}: {info.filename} is truncated: the archive ends before its "
                             f"{self._size} bytes do")

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer):
        wanted = min(len(buffer), max(0, self._size - self._position))
        if wanted == 0:
            return 0
        self._file.seek(self._start + self._position)
        got = self._file.readinto(memoryview(buffer)[:wanted])
        self._position += got
        return got
