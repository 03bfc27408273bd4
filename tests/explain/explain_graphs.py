"""Small functional models (graphs, not chains) for the explain tests, and their PyTorch
twin: the same graph replayed from the model's plan with torch's own ops in float64."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import glassnet as gn

Dense, Conv2D, layers = gn.nn.Dense, gn.nn.Conv2D, gn.layers


def residual_mlp():
    """The issue's residual MLP: Dense → ReLU → Dense, added to the input."""
    x = gn.Input((3,))
    h = Dense(5, 3, seed=1)(gn.nn.ReLU()(Dense(3, 5, seed=0)(x)))
    return gn.Model(x, layers.Add()([h, x])), "mse", (3,), (3,)


def stem_residual_mlp():
    """A stem layer whose output feeds a residual block and its skip: two paths."""
    x = gn.Input((3,))
    stem = gn.nn.Tanh()(Dense(3, 4, seed=0)(x))
    block = Dense(5, 4, seed=2)(gn.nn.ReLU()(Dense(4, 5, seed=1)(stem)))
    y = Dense(4, 2, seed=3)(layers.Add()([block, stem]))
    return gn.Model(x, y), "mse", (3,), (2,)


def residual_cnn():
    """Conv2D stem, a conv block added back to the stem (Add), then a Dense head."""
    x = gn.Input((1, 5, 5))
    stem = gn.nn.ReLU()(Conv2D(1, 2, 3, padding=1, seed=0)(x))
    block = Conv2D(2, 2, 3, padding=1, seed=1)(stem)
    h = gn.nn.Flatten()(layers.Add()([block, stem]))
    return gn.Model(x, Dense(50, 3, seed=2)(h)), "cross_entropy", (1, 5, 5), ()


def concat_branches():
    """Two branches of the input side by side (Concatenate), then a head."""
    x = gn.Input((3,))
    a = gn.nn.Tanh()(Dense(3, 2, seed=0)(x))
    b = Dense(3, 3, seed=1)(x)
    return gn.Model(x, Dense(5, 2, seed=2)(layers.Concatenate()([a, b]))), "mse", (3,), (2,)


def multiply_gate():
    """A value branch scaled by a sigmoid gate (Multiply), as in a gated unit."""
    x = gn.Input((3,))
    value = Dense(3, 4, seed=0)(x)
    gate = gn.nn.Sigmoid()(Dense(3, 4, seed=1)(x))
    return gn.Model(x, Dense(4, 1, seed=2)(layers.Multiply()([value, gate]))), "mse", (3,), (1,)


GRAPHS = [residual_mlp, stem_residual_mlp, residual_cnn, concat_branches, multiply_gate]

_ACTS = {gn.nn.ReLU: torch.relu, gn.nn.Tanh: torch.tanh, gn.nn.Sigmoid: torch.sigmoid}


def _torch_layer(layer, name: str, params: dict, args: list):
    if isinstance(layer, gn.nn.Dense):
        z = args[0] @ params[f"{name}.w"] + params[f"{name}.b"]
        return z if layer.activation is None else getattr(torch, layer.activation)(z)
    if isinstance(layer, gn.nn.Conv2D):
        w, b = params[f"{name}.w"], params[f"{name}.b"]
        return F.conv2d(args[0], w, b, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, gn.nn.Flatten):
        return args[0].reshape(args[0].shape[0], -1)
    if isinstance(layer, gn.layers.Add):
        return sum(args[1:], args[0])
    if isinstance(layer, gn.layers.Multiply):
        return args[0] * args[1]
    if isinstance(layer, gn.layers.Concatenate):
        return torch.cat(args, dim=layer.axis)
    return _ACTS[type(layer)](args[0])


def torch_grads(model, x: np.ndarray, y, loss: str) -> dict:
    """Every parameter's gradient for one sample, the graph replayed by torch in float64."""
    params = {
        n: torch.tensor(p.data, dtype=torch.float64, requires_grad=True)
        for n, p in model.named_parameters()
    }
    values = [torch.tensor(np.asarray(x)[None], dtype=torch.float64)]
    for index, slots, _ in model.spec["steps"]:
        args = [values[s] for s in slots]
        values.append(_torch_layer(model.layers[index], str(index), params, args))
    out = values[model.spec["outputs"][0]]
    if loss == "mse":
        value = F.mse_loss(out, torch.tensor(np.asarray(y)[None], dtype=torch.float64))
    else:
        value = F.cross_entropy(out, torch.tensor([int(y)]))
    value.backward()
    return {n: t.grad.numpy() for n, t in params.items()}


def sample(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def target(loss: str, shape: tuple, seed: int):
    return 1 if loss == "cross_entropy" else sample(shape, seed + 100)


def spec(name: str, index: tuple) -> str:
    return f"{name}[{', '.join(map(str, index))}]"
