"""DataLoader over map-style datasets (PyTorch's habit), Dataset, TensorDataset, collate."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ConfigError, DataError, ShapeError


class Squares:
    """A map-style dataset that is no glassnet class at all: __len__ and __getitem__."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, -i], np.float32), i * i


def test_any_map_style_dataset_batches_in_order_and_shuffled():
    batches = list(gn.data.DataLoader(Squares(), batch_size=3, shuffle=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 4], [9, 16, 25], [36]]
    assert batches[0][0].shape == (3, 2) and batches[0][0].dtype == np.float32
    loader = gn.data.DataLoader(Squares(), batch_size=3, seed=0, drop_last=True)
    seen = np.concatenate([xb[:, 0] for xb, _ in loader])
    assert len(loader) == 2 and len(seen) == 6 and len(set(seen.tolist())) == 6
    assert seen.tolist() != sorted(seen.tolist())  # shuffled
    for xb, yb in loader:
        np.testing.assert_array_equal(xb[:, 0] ** 2, yb)  # pairs stay together


def test_dataset_subclass_and_custom_collate():
    class Pairs(gn.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"x": np.full(3, i), "y": i}

    batch = next(iter(gn.data.DataLoader(Pairs(), batch_size=4, shuffle=False)))
    assert batch["x"].shape == (4, 3) and batch["y"].tolist() == [0, 1, 2, 3]
    loader = gn.data.DataLoader(Pairs(), batch_size=2, shuffle=False, collate_fn=len)
    assert list(loader) == [2, 2]


def test_tensor_dataset_is_sliced_like_arrays():
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    dataset = gn.data.TensorDataset(x, y)
    assert len(dataset) == 5 and dataset[2][0].tolist() == [4.0, 5.0]
    loader = gn.data.DataLoader(dataset, batch_size=2, shuffle=False)
    assert loader.dataset is None  # two arrays: the slicing path
    assert [yb.tolist() for _, yb in loader] == [[0, 1], [2, 3], [4]]
    three = gn.data.DataLoader(gn.data.TensorDataset(x, y, y * 2), batch_size=5, shuffle=False)
    xb, yb, zb = next(iter(three))
    np.testing.assert_array_equal(zb, y * 2)


def test_model_fit_trains_from_a_dataset_loop():
    gn_model = gn.Sequential(gn.nn.Dense(2, 8, seed=0), gn.nn.Tanh(), gn.nn.Dense(8, 2, seed=1))
    x, y = gn.data.make_xor(64, seed=0)
    loader = gn.data.DataLoader(gn.data.TensorDataset(x, y), batch_size=16, seed=0)
    opt, loss_fn = gn.optim.Adam(gn_model.parameters(), lr=0.05), gn.losses.CrossEntropy()
    losses = []
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(gn_model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < 0.5 * np.mean(losses[:4])


def test_dataset_errors():
    with pytest.raises(
        ConfigError, match="a dataset already holds its targets, so y must be None"
    ):
        gn.data.DataLoader(Squares(), np.zeros(7))
    with pytest.raises(ShapeError, match=r"TensorDataset: the arrays hold different numbers"):
        gn.data.TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ConfigError, match="TensorDataset: needs at least one array"):
        gn.data.TensorDataset()

    class Ragged:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros(i + 1), 0

    with pytest.raises(DataError, match=r"field 0 differ in shape.*\n  hint: pad or resize"):
        list(gn.data.DataLoader(Ragged(), batch_size=2))
    with pytest.raises(TypeError, match="abstract"):
        gn.data.Dataset()
