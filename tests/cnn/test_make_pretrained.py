"""The pretrained models' script: its weight averaging and BatchNorm recomputation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import update_bn

import glassnet as gn

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "make_pretrained_mnist_cnn.py"
spec = importlib.util.spec_from_file_location("make_pretrained_mnist_cnn", SCRIPT)
make = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make)


def _images(n: int) -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = gn.data.load_mnist()
    return gn.vision.mnist_to_images(x[:n]), y[:n]


def _torch_base(model: gn.Sequential) -> torch.nn.Sequential:
    """Layers 0–7 (up to the second BatchNorm and pool) as a float64 torch network."""
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.BatchNorm2d(16),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.BatchNorm2d(32),
    ).double()
    with torch.no_grad():
        for index in (0, 4):
            twin[index].weight.copy_(torch.from_numpy(model[index].w.data.astype(np.float64)))
            twin[index].bias.copy_(torch.from_numpy(model[index].b.data.astype(np.float64)))
        for index in (1, 5):
            twin[index].weight.copy_(torch.from_numpy(model[index].gamma.data.astype(float)))
            twin[index].bias.copy_(torch.from_numpy(model[index].beta.data.astype(float)))
    return twin


def test_recomputed_batch_norm_statistics_match_torch_update_bn():
    x, _ = _images(96)
    model = gn.pretrained.load("mnist-cnn")
    twin = _torch_base(model)
    # one batch holding every image: torch's statistics are then exactly the data's
    update_bn([torch.from_numpy(x.astype(np.float64))], twin)
    make.recompute_batch_norm(model, x, batch=25)  # in uneven chunks
    for index, side in ((1, 28), (5, 14)):
        values = len(x) * side * side  # torch keeps the unbiased variance
        expected_var = twin[index].running_var.numpy() * (values - 1) / values
        np.testing.assert_allclose(model[index].running_mean, twin[index].running_mean, 1e-4)
        np.testing.assert_allclose(model[index].running_var, expected_var, rtol=1e-4)
    whole = gn.pretrained.load("mnist-cnn")
    make.recompute_batch_norm(whole, x, batch=1000)
    np.testing.assert_allclose(whole[5].running_var, model[5].running_var, rtol=1e-6)
    assert model.training


def test_weight_averaging_stage_is_the_mean_of_each_epochs_weights(capsys):
    x, y = _images(256)
    model, twin = make.build(), make.build()
    make.swa_stage(model, x, y, stage=5, plan=(2, 1e-3, 1))
    # the same two epochs by hand: same fresh Adam, shifted images and seeds
    twin.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="cross_entropy")
    rng, snapshots = np.random.default_rng(make.SEED + 4), []
    for epoch in range(2):
        shifted = make.shifted(x, rng, 1)
        twin.fit(shifted, y, epochs=1, batch_size=128, verbose=0, seed=make.SEED + 30 + epoch)
        snapshots.append(dict(twin.named_parameters()))
        snapshots[-1] = {k: p.data.copy() for k, p in snapshots[-1].items()}
    for name, p in model.named_parameters():
        mean = (snapshots[0][name] + snapshots[1][name]) / 2
        np.testing.assert_allclose(p.data, mean, rtol=1e-5, atol=1e-7, err_msg=name)
    assert not np.allclose(snapshots[0]["0.w"], snapshots[1]["0.w"])  # two different points
    stats = model[5].running_mean.copy()
    make.recompute_batch_norm(model, x)
    np.testing.assert_allclose(model[5].running_mean, stats, rtol=1e-6)
    assert capsys.readouterr().out.count("Epoch 1/1") == 2


def test_the_averaging_stage_is_only_added_on_request():
    shipped = dict(make.existing_rows())["mnist-cnn"].split(" | ")[4]  # the README's epochs
    default = make.EPOCHS["mnist-cnn"] + sum(plan[0] for plan in make.stages("mnist-cnn"))
    assert str(default) == shipped == "25"
    assert make.stages("mnist-cnn", swa=True)[-1] == make.SWA_STAGE["mnist-cnn"] == (12, 1e-4, 1)
    assert make.stages("mnist-cnn-digits0-4", swa=True) == []
