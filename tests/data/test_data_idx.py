"""IDX reader/writer: every element type, gzip and raw, and corrupt files (incl. fuzzing)."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet.data import IDX_TYPES, encode_idx, load_idx, parse_idx, save_idx
from glassnet.errors import DataError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def header(code: int, dims) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_type(tmp_path, rng, dtype, suffix):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    a = rng.uniform(info.min / 2, info.max / 2, size=(3, 4, 5)).astype(dtype)
    a.flat[0], a.flat[1] = info.min, info.max
    b = load_idx(save_idx(tmp_path / f"a{suffix}", a))
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    assert b.flags.writeable
    np.testing.assert_array_equal(a, b)


def test_hand_written_big_endian_bytes_decode():
    raw = header(0x0B, [2]) + bytes([0x01, 0x02, 0xFF, 0xFE])  # int16 258 and −2
    np.testing.assert_array_equal(parse_idx(raw), np.array([258, -2], dtype=np.int16))
    raw = header(0x0D, [1]) + struct.pack(">f", 1.5)
    assert parse_idx(raw).tolist() == [1.5]
    assert parse_idx(gzip.compress(raw)).tolist() == [1.5]


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    path = save_idx(tmp_path / "no_suffix", a, compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(load_idx(path), a)
    np.testing.assert_array_equal(load_idx(save_idx(tmp_path / "raw.gz", a, compress=False)), a)


def test_empty_dimension(tmp_path):
    a = np.zeros((0, 5), dtype=np.uint8)
    for name in ("e", "e.gz"):
        assert load_idx(save_idx(tmp_path / name, a)).shape == (0, 5)


def test_idx_types_table_matches_the_format():
    assert {c: d.str[1:] for c, d in IDX_TYPES.items()} == {
        0x08: "u1",
        0x09: "i1",
        0x0B: "i2",
        0x0C: "i4",
        0x0D: "f4",
        0x0E: "f8",
    }


@pytest.mark.parametrize("compress", [False, True])
def test_wrong_magic_names_the_file(tmp_path, compress):
    path = tmp_path / "bad.idx"
    raw = b"PK\x03\x04" + bytes(20)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DataError, match=r"load_idx\('.*bad\.idx'\): wrong magic number"):
        load_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_payload(tmp_path, compress):
    raw = encode_idx(np.arange(100, dtype=np.uint8).reshape(10, 10))[:-7]
    path = tmp_path / "cut"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(
        DataError, match=r"'.*cut'\): the header declares dims \(10, 10\), i\.e\. 100"
    ):
        load_idx(path)
    with pytest.raises(DataError, match="Got 93 bytes; expected 100 bytes"):
        load_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_extra_bytes_after_payload(tmp_path, compress):
    raw = encode_idx(np.arange(4, dtype=np.uint8)) + b"\x00"
    path = tmp_path / "long"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DataError, match=r"declares dims \(4,\).*Got 5\+? bytes"):
        load_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_terabyte_declaration_fails_fast(tmp_path, compress):
    """2³² − 1 cubed bytes is ~8·10²⁸: it must be refused from the header, not allocated."""
    raw = header(0x08, [2**32 - 1] * 3) + bytes(64)
    path = tmp_path / "huge"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DataError, match=r"declares dims \(4294967295, 4294967295, 4294967295\)"):
        load_idx(path)
    with pytest.raises(DataError, match="declares dims"):
        parse_idx(path.read_bytes())


def test_short_and_empty_files(tmp_path):
    with pytest.raises(DataError, match=r"too short for an IDX header. Got 0 bytes"):
        parse_idx(b"")
    with pytest.raises(DataError, match="header is cut short. Got 6 header bytes; expected 12"):
        parse_idx(bytes([0, 0, 8, 2, 0, 0]))
    with pytest.raises(DataError, match="declares 0 dimensions"):
        parse_idx(bytes([0, 0, 8, 0]))
    path = tmp_path / "tiny.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 3, 0, 0, 0, 1])))
    with pytest.raises(DataError, match=r"tiny\.gz'\): the header is cut short"):
        load_idx(path)


def test_corrupt_and_truncated_gzip(tmp_path):
    packed = gzip.compress(encode_idx(np.arange(1000, dtype=np.int32)))
    with pytest.raises(DataError, match="corrupt gzip data"):
        parse_idx(packed[:20] + bytes(b ^ 0xFF for b in packed[20:40]) + packed[40:], "x.gz")
    with pytest.raises(DataError, match=r"gzip stream ends early \(truncated"):
        parse_idx(packed[:-4], "x.gz")  # payload complete, trailer (CRC, size) cut
    with pytest.raises(DataError, match="data after payload"):
        parse_idx(packed + gzip.compress(b"more"), "x.gz")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"load_idx\('.*nope\.gz'\): cannot read the file"):
        load_idx(tmp_path / "nope.gz")


def test_encode_rejects_unsupported_arrays(tmp_path):
    with pytest.raises(DataError, match=r"save_idx\('.*'\): cannot store this array as IDX"):
        save_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(DataError, match=r"encode_idx: cannot store.*shape \(\)"):
        encode_idx(np.float32(1.0))


# ---- fuzzing: any bytes give a correct array or a DataError, nothing else ----------------

valid_arrays = st.builds(
    lambda dtype, shape, seed: (
        np.random.default_rng(seed).integers(-100, 100, size=shape).astype(dtype)
    ),
    st.sampled_from(DTYPES),
    st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple),
    st.integers(0, 2**16),
)


@st.composite
def mutated_files(draw) -> tuple[bytes, bool]:
    """A valid file, then truncated, bit-flipped or extended; or plain random bytes."""
    if draw(st.booleans()):
        raw = draw(st.binary(max_size=64))
        return (gzip.compress(raw) if draw(st.booleans()) else raw), False
    compress = draw(st.booleans())
    data = encode_idx(draw(valid_arrays))
    data = gzip.compress(data, mtime=0) if compress else data
    kind = draw(st.sampled_from(["truncate", "flip", "append", "none"]))
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind == "flip":
        buf = bytearray(data)
        for pos in draw(st.lists(st.integers(0, 8 * len(buf) - 1), min_size=1, max_size=3)):
            buf[pos // 8] ^= 1 << (pos % 8)
        data = bytes(buf)
    elif kind == "append":
        data += draw(st.binary(min_size=1, max_size=8))
    return data, compress


def _check_result(data: bytes, decode) -> None:
    try:
        array = decode(data)
    except DataError:
        return
    plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert encode_idx(array) == plain  # the array is exactly what the bytes say


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_fuzz_parse_idx(case):
    _check_result(case[0], parse_idx)


@settings(max_examples=150, deadline=None)
@given(mutated_files())
def test_fuzz_load_idx_from_file(case):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(case[0])
        _check_result(case[0], lambda _: load_idx(path))
