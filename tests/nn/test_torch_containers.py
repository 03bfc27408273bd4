"""PyTorch habits in modules: ModuleList, ModuleDict, Sequential(a, b, c), the warning for
a plain list of layers, gn.manual_seed and the state-dict round trip through np.savez."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import _config
from glassnet.errors import ConfigError, TensorIndexError
from glassnet.nn.containers import ModuleKeyError
from glassnet.nn.module import UnregisteredModulesWarning


class Tower(gn.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = gn.nn.ModuleList([gn.nn.Dense(3, 4, seed=0), gn.nn.Dense(4, 4, seed=1)])
        self.heads = gn.nn.ModuleDict(
            {"a": gn.nn.Dense(4, 1, seed=2), "b": gn.nn.Dense(4, 2, seed=3)}
        )

    def forward(self, x):
        for block in self.blocks:
            x = block(x).relu()
        return self.heads["a"](x) + self.heads["b"](x).sum(axis=1, keepdims=True)


def test_module_list_and_dict_register_and_train():
    model = Tower()
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "blocks.0.w", "blocks.0.b", "blocks.1.w", "blocks.1.b",
        "heads.a.w", "heads.a.b", "heads.b.w", "heads.b.b",
    ]  # fmt: skip
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    before = model.blocks[0].w.numpy().copy()
    loss = (model(np.ones((2, 3), np.float32)) ** 2).mean()
    loss.backward()
    opt.step()
    assert not np.array_equal(before, model.blocks[0].w.numpy())
    assert all(p.grad is not None for p in model.parameters())


def test_module_list_editing():
    blocks = gn.nn.ModuleList()
    blocks.append(gn.nn.ReLU()).extend([gn.nn.Tanh(), gn.nn.Sigmoid()])
    assert len(blocks) == 3 and isinstance(blocks[-1], gn.nn.Sigmoid)
    blocks[1] = gn.nn.Dense(2, 2)
    assert [n for n, _ in blocks.named_parameters()] == ["1.w", "1.b"]
    assert [type(b).__name__ for b in blocks[1:]] == ["Dense", "Sigmoid"]
    with pytest.raises(TensorIndexError, match=r"ModuleList: index out of range\. Got 3"):
        blocks[3]
    with pytest.raises(ConfigError, match=r"entry 3 must be a Module\. Got type"):
        blocks.append(gn.nn.ReLU)
    with pytest.raises(ConfigError, match="has no forward of its own"):
        blocks(np.ones(2))


def test_module_dict_editing():
    heads = gn.nn.ModuleDict()
    heads["x"] = gn.nn.Dense(2, 1)
    heads.update([("y", gn.nn.Dense(2, 3))])
    assert heads.keys() == ["x", "y"] and "y" in heads and len(heads) == 2
    del heads["x"]
    assert [n for n, _ in heads.named_parameters()] == ["y.w", "y.b"]
    with pytest.raises(ModuleKeyError, match=r"ModuleDict: no such key\. Got 'x'"):
        heads["x"]
    with pytest.raises(ConfigError, match="keys must be non-empty strings without dots"):
        heads["a.b"] = gn.nn.ReLU()
    with pytest.raises(ConfigError, match="self.heads\\['mean'\\]"):
        heads(np.ones(2))


def test_plain_list_of_layers_warns_naming_module_list():
    class Bad(gn.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [gn.nn.Dense(2, 2)]
            self.named = {"a": gn.nn.Dense(2, 2)}
            self.sizes = [2, 3]  # not layers: no warning

    with pytest.warns(UnregisteredModulesWarning) as record:
        model = Bad()
    assert len(record) == 2
    assert "Bad.layers: a plain list of layers registers none" in str(record[0].message)
    assert "hint: write self.layers = gn.nn.ModuleList(...)" in str(record[0].message)
    assert "gn.nn.ModuleDict" in str(record[1].message)
    assert record[0].filename == __file__  # points at the user's assignment
    assert model.parameters() == []


def test_sequential_takes_layers_as_arguments_or_a_list():
    a = gn.Sequential(gn.nn.Dense(2, 3, seed=0), gn.nn.ReLU(), gn.nn.Dense(3, 1, seed=1))
    b = gn.Sequential([gn.nn.Dense(2, 3, seed=0), gn.nn.ReLU(), gn.nn.Dense(3, 1, seed=1)])
    assert len(a) == len(b) == 3 and list(dict(a.named_parameters())) == [
        "0.w",
        "0.b",
        "2.w",
        "2.b",
    ]
    x = np.ones((4, 2), np.float32)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    assert len(gn.nn.Sequential(gn.nn.ReLU())) == 1 and len(gn.Sequential()) == 0
    with pytest.raises(ConfigError, match="every layer must be a Module"):
        gn.Sequential(gn.nn.ReLU(), gn.nn.ReLU)


@pytest.fixture
def restore_default_generator():
    yield
    _config.default_generator = None


def test_manual_seed_sets_the_default_generator(restore_default_generator):
    def draw():
        layer = gn.nn.Dense(3, 2)
        mask = gn.nn.Dropout(0.5)(np.ones((4, 4), np.float32)).numpy()
        return layer.w.numpy(), mask, gn.randn((3,)).numpy()

    gn.manual_seed(7)
    first = draw()
    gn.manual_seed(7)
    second = draw()
    for u, v in zip(first, second):
        np.testing.assert_array_equal(u, v)
    gn.manual_seed(8)
    assert not np.array_equal(draw()[0], first[0])
    gn.manual_seed(7)  # an explicit seed still wins
    np.testing.assert_array_equal(
        gn.nn.Dense(3, 2, seed=1).w.numpy(), gn.nn.Dense(3, 2, seed=1).w.numpy()
    )
    with pytest.raises(
        ConfigError, match=r"manual_seed: the seed must be an integer ≥ 0\. Got -1"
    ):
        gn.manual_seed(-1)


def test_without_manual_seed_draws_differ(restore_default_generator):
    _config.default_generator = None  # as in a fresh process (another test may have seeded)
    assert not np.array_equal(gn.nn.Dense(8, 8).w.numpy(), gn.nn.Dense(8, 8).w.numpy())


def test_state_dict_round_trip_through_savez(tmp_path):
    model = Tower()
    np.savez(tmp_path / "weights.npz", **model.state_dict())
    fresh = Tower()
    for p in fresh.parameters():
        p.data[...] = 0
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as saved:
        fresh.load_state_dict(dict(saved))
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())
    with pytest.raises(ConfigError, match=r"save: ModuleList: .*\n  hint: save model.state_dict"):
        gn.Sequential(model.blocks).save(tmp_path / "m.gn")
