"""Image layers against their torch twins, their errors, and the MNIST image helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.vision import mnist_to_images

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")


def _torch_conv(layer: gn.nn.Conv2D) -> torch.nn.Conv2d:
    twin = torch.nn.Conv2d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        layer.stride,
        layer.padding,
        layer.dilation,
        dtype=torch.float64,
    )
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.w.data))
        twin.bias.copy_(torch.from_numpy(layer.b.data))
    return twin


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (1, "same"), (2, 1), ((2, 1), (0, 2))])
def test_conv2d_layer_matches_torch_conv2d(stride, padding):
    layer = gn.nn.Conv2D(3, 4, (3, 2), stride=stride, padding=padding, seed=0, dtype=np.float64)
    layer.b.data[:] = np.arange(4) * 0.1
    twin = _torch_conv(layer)
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 7))
    y, yt = layer(x), twin(torch.from_numpy(x))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad_y = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(grad_y)
    yt.backward(torch.from_numpy(grad_y))
    np.testing.assert_allclose(layer.w.grad, twin.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.b.grad, twin.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_channel_mismatch_names_layer_and_both_shapes():
    layer = gn.nn.Conv2D(32, 64, 3)
    with pytest.raises(
        gn.ShapeError,
        match=r"Conv2D\(32 → 64, 3×3\): input has 16 channels on axis 1, expected 32\. "
        r"Got x\.shape=\(8, 16, 12, 12\); expected \(N, 32, H, W\)\.",
    ):
        layer(np.zeros((8, 16, 12, 12), np.float32))


def test_conv2d_input_errors_and_settings():
    with pytest.raises(
        gn.ShapeError, match=r"(?s)4-D image batch.*x\.shape=\(5, 28, 28\).*mnist_to_images"
    ):
        gn.nn.Conv2D(1, 2, 3)(np.zeros((5, 28, 28), np.float32))
    with pytest.raises(gn.ShapeError, match=r"the 5×5 window does not fit the 3×3 image"):
        gn.nn.Conv2D(1, 2, 5)(np.zeros((1, 1, 3, 3), np.float32))
    with pytest.raises(gn.ConfigError, match=r"unknown padding 'full'"):
        gn.nn.Conv2D(1, 2, 3, padding="full")
    with pytest.raises(gn.ConfigError, match=r"stride must be an int ≥ 1 or a pair"):
        gn.nn.Conv2D(1, 2, 3, stride=0)
    with pytest.raises(gn.ConfigError, match=r"in_channels must be a positive int"):
        gn.nn.Conv2D(0, 2, 3)
    with pytest.raises(gn.ShapeError, match=r"conv2d: x has 2 channels but the kernels expect 3"):
        gn.ops.conv2d(np.zeros((1, 2, 5, 5)), np.zeros((4, 3, 3, 3)))
    with pytest.raises(gn.ShapeError, match=r"the bias needs one value per kernel"):
        gn.ops.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3))


def test_pool_layers_shapes_and_errors():
    x = gn.randn((2, 3, 7, 7), seed=0)
    assert gn.nn.MaxPool2D(2)(x).shape == (2, 3, 3, 3)
    assert gn.nn.AvgPool2D(3, stride=2, padding=1)(x).shape == (2, 3, 4, 4)
    assert gn.nn.GlobalAvgPool2D()(x).shape == (2, 3)
    with pytest.raises(gn.ConfigError, match=r"padding may be at most half the kernel"):
        gn.nn.MaxPool2D(2, padding=2)
    with pytest.raises(gn.ShapeError, match=r"MaxPool2D\(4×4\): the 4×4 window does not fit"):
        gn.nn.MaxPool2D(4)(gn.randn((1, 1, 3, 3), seed=0))
    with pytest.raises(gn.ShapeError, match=r"global_avg_pool2d: x must be a 4-D image batch"):
        gn.nn.GlobalAvgPool2D()(gn.randn((2, 3), seed=0))


def _torch_bn(layer: gn.nn.BatchNorm, ndim: int):
    cls = torch.nn.BatchNorm1d if ndim == 2 else torch.nn.BatchNorm2d
    twin = cls(layer.num_features, momentum=layer.momentum, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.gamma.data))
        twin.bias.copy_(torch.from_numpy(layer.beta.data))
    return twin


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5, 5)])
def test_batch_norm_layer_matches_torch_in_training_and_evaluation(shape):
    layer = gn.nn.BatchNorm(3, dtype=np.float64)
    layer.gamma.data[:] = [0.5, 1.0, 2.0]
    twin = _torch_bn(layer, len(shape))
    rng = np.random.default_rng(0)
    for _ in range(3):  # three training steps move the running statistics
        x = rng.standard_normal(shape) * 2 + 1
        y, yt = layer(x), twin(torch.from_numpy(x))
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad_y = rng.standard_normal(shape)
    y.backward(grad_y)
    yt.backward(torch.from_numpy(grad_y))
    np.testing.assert_allclose(layer.gamma.grad, twin.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean, twin.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, twin.running_var.numpy(), rtol=1e-12)
    layer.eval(), twin.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(
        layer(x).data, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-10
    )


def test_batch_norm_running_statistics_are_in_the_state_dict():
    model = gn.nn.Sequential([gn.nn.Conv2D(1, 2, 3, seed=0), gn.nn.BatchNorm(2)])
    model(gn.randn((4, 1, 5, 5), seed=1))
    state = model.state_dict()
    assert set(state) == {"0.w", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var"}
    fresh = gn.nn.Sequential([gn.nn.Conv2D(1, 2, 3, seed=5), gn.nn.BatchNorm(2)])
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].running_var, model[1].running_var)
    assert not np.allclose(fresh[1].running_var, 1.0)


def test_frozen_batch_norm_uses_and_keeps_running_statistics():
    layer = gn.nn.BatchNorm(2)
    layer.running_mean[:] = [1.0, -1.0]
    layer.running_var[:] = [4.0, 0.25]
    layer.trainable = False
    x = np.random.default_rng(0).standard_normal((8, 2, 3, 3)).astype(np.float32)
    y = layer(x)  # training mode, but frozen
    expected = (x - layer.running_mean[:, None, None]) / np.sqrt(
        layer.running_var[:, None, None] + 1e-5
    )
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.running_mean, [1.0, -1.0])
    assert layer.training and not layer.trainable


def test_batch_norm_errors():
    with pytest.raises(
        gn.ShapeError, match=r"BatchNorm\(3\): input has 4 channels on axis 1, expected 3"
    ):
        gn.nn.BatchNorm(3)(np.zeros((2, 4)))
    with pytest.raises(gn.ShapeError, match=r"input must be \(N, C\) features or \(N, C, H, W\)"):
        gn.nn.BatchNorm(3)(np.zeros((2, 3, 4)))
    with pytest.raises(gn.ConfigError, match=r"momentum must be in \(0, 1\]"):
        gn.nn.BatchNorm(3, momentum=0.99 + 1)
    with pytest.raises(gn.ConfigError, match=r"eps must be a positive number"):
        gn.nn.BatchNorm(3, eps=0)
    with pytest.raises(gn.ShapeError, match=r"more than one value per channel"):
        gn.ops.batch_norm(np.zeros((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(gn.ConfigError, match=r"evaluation mode normalises with the running"):
        gn.ops.batch_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), training=False)
    with pytest.raises(gn.ShapeError, match=r"gamma needs one value per channel"):
        gn.ops.batch_norm(np.zeros((2, 3)), np.ones(2), np.zeros(3))


def test_reshape_layer():
    y = gn.nn.Reshape((1, 28, 28))(np.zeros((5, 784), np.float32))
    assert y.shape == (5, 1, 28, 28)
    assert gn.nn.Reshape((-1, 4))(np.zeros((2, 8))).shape == (2, 2, 4)
    with pytest.raises(
        gn.ShapeError, match=r"Reshape\(\(1, 28, 28\)\): cannot lay out 100 values"
    ):
        gn.nn.Reshape((1, 28, 28))(np.zeros((5, 100)))
    with pytest.raises(gn.ConfigError, match=r"target_shape must be a tuple of positive ints"):
        gn.nn.Reshape((-1, -1))


def test_mnist_to_images():
    x = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28) % 256
    images = mnist_to_images(x.astype(np.uint8))
    assert images.shape == (2, 1, 28, 28) and images.dtype == np.float32
    np.testing.assert_allclose(images[:, 0], x / 255, rtol=1e-6)
    assert mnist_to_images(np.zeros((28, 28), np.uint8)).shape == (1, 1, 28, 28)
    with pytest.raises(gn.DTypeError, match=r"pixels must be uint8.*dtype float32"):
        mnist_to_images(images)
    with pytest.raises(gn.ShapeError, match=r"expected a batch of grey images"):
        mnist_to_images(np.zeros((2, 1, 28, 28), np.uint8))


def test_image_layers_survive_save_and_load(tmp_path):
    nn = gn.nn
    model = gn.Sequential(
        [
            nn.Reshape((1, 12, 12)),
            nn.Conv2D(1, 3, (3, 2), stride=(1, 2), padding="same", dilation=1, seed=0),
            nn.BatchNorm(3),
            nn.ReLU(),
            nn.MaxPool2D(2, stride=1, padding=1),
            nn.AvgPool2D(3, stride=2),
            nn.Conv2D(3, 4, 2, padding=(1, 0), use_bias=False, seed=1),
            nn.GlobalAvgPool2D(),
            nn.BatchNorm(4),
        ]
    )
    x = np.random.default_rng(0).random((6, 144), dtype=np.float32)
    model(x)  # one training-mode pass moves the running statistics
    model.save(tmp_path / "cnn.gn")
    loaded = gn.load_model(tmp_path / "cnn.gn")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded[2].running_var, model[2].running_var)
    assert [str(a) for a in loaded] == [str(b) for b in model]
