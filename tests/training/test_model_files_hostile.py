"""Hostile and damaged model files: a DataError, never a raw traceback or a huge allocation."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError, DataError


def header(layers, compile_=None, **extra):
    return {
        "format": "glassnet-model",
        "version": 2,
        "architecture": {"class": "Sequential", "layers": layers},
        "input_shape": None,
        "streams": {},
        "frozen": [],
        "compile": compile_,
        **extra,
    }


def dense(n_in, n_out):
    config = {"in_features": n_in, "out_features": n_out, "use_bias": True, "init": "zeros"}
    return {"class": "Dense", "config": config}


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def write(path, head, arrays: dict, compression=zipfile.ZIP_STORED, raw: dict | None = None):
    """A model archive built member by member (``raw``: members given as bytes)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        text = head if isinstance(head, str) else json.dumps(head)
        archive.writestr("__glassnet__.npy", npy(np.array(text)))
        for name, array in arrays.items():
            archive.writestr(f"weights/{name}.npy", npy(array))
        for name, data in (raw or {}).items():
            archive.writestr(name, data)
    return path


def savez(path, compressed=False, **arrays):
    """np.savez to exactly ``path`` (given a plain path, NumPy appends .npz to the name)."""
    with open(path, "wb") as file:
        (np.savez_compressed if compressed else np.savez)(file, **arrays)


def peak_bytes(call) -> int:
    """The peak traced allocation while ``call()`` raises a DataError."""
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as caught:
            call()
        return tracemalloc.get_traced_memory()[1], str(caught.value)
    finally:
        tracemalloc.stop()


def test_a_small_file_declaring_a_huge_dense_layer_is_refused_before_allocating(tmp_path):
    path = write(
        tmp_path / "big.gn",
        header([dense(50000, 50000)]),
        {"0.w": np.zeros((2, 2), np.float32), "0.b": np.zeros(2, np.float32)},
    )
    assert path.stat().st_size < 2048
    peak, text = peak_bytes(lambda: gn.load_model(path))
    assert "layer 0 Dense (in_features=50000, out_features=50000) would hold 2,500,050,000" in text
    assert "max_parameters=100,000,000" in text
    assert peak < 2_000_000  # the layer alone would be 10 GB of float32


def test_an_npy_header_claiming_10_to_the_12_elements_is_refused_unread(tmp_path):
    head = np.lib.format.header_data_from_array_1_0(np.zeros((3, 4), np.float32))
    head["shape"] = (1_000_000, 1_000_000)
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, head)
    member = buffer.getvalue() + b"\0" * 48
    path = write(
        tmp_path / "claim.gn",
        header([dense(3, 4)]),
        {"0.b": np.zeros(4, np.float32)},
        raw={"weights/0.w.npy": member},
    )
    peak, text = peak_bytes(lambda: gn.load_model(path))
    assert "member 'weights/0.w.npy' declares" in text and "(1000000, 1000000)" in text
    assert peak < 2_000_000


def test_the_parameter_cap_is_documented_and_overridable(tmp_path):
    model = gn.Sequential([nn.Dense(100, 100)])
    model.save(tmp_path / "m.gn")
    with pytest.raises(DataError, match=r"would hold 10,100 parameters.*max_parameters=1,000"):
        gn.load_model(tmp_path / "m.gn", max_parameters=1000)
    assert gn.load_model(tmp_path / "m.gn", max_parameters=10_100).count_params() == 10_100
    with pytest.raises(ConfigError, match="max_parameters must be a positive int"):
        gn.load_model(tmp_path / "m.gn", max_parameters=0)
    assert "max_parameters" in gn.load_model.__doc__


