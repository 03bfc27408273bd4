"""Transfer learning across frameworks: PyTorch → ONNX → glassnet → ONNX → onnxruntime.

    python examples/transfer_learning_onnx.py        (needs torch and glassnet[interop])

1. Define a small ResNet-style network in PyTorch (a stem, three residual blocks, two of
   them with stride 2, BatchNorm everywhere, global average pooling) and pretrain it
   briefly on MNIST digits 0–4.
2. Export its feature extractor with ``torch.onnx.export`` and read it with
   ``gn.onnx.load``: a glassnet functional model whose outputs equal PyTorch's.
3. Freeze that base, put a new Dense head on it (5 outputs for digits 5–9), and train the
   head with ``fit`` on 500 images of the new digits.
4. Ask ``gn.explain.weight`` how one head weight's gradient is made (the chain rule with
   the numbers), then export the fine-tuned model to ONNX and check that onnxruntime
   gives glassnet's predictions.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from torch import nn

import glassnet as gn

SMOKE = os.environ.get("GLASSNET_SMOKE") == "1"


class Block(nn.Module):
    """conv-bn-relu-conv-bn, plus a shortcut (1×1 stride-s conv + bn when the size changes)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.short(x))


class Features(nn.Module):
    """The ResNet's base: (N, 1, 28, 28) images → (N, 32) features."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
        )
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 32, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return torch.flatten(self.pool(self.blocks(self.stem(x))), 1)


@functools.cache
def mnist():
    return gn.data.load_mnist()


def digits(wanted, n: int, seed: int, train: bool = True):
    (x_train, y_train), (x_test, y_test) = mnist()
    x, y = (x_train, y_train) if train else (x_test, y_test)
    rows = np.flatnonzero(np.isin(y, wanted))
    rows = np.random.default_rng(seed).choice(rows, min(n, len(rows)), replace=False)
    return (x[rows] / 255.0).astype(np.float32).reshape(-1, 1, 28, 28), y[rows] - min(wanted)


def pretrain_in_torch(steps: int, seed: int = 0) -> Features:
    """The base plus a 5-way head, trained with Adam on digits 0–4; returns the base."""
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # small batches: one thread is fastest, and fair to others
    base, head = Features(), nn.Linear(32, 5)
    x, y = digits(range(0, 5), 64 * steps, seed)
    optimizer = torch.optim.Adam([*base.parameters(), *head.parameters()], lr=3e-3)
    for i in range(steps):
        xb, yb = (
            torch.from_numpy(x[i * 64 : (i + 1) * 64]),
            torch.from_numpy(y[i * 64 : (i + 1) * 64]),
        )
        loss = nn.functional.cross_entropy(head(base(xb)), yb.long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return base.eval()


def to_glassnet(base: Features, folder: Path):
    """torch.onnx.export → file → gn.onnx.load; returns the glassnet base and the file."""
    buffer = io.BytesIO()
    torch.onnx.export(
        base,
        torch.zeros(1, 1, 28, 28),
        buffer,
        dynamo=False,
        opset_version=17,
        input_names=["x"],
        output_names=["features"],
        dynamic_axes={"x": {0: "N"}, "features": {0: "N"}},
    )
    path = folder / "resnet_base.onnx"
    path.write_bytes(buffer.getvalue())
    return gn.onnx.load(path), path


def main(smoke: bool = SMOKE) -> dict:
    steps, labelled, epochs = (40, 300, 4) if smoke else (200, 500, 10)
    base_torch = pretrain_in_torch(steps)
    with tempfile.TemporaryDirectory() as folder:
        base, _ = to_glassnet(base_torch, Path(folder))
        x_check = digits(range(10), 64, seed=1, train=False)[0]
        with torch.no_grad():
            torch_features = base_torch(torch.from_numpy(x_check)).numpy()
        import_diff = float(np.abs(base.predict(x_check) - torch_features).max())
        print(f"imported base: |glassnet − PyTorch| ≤ {import_diff:.2g} on 64 test images")

        base.trainable = False  # frozen: its BatchNorm layers keep their running statistics
        model = gn.Sequential([base, gn.nn.Dense(32, 5, seed=0)])
        model.compile(gn.optim.Adam(lr=1e-2), "cross_entropy", ["accuracy"])
        print(model.summary((1, 28, 28)))
        x, y = digits(range(5, 10), labelled, seed=2)
        x_test, y_test = digits(range(5, 10), 1000, seed=3, train=False)
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=0)
        accuracy = model.evaluate(x_test, y_test)["accuracy"]
        print(f"digits 5–9, head trained on {labelled} images: test accuracy {accuracy:.1%}")

        explanation = gn.explain.weight(
            model, x[:1], y[:1], "1.w[0, 0]", loss="cross_entropy", lr=1e-2
        )
        print(explanation)

        path = Path(folder) / "fine_tuned.onnx"
        gn.onnx.export(model, path, input_shape=(1, 28, 28))
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        runtime = session.run(None, {"input": x_test})[0]
        export_diff = float(np.abs(runtime - model.predict(x_test)).max())
        print(f"fine-tuned model in onnxruntime: |onnxruntime − glassnet| ≤ {export_diff:.2g}")
    return {
        "import_diff": import_diff,
        "export_diff": export_diff,
        "accuracy": accuracy,
        "explanation": explanation,
        "model": model,
    }


if __name__ == "__main__":
    main()
