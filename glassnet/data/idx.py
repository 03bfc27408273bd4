"""Read and write IDX files, the format of MNIST, Fashion-MNIST and KMNIST.

An IDX file is a small big-endian header followed by the raw array:

    bytes 0–1   0x00 0x00
    byte  2     element type: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float,
                0x0E double (multi-byte types are big-endian)
    byte  3     D, the number of dimensions
    then        D unsigned 32-bit big-endian sizes N₁ … N_D
    then        N₁·…·N_D elements in row-major (C) order; nothing after them

Files may be gzip-compressed (recognised by their first two bytes, 0x1F 0x8B, not by the
name). Every check on the header (magic, type, sizes against the bytes actually present)
runs before the payload is allocated, so a corrupt or truncated file fails fast with a
:class:`~glassnet.errors.DataError` that names the file and the problem.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet._files import write_bytes
from glassnet.errors import DataError, message

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["IDX_TYPES", "encode_idx", "load_idx", "parse_idx", "save_idx"]

#: type code → big-endian NumPy dtype of one element.
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate's densest code is a 258-byte match written in 2 bits (1-bit length and distance
# codes), so no gzip file of c bytes inflates past about 1032·c bytes: a header declaring
# more than that is rejected before anything is inflated.
_MAX_INFLATE_RATIO = 1100


def _check_magic(head: bytes, where: str) -> tuple[np.dtype, int]:
    """Check the 4-byte magic; return (element dtype, number of dimensions D)."""
    if len(head) < 4:
        raise DataError(
            message(where, "file too short for an IDX header", f"{len(head)} bytes", "≥ 4 bytes")
        )
    if head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES:
        raise DataError(
            message(
                where,
                "wrong magic number, not an IDX file",
                f"first bytes {head[:4].hex(' ')}",
                "00 00 <type 08|09|0b|0c|0d|0e> <ndim>",
                "pass the .gz or raw IDX file itself, e.g. train-images-idx3-ubyte.gz",
            )
        )
    if head[3] == 0:
        raise DataError(message(where, "the IDX header declares 0 dimensions", "0", "≥ 1"))
    return IDX_TYPES[head[2]], head[3]


def _read_dims(dims_raw: bytes, ndim: int, where: str) -> tuple[int, ...]:
    """The D big-endian uint32 sizes that follow the magic."""
    if len(dims_raw) < 4 * ndim:
        raise DataError(
            message(
                where,
                "the header is cut short",
                f"{4 + len(dims_raw)} header bytes",
                f"{4 + 4 * ndim} for {ndim} dimensions",
            )
        )
    return tuple(int(d) for d in np.frombuffer(dims_raw, ">u4", count=ndim))


def _payload_size(dims: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes the header promises: N₁·…·N_D · itemsize (a Python int, never overflows)."""
    count = 1
    for d in dims:
        count *= d
    return count * dtype.itemsize