@pytest.mark.parametrize(
    ("head", "match"),
    [
        ("[1, 2, 3]", "the description has the wrong type. Got list; expected a JSON object"),
        ("[" * 100_000 + "]" * 100_000, "the wrong type|not valid JSON"),
        (json.dumps(header([], evil=1)), r"unknown or missing keys. Got unknown \['evil'\]"),
        (json.dumps({**header([]), "architecture": []}), "architecture has the wrong type"),
        (json.dumps({**header([]), "frozen": 5}), "frozen has the wrong type. Got int"),
        (json.dumps({**header([]), "input_shape": ["a"]}), "input_shape has the wrong type"),
        (
            json.dumps(header([{"class": "Dense", "config": {"in_features": {"x": 1}}}])),
            "config.in_features is not a plain setting. Got dict",
        ),
        (
            json.dumps(header([{"class": "Dense", "config": {}, "code": "x"}])),
            "has unexpected keys",
        ),
        (json.dumps(header([dense("3", 4)])), r"in_features must be a positive int. Got '3'"),
        (json.dumps(header([dense(True, 4)])), r"in_features must be a positive int. Got True"),
        (json.dumps(header([], {"loss": "mse"})), "compile has unknown or missing keys"),
        ('{"format": "glassnet-model", "version": 2, "x": ' + "9" * 5000 + "}", "not valid JSON"),
    ],
)
def test_a_malformed_description_is_a_data_error(tmp_path, head, match):
    path = write(tmp_path / "m.gn", head, {})
    with pytest.raises(DataError, match=match):
        gn.load_model(path)


def test_deep_nesting_of_layers_is_refused(tmp_path):
    spec = dense(2, 2)
    for _ in range(40):
        spec = {"class": "Sequential", "layers": [spec]}
    head = {**header([]), "architecture": spec}
    with pytest.raises(DataError, match="the architecture is nested too deeply"):
        gn.load_model(write(tmp_path / "m.gn", head, {}))


def patched(path, name: str, offset: int, fmt: str, value) -> None:
    """Overwrite one field of ``name``'s central-directory entry (what zipfile trusts)."""
    data, position = bytearray(path.read_bytes()), 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == name.encode():
            break
        position += 4
    struct.pack_into(fmt, data, position + offset, value)
    path.write_bytes(bytes(data))


def saved(tmp_path, compiled=False):
    model = gn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4), nn.Dense(4, 2)])
    if compiled:
        model.compile("adam", "mse")
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "m.gn")
    return tmp_path / "m.gn"


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path):
    path = saved(tmp_path)
    patched(path, "weights/0.w.npy", 24, "<I", 4_000_000_000)  # uncompressed size
    peak, text = peak_bytes(lambda: gn.load_model(path))
    assert "declares 4,000,000,000 bytes uncompressed, more than the model can use" in text
    assert peak < 2_000_000


def test_members_the_model_does_not_use_are_never_decompressed(tmp_path):
    bomb = zipfile.ZipInfo("extras/bomb.bin")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    path = saved(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(bomb, b"\0" * 1_000_000)
        archive.writestr("optimizer/m.0.npy", b"not an array at all")  # uncompiled model
    patched(path, "extras/bomb.bin", 16, "<I", 0)  # a wrong CRC: reading it would fail
    patched(path, "extras/bomb.bin", 24, "<I", 4_000_000_000)
    assert gn.load_model(path).count_params() > 0


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        (10, 12, "uses an unsupported compression. Got method 12"),  # bzip2
        (8, 1, "is encrypted"),
    ],
)
def test_unsupported_compression_and_encryption(tmp_path, field, value, match):
    path = saved(tmp_path)
    patched(path, "weights/0.b.npy", field, "<H", value)
    with pytest.raises(DataError, match=match):
        gn.load_model(path)


def test_really_compressed_archives_still_load(tmp_path):
    model = gn.Sequential([nn.Dense(3, 2)])
    arrays = {f"weights/{k}": v for k, v in model.state_dict().items()}
    head = np.array(json.dumps(header([dense(3, 2)])))
    savez(tmp_path / "c.gn", True, __glassnet__=head, **arrays)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(gn.load_model(tmp_path / "c.gn").predict(x), model.predict(x))


