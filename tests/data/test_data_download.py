"""download(): against a local http.server on 127.0.0.1 serving files the test makes."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib
import socket
import threading

import pytest

from glassnet.data import default_cache_dir, download, sha256_of
from glassnet.errors import ConfigError, DataError

# the module, not the function of the same name that glassnet.data re-exports
download_module = importlib.import_module("glassnet.data.download")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests = 0

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).requests += 1
        if self.path == "/cut-short":  # promises 1000 bytes, sends 10, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/"site" on an ephemeral port; yield (base_url, site folder, handler)."""
    site = tmp_path / "site"
    site.mkdir()
    handler = type("Handler", (_QuietHandler,), {"requests": 0})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", site, handler
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_downloads_checks_and_caches(server, tmp_path):
    base, site, handler = server
    payload = bytes(range(256)) * 5000  # 1.28 MB: more than one read chunk
    (site / "data.bin").write_bytes(payload)
    cache = tmp_path / "cache"
    path = download(f"{base}/data.bin", _sha(payload), cache_dir=cache, progress=False)
    assert path == cache / "data.bin" and path.read_bytes() == payload
    assert sorted(p.name for p in cache.iterdir()) == ["data.bin"]  # no temporary left
    again = download(f"{base}/data.bin", _sha(payload).upper(), cache_dir=cache, progress=False)
    assert again == path and handler.requests == 1  # served from the cache


def test_progress_bar_and_custom_filename(server, tmp_path):
    base, site, _ = server
    (site / "a.txt").write_bytes(b"hello")
    path = download(f"{base}/a.txt", _sha(b"hello"), tmp_path / "c", filename="b.txt")
    assert path.name == "b.txt" and sha256_of(path) == _sha(b"hello")


def test_progress_bar_counts_every_byte(server, tmp_path, monkeypatch):
    base, site, _ = server
    payload = bytes(3_000_000)
    (site / "big.bin").write_bytes(payload)
    bars = []

    def spy(enabled):
        bars.append(real(enabled))
        return bars[-1]

    real = download_module._progress
    monkeypatch.setattr(download_module, "_progress", spy)
    download(f"{base}/big.bin", _sha(payload), tmp_path / "c")
    (task,) = bars[0].tasks
    assert not bars[0].disable and task.description == "big.bin"
    assert task.total == task.completed == len(payload)  # Content-Length, then every chunk
    columns = {type(c).__name__ for c in bars[0].columns}
    assert {"BarColumn", "DownloadColumn", "TransferSpeedColumn"} <= columns


def test_corrupted_file_is_refused_and_nothing_is_cached(server, tmp_path):
    base, site, _ = server
    (site / "file.bin").write_bytes(b"the corrupted bytes")
    cache = tmp_path / "cache"
    with pytest.raises(
        DataError, match=r"download\('http://127\.0\.0\.1:\d+/file\.bin'\): checksum"
    ):
        download(f"{base}/file.bin", _sha(b"the original bytes"), cache, progress=False)
    assert list(cache.iterdir()) == []


def test_stale_cached_file_is_replaced(server, tmp_path):
    base, site, handler = server
    (site / "f").write_bytes(b"new")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "f").write_bytes(b"old, wrong")
    path = download(f"{base}/f", _sha(b"new"), cache, progress=False)
    assert path.read_bytes() == b"new" and handler.requests == 1


def test_missing_file_on_server(server, tmp_path):
    base, _, _ = server
    with pytest.raises(DataError, match=r"cannot fetch the file \(HTTP Error 404"):
        download(f"{base}/absent.bin", "0" * 64, tmp_path / "cache", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_connection_lost_mid_download_leaves_nothing(server, tmp_path):
    base, _, _ = server
    with pytest.raises(
        DataError, match=r"cut-short'\): the connection closed.*Got 10 bytes; expected 1,000"
    ):
        download(f"{base}/cut-short", "0" * 64, tmp_path / "cache", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_unreachable_server_is_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: bound, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match=r"cannot fetch the file .*\n  hint: check the network"):
        download(f"http://127.0.0.1:{port}/x.gz", "a" * 64, tmp_path, progress=False, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments():
    with pytest.raises(ConfigError, match="url must start with http"):
        download("ftp://example.org/x", "0" * 64)
    with pytest.raises(ConfigError, match="sha256 must be the file's 64-hex-digit SHA-256"):
        download("https://example.org/x", "abc")


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("GLASSNET_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "glassnet"
