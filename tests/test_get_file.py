"""fastnn.utils.get_file: the cache, downloads from a local HTTP server on 127.0.0.1, hashes,
offline messages and safe extraction of tar and zip archives."""
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from fastnn.datasets import DownloadError, download
from fastnn.utils import archives, get_file
from fastnn.utils.archives import UnsafeArchiveError, extract_archive


class Origin:
    """A local HTTP server: ``files`` maps a URL path to its body; "/cut/..." paths announce more
    bytes than they send."""

    def __init__(self, files):
        self.files = files
        self.requests = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                origin.requests.append(self.path)
                body = origin.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                announced = len(body) * 2 if self.path.startswith("/cut/") else len(body)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def env(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FASTNN_HOME", raising=False)
    monkeypatch.setattr(download, "TIMEOUT_SECONDS", 5.0)
    return tmp_path


@pytest.fixture
def origin(env):
    servers = []

    def serve(files):
        servers.append(Origin(files))
        return servers[-1]

    yield serve
    for server in servers:
        server.close()


def refused_url(path="/f.txt"):
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def files_under(folder):
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tar_bytes(entries, mode="w:gz"):
    """A tar archive of (name, bytes) regular files and TarInfo objects (links, FIFOs)."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode=mode) as archive:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return stream.getvalue()


def zip_bytes(entries):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return stream.getvalue()


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


# ---------------------------------------------------------------- the cache and downloads

def test_download_then_cache(origin, env):
    server = origin({"/files/a.txt": b"alpha"})
    path = get_file("a.txt", origin=server.url + "/files/a.txt", cache_dir=env / "cache")
    assert path == str(env / "cache" / "datasets" / "a.txt") and Path(path).read_bytes() == b"alpha"
    assert get_file("a.txt", origin=server.url + "/files/a.txt", cache_dir=env / "cache") == path
    assert server.requests == ["/files/a.txt"]
    assert files_under(env / "cache") == ["datasets", "datasets/a.txt"]


def test_default_cache_is_fastnn_home_or_dot_fastnn(origin, env, monkeypatch):
    server = origin({"/a.txt": b"alpha"})
    path = get_file(origin=server.url + "/a.txt")  # the name comes from the URL
    assert path == str(env / "home" / ".fastnn" / "datasets" / "a.txt")
    monkeypatch.setenv("FASTNN_HOME", str(env / "elsewhere"))
    assert get_file("b.txt", server.url + "/a.txt", cache_subdir="texts") == str(env / "elsewhere" / "texts" / "b.txt")
    absolute = env / "absolute"
    assert get_file("c.txt", server.url + "/a.txt", cache_subdir=str(absolute)) == str(absolute / "c.txt")


def test_unusable_default_home_falls_back_to_the_temporary_folder(origin, env, monkeypatch):
    server = origin({"/a.txt": b"alpha"})
    (env / "plain_file").write_text("HOME cannot hold folders under a file, even for root")
    monkeypatch.setenv("HOME", str(env / "plain_file" / "home"))
    (env / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(env / "tmp"))
    assert get_file("a.txt", server.url + "/a.txt") == str(env / "tmp" / ".fastnn" / "datasets" / "a.txt")
    with pytest.raises(DownloadError):  # an explicit cache_dir is honoured, never replaced
        get_file("a.txt", server.url + "/a.txt", cache_dir=env / "plain_file" / "cache")


def test_hashes_are_checked(origin, env):
    data = b"payload"
    server = origin({"/p.bin": data, "/q.bin": data})
    get_file("p.bin", server.url + "/p.bin", file_hash=sha256(data), cache_dir=env)
    get_file("q.bin", server.url + "/q.bin", md5_hash=hashlib.md5(data).hexdigest(), cache_dir=env)
    get_file("r.bin", server.url + "/q.bin", file_hash=sha256(data).upper(), hash_algorithm="sha256", cache_dir=env)
    with pytest.raises(DownloadError, match="SHA-256 mismatch") as info:
        get_file("s.bin", server.url + "/p.bin", file_hash="0" * 64, cache_dir=env)
    message = str(info.value)
    assert "could not download s.bin" in message and f"the folder {env / 'datasets'}" in message
    assert "0" * 64 in message
    assert files_under(env / "datasets") == ["p.bin", "q.bin", "r.bin"]


@pytest.mark.parametrize("kwargs, match", [
    ({"file_hash": "abc"}, "SHA-256 \\(64 hex digits\\) or MD5"),
    ({"file_hash": "0" * 64, "hash_algorithm": "md5"}, "a md5 digest has 32 hex digits"),
    ({"file_hash": "0" * 32, "hash_algorithm": "sha1"}, "hash_algorithm must be"),
])
def test_bad_hash_arguments_fail_before_any_download(origin, env, kwargs, match):
    server = origin({"/a": b"x"})
    with pytest.raises(ValueError, match=match):
        get_file("a", server.url + "/a", cache_dir=env, **kwargs)
    assert server.requests == []


def test_cached_file_with_wrong_hash_is_downloaded_again(origin, env, capsys):
    data = b"fresh"
    server = origin({"/f": data})
    (env / "datasets").mkdir()
    (env / "datasets" / "f").write_bytes(b"stale")
    assert Path(get_file("f", server.url + "/f", cache_dir=env, file_hash=sha256(data))).read_bytes() == data
    assert "does not match" in capsys.readouterr().err
    assert server.requests == ["/f"]
    (env / "datasets" / "f").write_bytes(b"edited")
    get_file("f", server.url + "/f", cache_dir=env)  # no hash: the cached file is used as it is
    assert (env / "datasets" / "f").read_bytes() == b"edited" and len(server.requests) == 1
    get_file("f", server.url + "/f", cache_dir=env, force_download=True)
    assert (env / "datasets" / "f").read_bytes() == data and len(server.requests) == 2


def test_offline_names_the_file_and_the_folder(env):
    url = refused_url("/data/nietzsche.txt")
    with pytest.raises(DownloadError) as info:
        get_file("nietzsche.txt", origin=url)
    folder = env / "home" / ".fastnn" / "datasets"
    message = str(info.value)
    assert f"could not download nietzsche.txt from {url}" in message
    assert f"put the file in the folder {folder} under the name nietzsche.txt" in message
    assert files_under(env / "home") == []  # nothing created, not even the folders
    folder.mkdir(parents=True)
    (folder / "nietzsche.txt").write_text("the text")
    assert get_file("nietzsche.txt", origin=url) == str(folder / "nietzsche.txt")


def test_offline_with_a_stale_cached_file_keeps_it_and_says_so(env):
    (env / "datasets").mkdir()
    (env / "datasets" / "f").write_bytes(b"stale")
    with pytest.raises(DownloadError, match="does not match file_hash"):
        get_file("f", refused_url(), cache_dir=env, file_hash="1" * 64)
    assert (env / "datasets" / "f").read_bytes() == b"stale"


def test_http_errors_and_short_bodies_leave_nothing(origin, env):
    server = origin({"/cut/big": b"x" * 1000})
    with pytest.raises(DownloadError, match="HTTP 404"):
        get_file("missing", server.url + "/missing", cache_dir=env)
    with pytest.raises(DownloadError, match="bytes short of the announced length"):
        get_file("big", server.url + "/cut/big", cache_dir=env)
    assert files_under(env) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"fname": "a"}, 'specify the "origin" argument'),
    ({"fname": "a", "origin": "ftp://host/a"}, "only http and https"),
    ({"fname": "a", "origin": "file:///etc/passwd"}, "only http and https"),
    ({"origin": "http://127.0.0.1:9/"}, "cannot tell the file's name"),
    ({"fname": "sub/a", "origin": "http://127.0.0.1:9/a"}, "not a path"),
    ({"fname": "..", "origin": "http://127.0.0.1:9/a"}, "not a path"),
    ({"fname": "a", "origin": "http://127.0.0.1:9/a", "extract": True, "archive_format": None}, "extract nothing"),
    ({"fname": "a", "origin": "http://127.0.0.1:9/a", "extract": True, "archive_format": "rar"}, "archive_format"),
])
def test_bad_arguments(env, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(cache_dir=env, **kwargs)


# ---------------------------------------------------------------- extraction

def test_extract_names_as_keras(origin, env):
    archive = tar_bytes([("data/a.txt", b"A"), ("data/sub/b.txt", b"B")])
    server = origin({"/pkg/data.tar.gz": archive})
    url = server.url + "/pkg/data.tar.gz"
    with_dot = get_file("data.tar.gz", url, extract=True, cache_dir=env)
    assert with_dot == str(env / "datasets" / "data_extracted")
    assert (Path(with_dot) / "data" / "sub" / "b.txt").read_bytes() == b"B"
    without_dot = get_file("jena", url, extract=True, cache_dir=env)
    assert without_dot == str(env / "datasets" / "jena")
    assert (env / "datasets" / "jena_archive").read_bytes() == archive
    from_url = get_file(origin=url, untar=True, cache_dir=env / "other")
    assert from_url == str(env / "other" / "datasets" / "data.tar.gz") and Path(from_url).is_dir()
    assert (env / "other" / "datasets" / "data.tar.gz_archive").is_file()
    assert not [p for p in files_under(env) if Path(p).name.startswith(".")]


def test_extracted_folder_is_reused_until_the_archive_is_downloaded_again(origin, env):
    server = origin({"/z.zip": zip_bytes([("z/one.txt", b"1")])})
    folder = Path(get_file("z", server.url + "/z.zip", extract=True, archive_format="zip", cache_dir=env))
    assert (folder / "z" / "one.txt").read_bytes() == b"1"
    (folder / "mine.txt").write_text("kept")
    get_file("z", server.url + "/z.zip", extract=True, cache_dir=env)
    assert (folder / "mine.txt").exists() and len(server.requests) == 1
    server.files["/z.zip"] = zip_bytes([("z/two.txt", b"2")])
    get_file("z", server.url + "/z.zip", extract=True, cache_dir=env, force_download=True)
    assert files_under(folder) == ["z", "z/two.txt"]  # the new archive's members, exactly
    assert sorted(os.listdir(env / "datasets")) == ["z", "z_archive"]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_every_tar_compression(tmp_path, mode):
    archive = tmp_path / "a.tar"
    archive.write_bytes(tar_bytes([("x/y.txt", b"y"), link("x/l", "y.txt")], mode=mode))
    assert extract_archive(archive, tmp_path / "out") == "tar"
    assert (tmp_path / "out" / "x" / "l").read_bytes() == b"y"


@pytest.mark.parametrize("entries, match", [
    ([("../evil.txt", b"x")], "leads outside the destination"),
    ([("ok/../../evil.txt", b"x")], "leads outside the destination"),
    ([("/tmp/evil.txt", b"x")], "path is absolute"),
    ([link("up", "..")], "symbolic link to '..'"),
    ([link("etc", "/etc")], "symbolic link to '/etc'"),
    ([link("deep/l", "../../outside")], "symbolic link to '../../outside'"),
    ([link("hard", "../outside", tarfile.LNKTYPE)], "hard link"),
    ([link("fifo", "", tarfile.FIFOTYPE)], "device file or FIFO"),
    # Each name stays inside on paper; on disk "a" points at ".", so "a/a/../x" climbs out.
    ([link("a", "."), ("a/a/../evil.txt", b"x")], "refused to extract member 'a/a/../evil.txt'"),
])
def test_unsafe_tar_members_are_refused(tmp_path, entries, match):
    if len(entries) == 2 and not hasattr(tarfile, "data_filter"):
        match = "no extraction filters"
    (tmp_path / "work").mkdir()
    archive = tmp_path / "work" / "bad.tar"
    archive.write_bytes(tar_bytes([("fine.txt", b"fine")] + entries))
    destination = tmp_path / "work" / "deep" / "out"
    with pytest.raises(UnsafeArchiveError, match=match) as info:
        extract_archive(archive, destination)
    assert str(archive) in str(info.value) and "nothing was extracted" in str(info.value)
    assert files_under(tmp_path / "work") == ["bad.tar", "deep"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "work" / "evil.txt").exists()


def test_unsafe_zip_members_are_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(zip_bytes([("fine.txt", b"1"), ("../evil.txt", b"2")]))
    with pytest.raises(UnsafeArchiveError, match="'../evil.txt'"):
        extract_archive(archive, tmp_path / "out")
    assert files_under(tmp_path) == ["bad.zip"]


def test_refused_archive_through_get_file_leaves_only_the_download(origin, env):
    server = origin({"/bad.tgz": tar_bytes([("../../escape.txt", b"x")])})
    with pytest.raises(UnsafeArchiveError):
        get_file("bad.tgz", server.url + "/bad.tgz", extract=True, cache_dir=env)
    assert files_under(env / "datasets") == ["bad.tgz"] and not (env / "escape.txt").exists()


def test_extraction_never_replaces_a_file(tmp_path):
    (tmp_path / "a.tar").write_bytes(tar_bytes([("x", b"x")], mode="w"))
    (tmp_path / "taken").write_text("a cached file")
    with pytest.raises(FileExistsError, match="taken exists and is not a folder"):
        extract_archive(tmp_path / "a.tar", tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "a cached file" and sorted(os.listdir(tmp_path)) == ["a.tar", "taken"]


def test_damaged_or_foreign_archives(tmp_path):
    whole = tar_bytes([("a.bin", os.urandom(50000))])
    (tmp_path / "cut.tar.gz").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz: damaged or truncated tar archive"):
        extract_archive(tmp_path / "cut.tar.gz", tmp_path / "out")
    (tmp_path / "plain.txt").write_text("not an archive")
    with pytest.raises(ValueError, match="plain.txt is not a tar or zip archive"):
        extract_archive(tmp_path / "plain.txt", tmp_path / "out")
    (tmp_path / "t.tar").write_bytes(tar_bytes([("a", b"a")], mode="w"))
    with pytest.raises(ValueError, match="is not a zip archive"):
        extract_archive(tmp_path / "t.tar", tmp_path / "out", "zip")
    assert sorted(os.listdir(tmp_path)) == ["cut.tar.gz", "plain.txt", "t.tar"]


def test_archive_formats_follow_keras():
    assert archives.archive_formats("auto") == ["tar", "zip"]
    assert archives.archive_formats("zip") == ["zip"] and archives.archive_formats(None) == []
    assert archives.archive_formats(["zip", "tar"]) == ["zip", "tar"]


# ---------------------------------------------------------------- against Keras

@pytest.fixture
def keras_get_file(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    pytest.importorskip("keras")
    from keras.src.utils.file_utils import get_file as keras_get_file
    return keras_get_file


def test_same_paths_and_files_as_keras(keras_get_file, origin, env):
    archive = tar_bytes([("inner/a.txt", b"A"), ("b.txt", b"B")])
    server = origin({"/d/file.txt": b"plain", "/d/pack.tar.gz": archive, "/d/other.tgz": archive,
                     "/d/pack.zip": zip_bytes([("z.txt", b"Z")])})
    calls = [dict(fname="file.txt", origin="/d/file.txt"), dict(origin="/d/file.txt", cache_subdir="other"),
             dict(fname="pack.tar.gz", origin="/d/pack.tar.gz", extract=True),
             dict(fname="pack", origin="/d/pack.tar.gz", extract=True, file_hash=sha256(archive)),
             dict(origin="/d/other.tgz", untar=True), dict(fname="zipped", origin="/d/pack.zip", extract=True),
             dict(fname="file.txt", origin="/d/file.txt", md5_hash=hashlib.md5(b"plain").hexdigest())]
    (env / "keras").mkdir()  # Keras falls back to /tmp/.keras for a folder that does not exist yet
    for call in calls:
        call = dict(call, origin=server.url + call["origin"])
        ours = Path(get_file(cache_dir=env / "ours", **call)).relative_to(env / "ours")
        theirs = Path(keras_get_file(cache_dir=str(env / "keras"), **call)).relative_to(env / "keras")
        assert ours == theirs, call
    assert files_under(env / "ours") == files_under(env / "keras")
    for name in files_under(env / "keras"):
        if (env / "keras" / name).is_file():
            assert (env / "ours" / name).read_bytes() == (env / "keras" / name).read_bytes(), name