def test_empty_devnull_npy_truncated_and_folders_are_data_errors(tmp_path):
    (tmp_path / "empty.gn").write_bytes(b"")
    with pytest.raises(DataError, match="the file is empty"):
        gn.load_model(tmp_path / "empty.gn")
    with pytest.raises(DataError, match="not a regular file. Got a character device"):
        gn.load_model("/dev/null")
    with pytest.raises(DataError, match="not a regular file. Got a folder"):
        gn.load_model(tmp_path)
    np.save(tmp_path / "plain.npy", np.zeros(3))
    with pytest.raises(
        DataError, match="not a glassnet model file .or it is truncated.. Got a plain"
    ):
        gn.load_model(tmp_path / "plain.npy")
    whole = saved(tmp_path).read_bytes()
    for cut in (len(whole) // 3, len(whole) - 30):
        (tmp_path / "cut.gn").write_bytes(whole[:cut])
        with pytest.raises(DataError, match="not a glassnet model file"):
            gn.load_model(tmp_path / "cut.gn")


def test_a_member_whose_data_is_cut_short_is_a_data_error(tmp_path):
    path = saved(tmp_path)
    patched(path, "weights/0.w.npy", 20, "<I", 8)  # compressed size: far fewer bytes
    with pytest.raises(DataError, match="weights/0.w.npy' is (truncated|not a readable)"):
        gn.load_model(path)


def test_batch_norm_buffers_are_shape_checked_like_weights(tmp_path):
    model = gn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4)])
    state = model.state_dict()
    state["1.running_var"] = np.ones(5, np.float32)
    head = header(
        [
            dense(3, 4),
            {"class": "BatchNorm", "config": {"num_features": 4, "momentum": 0.1, "eps": 1e-5}},
        ]
    )
    path = write(tmp_path / "m.gn", head, state)
    with pytest.raises(
        DataError,
        match=r"weight '1.running_var' has the wrong shape for its "
        r"layer. Got \(5,\); expected \(4,\)",
    ):
        gn.load_model(path)


def test_non_float_weights_are_refused(tmp_path):
    state = gn.Sequential([nn.Dense(3, 4)]).state_dict()
    state["0.b"] = np.array(["a", "b", "c", "d"])
    with pytest.raises(DataError, match="'weights/0.b.npy' has an unsupported dtype. Got <U1"):
        gn.load_model(write(tmp_path / "m.gn", header([dense(3, 4)]), state))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_need_allow_nonfinite(tmp_path, bad):
    model = gn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4)])
    model.layers[1].running_mean[2] = bad
    model.save(tmp_path / "m.gn")
    with pytest.raises(
        DataError,
        match=r"weights/1.running_mean holds 1 NaN or infinite values"
        r"(.|\n)*allow_nonfinite=True",
    ):
        gn.load_model(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn", allow_nonfinite=True)
    assert np.isnan(bad) == np.isnan(loaded.layers[1].running_mean[2])


def test_non_finite_optimizer_state_is_refused_too(tmp_path):
    path = saved(tmp_path, compiled=True)
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["optimizer/v.0"] = np.full_like(arrays["optimizer/v.0"], np.inf)
    savez(tmp_path / "o.gn", **arrays)
    with pytest.raises(DataError, match="optimizer/v.0 holds 12 NaN or infinite values"):
        gn.load_model(tmp_path / "o.gn")


def test_optimizer_state_that_fits_no_parameter_is_refused(tmp_path):
    path = saved(tmp_path, compiled=True)
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["optimizer/m.0"] = np.zeros((300, 300), np.float32)
    savez(tmp_path / "o.gn", **arrays)
    with pytest.raises(
        DataError, match=r"optimizer state 'm.0' fits no parameter. Got \(300, 300\)"
    ):
        gn.load_model(tmp_path / "o.gn")


def test_files_of_version_1_and_the_pretrained_models_still_load(tmp_path):
    path = saved(tmp_path)
    with np.load(path) as archive:
        arrays = dict(archive)
    head = json.loads(str(arrays["__glassnet__"]))
    arrays["__glassnet__"] = np.array(json.dumps({**head, "version": 1}))
    savez(tmp_path / "v1.gn", **arrays)
    assert gn.load_model(tmp_path / "v1.gn").count_params() == gn.load_model(path).count_params()
    from glassnet import pretrained

    assert gn.load_model(pretrained.path("mnist-cnn")).count_params() > 100_000