def _native(array: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
    """Big-endian elements → a writable native-endian array of shape ``dims``."""
    native = array.astype(array.dtype.newbyteorder("="), copy=not array.flags.writeable)
    return native.reshape(dims)


def _size_mismatch(where: str, declared: int, actual: str, dims) -> DataError:
    return DataError(
        message(
            where,
            f"the header declares dims {tuple(dims)}, i.e. {declared:,} payload bytes, "
            "but the file holds a different amount (truncated or corrupt)",
            actual,
            f"{declared:,} bytes",
            "download the file again",
        )
    )


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file (gzip-compressed or raw) into an array.

    ``name`` only labels error messages. See :func:`load_idx` for the format.

    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    where = f"load_idx({name!r})"
    if raw[:2] == _GZIP_MAGIC:
        return _parse_gzip(raw, where)
    dtype, ndim = _check_magic(raw[:4], where)
    dims = _read_dims(raw[4 : 4 + 4 * ndim], ndim, where)
    offset = 4 + 4 * ndim
    declared = _payload_size(dims, dtype)
    if len(raw) - offset != declared:
        raise _size_mismatch(where, declared, f"{len(raw) - offset:,} bytes", dims)
    return _native(np.frombuffer(raw, dtype, offset=offset), dims)


def _inflate(stream, data: bytes, max_length: int, where: str) -> bytes:
    try:
        return stream.decompress(data, max_length)
    except zlib.error as exc:
        raise DataError(
            message(where, f"corrupt gzip data ({exc})", hint="download the file again")
        ) from None


def _parse_gzip(raw: bytes, where: str) -> np.ndarray:
    """Inflate the header first, check the declared size, then inflate exactly the payload."""
    stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    dtype, ndim = _check_magic(_inflate(stream, raw, 4, where), where)
    dims = _read_dims(_inflate(stream, stream.unconsumed_tail, 4 * ndim, where), ndim, where)
    declared = _payload_size(dims, dtype)
    if declared > _MAX_INFLATE_RATIO * len(raw):
        raise _size_mismatch(where, declared, f"a gzip file of {len(raw):,} bytes", dims)
    payload = _inflate(stream, stream.unconsumed_tail, declared + 1, where) if declared else b""
    if len(payload) != declared:
        actual = f"{len(payload):,}{'+' if len(payload) > declared else ''} bytes"
        raise _size_mismatch(where, declared, actual, dims)
    extra = _inflate(stream, stream.unconsumed_tail, 1, where)
    if extra or stream.unused_data or not stream.eof:
        what = "gzip stream ends early" if not stream.eof and not extra else "data after payload"
        raise DataError(
            message(where, f"{what} (truncated or corrupt file)", hint="download it again")
        )
    return _native(np.frombuffer(payload, dtype), dims)


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw, into a native-endian NumPy array.

    Element types: 0x08 → uint8, 0x09 → int8, 0x0B → int16, 0x0C → int32,
    0x0D → float32, 0x0E → float64. The result has the shape the header declares and is
    a fresh writable array. A raw file's header is checked against the file size before
    the payload is read; a gzip file is inflated header first, then exactly the payload.

    Raises:
        DataError: the file is missing, is not IDX (wrong magic), is truncated, has extra
            bytes, or declares more data than it holds; the message names the file.
    """
    path = Path(path)
    where = f"load_idx({str(path)!r})"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == _GZIP_MAGIC:
                return _parse_gzip(head + f.read(), where)
            dtype, ndim = _check_magic(head, where)
            dims = _read_dims(f.read(4 * ndim), ndim, where)
            declared = _payload_size(dims, dtype)
            actual = os.fstat(f.fileno()).st_size - (4 + 4 * ndim)
            if actual != declared:
                raise _size_mismatch(where, declared, f"{actual:,} bytes", dims)
            return _native(np.fromfile(f, dtype, count=declared // dtype.itemsize), dims)
    except OSError as exc:
        raise DataError(
            message(where, f"cannot read the file ({exc.strerror or exc})", hint="check the path")
        ) from None


def encode_idx(array: ArrayLike, where: str = "encode_idx") -> bytes:
    """The raw (uncompressed) IDX bytes of ``array``: magic, sizes, big-endian elements.
    Supported dtypes: uint8, int8, int16, int32, float32, float64; 1 ≤ ndim ≤ 255 and
    every size < 2³².

    >>> encode_idx(np.array([7, 8, 9], dtype=np.uint8)).hex(" ")
    '00 00 08 01 00 00 00 03 07 08 09'
    """
    array = np.asarray(array)
    code = _CODE_OF.get(array.dtype.newbyteorder("="))
    if code is None or not 1 <= array.ndim <= 255 or max(array.shape, default=0) >= 2**32:
        raise DataError(
            message(
                where,
                "cannot store this array as IDX",
                f"dtype {array.dtype}, shape {array.shape}",
                "dtype uint8/int8/int16/int32/float32/float64, 1 ≤ ndim ≤ 255, sizes < 2³²",
            )
        )
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, IDX_TYPES[code]).tobytes()


def save_idx(path: str | os.PathLike, array: ArrayLike, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (see :func:`encode_idx`); gzip-compressed when
    ``compress`` is true, or by default when the name ends in ``.gz``.

    ``load_idx(save_idx(p, a))`` returns an array equal to ``a`` with the same dtype.
    """
    path = Path(path)
    data = encode_idx(array, f"save_idx({str(path)!r})")
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes(path, data)  # atomically (see glassnet._files)
    return path
