"""Every op in the table passes a central-difference gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
from optable import ISSUE_OPS, OPS, cases_with_shapes, check_gradcheck

import glassnet as gn


@pytest.mark.parametrize("case, shapes", cases_with_shapes(OPS))
def test_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


def test_every_issue_op_has_a_row():
    covered = {case.op for case in OPS}
    assert [op for op in ISSUE_OPS if op not in covered] == []


@pytest.mark.parametrize("op", ISSUE_OPS)
def test_each_op_has_scalar_batch_and_broadcasting_shapes(op):
    cases = [case for case in OPS if case.op == op]
    shape_sets = [shapes for case in cases for shapes in case.shapes]
    scalar = any(
        () in shapes
        or case.fn(*[gn.tensor(np.ones(s), dtype=np.float64) for s in shapes]).ndim == 0
        for case in cases
        for shapes in case.shapes
    )
    assert scalar or all(case.no_scalar for case in cases), f"{op}: no scalar case"
    assert any(len(s) >= 3 for shapes in shape_sets for s in shapes), f"{op}: no batch case"
    if any(case.broadcasts for case in cases):
        assert any(len(set(shapes)) > 1 for shapes in shape_sets), f"{op}: no broadcasting pair"
