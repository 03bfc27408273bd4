"""The cross-framework transfer-learning example end to end at a small size: a ResNet-style
base from PyTorch through ONNX into glassnet, frozen, a new head trained with fit, one head
weight explained, and the fine-tuned model checked in onnxruntime."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "transfer_learning_onnx.py"


@pytest.mark.slow
def test_transfer_learning_onnx_example_round_trip():
    spec = importlib.util.spec_from_file_location("example_transfer_onnx", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(smoke=True)
    assert result["import_diff"] < 1e-4  # glassnet's imported base vs PyTorch
    assert result["export_diff"] < 1e-5  # onnxruntime vs glassnet predict
    assert result["accuracy"] > 0.35  # 5 classes: chance is 0.2
    e = result["explanation"]
    assert e.gradient == pytest.approx(e.autograd, rel=1e-7) and e.gradient != 0
    base, head = result["model"][0], result["model"][1]
    assert not any(p.trainable for p in base.parameters()) and head.w.trainable
    assert np.isfinite(head.w.data).all()
