"""Every op in the table matches PyTorch in float64: forward values and input gradients."""

from __future__ import annotations

import pytest
from optable import OPS, cases_with_shapes, check_torch_parity


@pytest.mark.parametrize("case, shapes", cases_with_shapes(OPS))
def test_torch_parity(case, shapes):
    check_torch_parity(case, shapes)
