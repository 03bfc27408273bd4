"""Download a data file once into a cache folder, checked by its SHA-256.

The file is streamed into a temporary file in the cache folder while its SHA-256 is
computed; only when the sum matches is it renamed (``os.replace``, atomic on one file
system) to its final name. An interrupted or corrupt download therefore never leaves a
file that a later call would trust.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from glassnet.errors import ConfigError, DataError, message

__all__ = ["default_cache_dir", "download", "sha256_of"]

_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    """``$GLASSNET_DATA`` if set, else ``$XDG_CACHE_HOME/glassnet`` (``~/.cache/glassnet``)."""
    if os.environ.get("GLASSNET_DATA"):
        return Path(os.environ["GLASSNET_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "glassnet"


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_args(url: str, sha256: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(
            message("download", "url must start with http:// or https://", repr(url))
        )
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ConfigError(
            message(
                "download",
                "sha256 must be the file's 64-hex-digit SHA-256",
                repr(sha256),
                "e.g. 'f7ae60f9…aec6' (64 characters)",
                "compute it once with glassnet.data.sha256_of(path) or `sha256sum FILE`",
            )
        )
    return sha256.lower()


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )


def _fetch(url: str, out, name: str, progress: bool, timeout: float) -> str:
    """Stream ``url`` into the open file ``out``; return the hex SHA-256 of what arrived."""
    digest, received = hashlib.sha256(), 0
    request = urllib.request.Request(url, headers={"User-Agent": "glassnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response, _progress(progress) as bar:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        task = bar.add_task(name, total=total)
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            bar.advance(task, len(chunk))
    if total is not None and received != total:
        raise DataError(
            message(
                f"download({url!r})",
                "the connection closed before the whole file arrived",
                f"{received:,} bytes",
                f"{total:,} bytes (Content-Length)",
                "retry the download",
            )
        )
    return digest.hexdigest()


def download(
    url: str,
    sha256: str,
    cache_dir: str | os.PathLike | None = None,
    filename: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Return the path of ``url``'s file in ``cache_dir``, downloading it if needed.

    A cached file whose SHA-256 equals ``sha256`` is returned with no network access; a
    cached file with another sum is downloaded again. ``filename`` defaults to the last
    part of the URL path; ``cache_dir`` to :func:`default_cache_dir`. ``progress`` shows
    a rich progress bar (bytes, speed, time left).

    Raises:
        ConfigError: the URL is not http(s) or ``sha256`` is not 64 hex digits.
        DataError: the server cannot be reached (offline, refused, timed out, HTTP error)
            or the downloaded bytes have another SHA-256; nothing is left in the cache.
    """
    sha256 = _check_args(url, sha256)
    name = filename or Path(urllib.parse.urlsplit(url).path).name or "download"
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = folder / name
    if target.is_file() and sha256_of(target) == sha256:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    _download_checked(url, sha256, folder, name, progress, timeout)
    return target


def _download_checked(
    url: str, sha256: str, folder: Path, name: str, progress: bool, timeout: float
) -> None:
    """Stream ``url`` to a temporary file in ``folder``; rename it to ``name`` if its sum fits."""
    target = folder / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            got = _fetch(url, out, name, progress, timeout)
        if got != sha256:
            raise DataError(
                message(
                    f"download({url!r})",
                    "checksum mismatch: the downloaded file is corrupt or not the expected one",
                    f"sha256 {got}",
                    sha256,
                    "retry; if it persists the file at the URL changed",
                )
            )
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        http_error = isinstance(exc, urllib.error.HTTPError)
        reason = exc if http_error else getattr(exc, "reason", None) or exc
        raise DataError(
            message(
                f"download({url!r})",
                f"cannot fetch the file ({reason})",
                hint=f"check the network connection, or put the file at {target} by hand",
            )
        ) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
