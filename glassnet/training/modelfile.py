"""Reading a model file without trusting it: sizes are checked before anything is allocated.

A model file is a zip archive (NumPy's ``.npz`` layout) whose members are ``.npy`` arrays.
A hostile or damaged file must not make ``load_model`` allocate gigabytes, decompress a
zip bomb or crash with a raw traceback, so reading goes through these checks, in order:

1. the path is a regular, non-empty file with a zip directory (``/dev/null``, an empty
   file, a plain ``.npy`` and a truncated archive are refused);
2. only members the model uses are opened; each must be stored or deflated (no other
   compression), unencrypted, and declare an uncompressed size that fits its purpose;
3. every ``.npy`` header is parsed with ``numpy.lib.format`` BEFORE its data is read: the
   dtype must be a float (the description text: a unicode scalar), the shape must be the
   one the architecture expects, and the member's declared size must equal header + data;
4. the total number of parameters the architecture declares is at most ``max_parameters``
   (default ``MAX_PARAMETERS`` = 10⁸, 400 MB of float32), computed from each layer's
   config before any layer is built;
5. weights, buffers and optimizer state are finite unless ``allow_nonfinite=True``.

Reading an array then allocates exactly the declared bytes, which the checks bounded.
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy

from glassnet.errors import DataError, message

__all__ = ["ModelFile", "MAX_PARAMETERS", "MAX_HEADER_CHARS"]

MAX_PARAMETERS = 100_000_000
MAX_HEADER_CHARS = 1_000_000
HEADER = "__glassnet__.npy"
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error)


class ModelFile:
    """An opened model archive: ``header_text()``, ``array_header(name)``, ``read(name)``.

    Use as a context manager; every method raises DataError (never zipfile's or NumPy's
    errors) naming the file and, where there is one, the member.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.where = f"load_model({str(path)!r})"
        self.zip = _open_zip(self.path, self.where)
        self.members = {info.filename: info for info in self.zip.infolist()}
        self._headers: dict[str, tuple] = {}

    def __enter__(self) -> ModelFile:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def names(self, prefix: str) -> list[str]:
        """Array names under ``prefix`` (``weights/``), from the directory alone."""
        return [
            n[len(prefix) : -4]
            for n in self.members
            if n.startswith(prefix) and n.endswith(".npy")
        ]

    def header_text(self) -> str:
        """The JSON description (a unicode scalar of at most MAX_HEADER_CHARS characters)."""
        if HEADER not in self.members:
            raise self._error("it has no glassnet description (__glassnet__)", "its members")
        shape, dtype, _ = self.array_header(HEADER, limit=MAX_HEADER_CHARS * 4 + 4096, kind="U")
        if shape != () or dtype.itemsize > MAX_HEADER_CHARS * 4:
            raise self._error(
                "its description is too large or not one text",
                f"shape {shape}, dtype {dtype}",
                f"one text of at most {MAX_HEADER_CHARS:,} characters",
            )
        return str(self.read(HEADER)[()])

    def array_header(self, member: str, limit: int, kind: str = "f") -> tuple:
        """(shape, dtype, fortran_order) from the member's npy header; data is not read.

        ``limit`` bounds the member's declared uncompressed size (refused unread above it).
        """
        if member in self._headers:
            return self._headers[member][:3]
        info = self._info(member, limit)
        try:
            with self.zip.open(info) as file:
                version = npy.read_magic(file)
                reader = (
                    npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
                )
                shape, fortran, dtype = reader(file)
                offset = file.tell()
        except _READ_ERRORS + (ValueError,) as exc:
            raise self._error(
                f"member {member!r} is not a readable .npy array", _why(exc)
            ) from None
        if dtype.hasobject or dtype.kind not in kind:
            raise self._error(
                f"member {member!r} has an unsupported dtype", str(dtype), _KINDS[kind]
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size != offset + nbytes:
            raise self._error(
                f"member {member!r} declares {info.file_size:,} bytes but its header says "
                f"shape {shape} {dtype}",
                f"{info.file_size:,} bytes",
                f"{offset + nbytes:,} bytes",
            )
        self._headers[member] = (tuple(shape), dtype, fortran, offset, nbytes, info)
        return tuple(shape), dtype, fortran

    def read(self, member: str) -> np.ndarray:
        """The member's array, after :meth:`array_header` checked and bounded it."""
        shape, dtype, fortran, offset, nbytes, info = self._headers[member]
        buffer = bytearray(nbytes)
        try:
            with self.zip.open(info) as file:
                file.read(offset)
                got = file.readinto(buffer) if nbytes else 0
                if got != nbytes:
                    raise EOFError(f"{got} of {nbytes} bytes")
        except _READ_ERRORS as exc:
            raise self._error(f"member {member!r} is truncated or damaged", _why(exc)) from None
        array = np.frombuffer(buffer, dtype=dtype)
        return array.reshape(shape, order="F" if fortran else "C")

    def _info(self, member: str, limit: int) -> zipfile.ZipInfo:
        info = self.members[member]
        if info.flag_bits & 0x1:
            raise self._error(f"member {member!r} is encrypted", "an encrypted member", "plain")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self._error(
                f"member {member!r} uses an unsupported compression",
                f"method {info.compress_type}",
                "stored (0) or deflated (8)",
            )
        if info.file_size > limit:
            raise self._error(
                f"member {member!r} declares {info.file_size:,} bytes uncompressed, more than "
                "the model can use",
                f"{info.file_size:,} bytes",
                f"at most {limit:,}",
                "a file this large is not a model written by model.save; do not trust it",
            )
        return info

    def _error(self, what: str, got=None, expected=None, hint=None) -> DataError:
        return DataError(message(self.where, what, got, expected, hint))


_KINDS = {"f": "float16, float32 or float64", "U": "a unicode text", "fiub": "numbers"}


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _open_zip(path: Path, where: str) -> zipfile.ZipFile:
    """The archive, or DataError for anything that is not a non-empty zip file."""
    info = os.stat(path)  # FileNotFoundError passes through: the path is wrong, not the file
    expected = "a file written by model.save (a zip of .npy arrays)"
    if not stat.S_ISREG(info.st_mode):
        raise DataError(message(where, "this is not a regular file", _kind(info), expected))
    if info.st_size == 0:
        raise DataError(message(where, "the file is empty", "0 bytes", expected))
    try:
        return zipfile.ZipFile(path)
    except _READ_ERRORS + (ValueError,) as exc:
        with open(path, "rb") as file:
            start = file.read(6)
        got = "a plain .npy array" if start == b"\x93NUMPY" else _why(exc)
        raise DataError(
            message(
                where,
                "this is not a glassnet model file (or it is truncated)",
                got,
                expected,
            )
        ) from None


def _kind(info: os.stat_result) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device")):
        if test(info.st_mode):
            return name
    return "a special file"
