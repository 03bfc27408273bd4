"""explain.weight's numbers against PyTorch in float64: the chain-rule gradient of every
weight of a small MLP, and the SGD-momentum and Adam updates it writes out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn


def twins(seed: int = 0):
    net = gn.Sequential(
        [gn.nn.Dense(3, 4, seed=seed), gn.nn.Tanh(), gn.nn.Dense(4, 2, seed=seed + 1)]
    )
    layers = [torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)]
    with torch.no_grad():
        for k in (0, 2):
            layers[k].weight.copy_(torch.tensor(net[k].w.data.T, dtype=torch.float64))
            layers[k].bias.copy_(torch.tensor(net[k].b.data, dtype=torch.float64))
    return net, torch.nn.Sequential(*layers).double()


def torch_grads(model, x, y) -> dict:
    model.zero_grad()
    out = model(torch.tensor(x[None], dtype=torch.float64))
    torch.nn.functional.mse_loss(out, torch.tensor(y[None], dtype=torch.float64)).backward()
    return {f"{k}.w": model[k].weight.grad.numpy().T for k in (0, 2)} | {
        f"{k}.b": model[k].bias.grad.numpy() for k in (0, 2)
    }


def test_every_weights_chain_rule_matches_torch():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=3), rng.normal(size=2)
    net, model = twins()
    expected = torch_grads(model, x, y)
    for name, p in net.named_parameters():
        for index in np.ndindex(p.shape):
            spec = f"{name}[{', '.join(map(str, index))}]"
            e = gn.explain.weight(net, x, y, spec, loss="mse")
            assert e.gradient == pytest.approx(float(expected[name][index]), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda: gn.optim.SGD(lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        ),
        (lambda: gn.optim.Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ],
)
def test_the_written_update_matches_torchs_second_step(ours, theirs):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=3), rng.normal(size=2)
    net, model = twins()
    net_opt = ours().bind(net.parameters())
    torch_opt = theirs(model.parameters())
    gn.losses.MSE()(net(x[None].astype(np.float32)), y[None]).backward()
    net_opt.step()  # one real step first, so the state (velocity, m, v, t) is not zero
    torch_grads(model, x, y)
    torch_opt.step()
    e = gn.explain.weight(net, x, y, "2.w[1, 0]", loss="mse", optimizer=net_opt)
    torch_grads(model, x, y)
    torch_opt.step()
    assert e.new_value == pytest.approx(model[2].weight[0, 1].item(), rel=1e-5)
