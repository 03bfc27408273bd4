"""PyTorch eager twins of the benchmark workloads (torch is a benchmark/test-only oracle)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _mlp(sizes, act):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return layers


def build(name: str):
    """(model, optimizer, loss_fn) for W1, W2 or W3, mirroring benchmarks/run.py."""
    torch.manual_seed(0)
    if name == "W1":
        model = nn.Sequential(*_mlp([784, 30, 10], nn.Sigmoid), nn.Sigmoid())
        opt = torch.optim.SGD(model.parameters(), lr=3.0)

        def loss_fn(out, y_onehot):  # quadratic cost 1/(2n) Σ‖y − a‖²
            return ((out - y_onehot) ** 2).sum() / (2 * out.shape[0])

        return model, opt, loss_fn
    if name == "W2":
        model = nn.Sequential(
            nn.Linear(784, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            nn.Flatten(),
            nn.Linear(9216, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, opt, nn.functional.cross_entropy


def epoch(parts, x: np.ndarray, y: np.ndarray, batch: int, onehot: bool) -> None:
    """One pass over (x, y) in mini-batches: forward, loss, backward, step."""
    model, opt, loss_fn = parts
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(np.eye(10, dtype=np.float32)[y] if onehot else y.astype(np.int64))
    model.train()
    for start in range(0, len(x), batch):
        xb, yb = xt[start : start + batch], yt[start : start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
