"""fetch_mias end to end against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from skmammo.datasets import fetch_mias, get_data_home


class _Server:
    """Serves byte strings by path; anything else is a 404."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        files, hits = self.files, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits[self.path] = hits.get(self.path, 0) + 1
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture(scope="module")
def server():
    srv = _Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture(scope="module")
def archive_bytes(mias_archive) -> bytes:
    return mias_archive.read_bytes()


def _assert_no_cache(home):
    """Nothing left behind: no cache folder, no staging folder."""
    assert not (home / "mias").exists()
    assert list(home.iterdir()) == []


@pytest.mark.mias
def test_fetch_downloads_verifies_caches_and_loads(server, archive_bytes, tmp_path):
    server.files["/all-mias.tar.gz"] = archive_bytes
    url = server.url("/all-mias.tar.gz")
    films = fetch_mias(tmp_path, url=url, unit="film", verbose=0)
    assert np.bincount(films.target).tolist() == [207, 61, 48]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mias"]  # no staging folder left
    assert len(list((tmp_path / "mias").glob("mdb*.pgm"))) == 322
    # second call is served from the cache, without a request
    before = server.hits["/all-mias.tar.gz"]
    again = fetch_mias(tmp_path, url=url, verbose=0, download_if_missing=False)
    assert server.hits["/all-mias.tar.gz"] == before
    assert len(again.frame) == 117 + 207


@pytest.mark.mias
def test_corrupted_archive_gives_a_clear_error_and_no_cache(server, archive_bytes, tmp_path):
    corrupt = bytearray(archive_bytes)
    corrupt[len(corrupt) // 2 : len(corrupt) // 2 + 64] = bytes(64)
    server.files["/corrupt.tar.gz"] = bytes(corrupt)
    with pytest.raises(ValueError, match="corrupt"):
        fetch_mias(tmp_path, url=server.url("/corrupt.tar.gz"), verbose=0)
    _assert_no_cache(tmp_path)


@pytest.mark.mias
def test_truncated_archive_gives_a_clear_error_and_no_cache(server, archive_bytes, tmp_path):
    server.files["/truncated.tar.gz"] = archive_bytes[: len(archive_bytes) // 3]
    with pytest.raises(ValueError, match="corrupt or truncated"):
        fetch_mias(tmp_path, url=server.url("/truncated.tar.gz"), verbose=0)
    _assert_no_cache(tmp_path)


def _tar(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.mias
def test_tampered_film_fails_its_checksum(server, mias_dir, tmp_path):
    film = bytearray((mias_dir / "mdb001.pgm").read_bytes())
    film[-1] ^= 0xFF
    server.files["/tampered.tar.gz"] = _tar(
        {"Info.txt": (mias_dir / "Info.txt").read_bytes(), "mdb001.pgm": bytes(film)}
    )
    with pytest.raises(ValueError, match=r"mdb001\.pgm fails its SHA-256 check"):
        fetch_mias(tmp_path, url=server.url("/tampered.tar.gz"), verbose=0)
    _assert_no_cache(tmp_path)


@pytest.mark.mias
def test_incomplete_archive_is_refused(server, mias_dir, tmp_path):
    server.files["/partial.tar.gz"] = _tar({"Info.txt": (mias_dir / "Info.txt").read_bytes()})
    with pytest.raises(ValueError, match=r"lacks 323 of the mini-MIAS files"):
        fetch_mias(tmp_path, url=server.url("/partial.tar.gz"), verbose=0)
    _assert_no_cache(tmp_path)


@pytest.mark.parametrize(
    ("members", "link"),
    [({"../evil.txt": b"x"}, None), ({"/tmp/evil.txt": b"x"}, None), ({}, "Info.txt")],
    ids=["dotdot", "absolute", "symlink"],
)
def test_unsafe_members_are_refused(server, tmp_path, members, link):
    server.files["/unsafe.tar.gz"] = _tar(members, link=link)
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="refusing"):
        fetch_mias(home, url=server.url("/unsafe.tar.gz"), verbose=0)
    _assert_no_cache(home)
    assert not (tmp_path / "evil.txt").exists()


def test_http_error_and_missing_cache(server, tmp_path):
    with pytest.raises(OSError, match="could not download"):
        fetch_mias(tmp_path, url=server.url("/nothing-here.tar.gz"), verbose=0)
    _assert_no_cache(tmp_path)
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_mias(tmp_path, download_if_missing=False)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKMAMMO_DATA", str(tmp_path / "cache"))
    assert get_data_home() == tmp_path / "cache"
    assert (tmp_path / "cache").is_dir()


# --------------------------------------------------------------------------
# Issue 17, item 8: killed downloads, incomplete and corrupted caches


class _StallingHandler:
    """An HTTP server that sends the start of a big file, then hangs until released."""

    def __init__(self):
        import http.server

        release = self.release = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(100 << 20))
                self.end_headers()
                self.wfile.write(bytes(1 << 20))
                self.wfile.flush()
                release.wait(60)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_killed_downloads_staging_folder_is_removed_by_the_next_call(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    server = _StallingHandler()
    try:
        url = f"http://127.0.0.1:{server.httpd.server_address[1]}/all-mias.tar.gz"
        code = f"from skmammo.datasets import fetch_mias; fetch_mias({str(tmp_path)!r}, url={url!r})"
        proc = subprocess.Popen([sys.executable, "-c", code])
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                parts = list(tmp_path.glob(".mias-download-*/all-mias.tar.gz"))
                if parts and parts[0].stat().st_size > 0:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the download never started")
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        assert list(tmp_path.glob(".mias-download-*"))  # the killed call's leftovers
        with pytest.raises(OSError, match="download_if_missing=False"):
            fetch_mias(tmp_path, download_if_missing=False)
        assert list(tmp_path.iterdir()) == []
    finally:
        server.close()


def test_a_staging_folder_of_a_live_process_is_left_alone(tmp_path):
    import os

    live = tmp_path / f".mias-download-{os.getpid()}-abc"
    live.mkdir()
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_mias(tmp_path, download_if_missing=False)
    assert live.is_dir()


def test_cache_folder_without_info_txt_says_how_to_clear_it(tmp_path):
    (tmp_path / "mias").mkdir()
    (tmp_path / "mias" / "mdb001.pgm").write_bytes(b"left over")
    with pytest.raises(FileNotFoundError, match=r"mias.*not a complete mini-MIAS cache.*delete"):
        fetch_mias(tmp_path, url=str(tmp_path / "never-read.tar.gz"))
    assert (tmp_path / "mias" / "mdb001.pgm").exists()  # a user's folder is never deleted


@pytest.mark.mias
def test_verify_recheck_the_cached_files(mias_archive, tmp_path):
    fetch_mias(tmp_path, url=str(mias_archive), unit="film", verify=False)
    film = tmp_path / "mias" / "mdb010.pgm"
    data = bytearray(film.read_bytes())
    data[-1] ^= 0xFF  # one pixel, a silent change without verification
    film.write_bytes(bytes(data))
    fetch_mias(tmp_path, url=str(mias_archive), unit="film", verify=False)
    with pytest.raises(ValueError, match=r"mdb010\.pgm fails its SHA-256 check.*delete"):
        fetch_mias(tmp_path, url=str(mias_archive), unit="film")  # verify=True by default
    film.unlink()
    with pytest.raises(FileNotFoundError, match=r"mdb010\.pgm.*delete"):
        fetch_mias(tmp_path, url=str(mias_archive), unit="film", verify=True)
