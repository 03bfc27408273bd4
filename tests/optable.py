"""The one op table: every primitive op, its torch twin, shapes, domain and kinks.

Each :class:`OpCase` row drives two checks (tests/test_ops_gradcheck.py and
tests/test_ops_torch.py): a central-difference gradcheck in float64 and PyTorch parity of
forward and backward in float64, both with a random upstream gradient.

Other op families add rows without touching this file: build a list of ``OpCase`` in
your own test module and run the same checks on it::

    from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

    LOSS_OPS = [OpCase("mse", "mse", lambda p, t: ..., lambda p, t: ..., shapes=...)]

    @pytest.mark.parametrize("case, shapes", cases_with_shapes(LOSS_OPS))
    def test_loss_gradcheck(case, shapes):
        check_gradcheck(case, shapes)

Shapes: every op has a scalar case (a 0-d input or output), a batch case (an input with
three or more axes) and, for ops that broadcast, a pair such as (3, 1) with (1, 4);
``no_scalar`` states why an op has no scalar case. Kinks (|x| at 0, clip at its bounds,
ties of max) are kept out of the samples; their exact behaviour is tested on its own.

Layout: the row type, the sampler and the two checks are in tests/opcase.py, the rows in
tests/optable_cases.py; this module joins them into ``OPS`` and re-exports the rest, so
tests import everything from here.
"""

from __future__ import annotations

from opcase import (
    BINARY,
    MATRIX,
    UNARY,
    OpCase,
    Shapes,
    cases_with_shapes,
    check_gradcheck,
    check_torch_parity,
    pattern,
    sample,
)
from optable_cases import (
    ACTIVATION,
    ARITHMETIC,
    AWAY_FROM_ZERO,
    MATMUL,
    POSITIVE,
    REDUCE,
    SHAPE,
)

__all__ = [
    "ACTIVATION",
    "ARITHMETIC",
    "AWAY_FROM_ZERO",
    "BINARY",
    "ISSUE_OPS",
    "MATMUL",
    "MATRIX",
    "OPS",
    "OpCase",
    "POSITIVE",
    "REDUCE",
    "SHAPE",
    "Shapes",
    "UNARY",
    "cases_with_shapes",
    "check_gradcheck",
    "check_torch_parity",
    "pattern",
    "sample",
]

OPS: list[OpCase] = ARITHMETIC + MATMUL + REDUCE + SHAPE + ACTIVATION

# The ops issue 2 lists, each of which must have at least one row above.
ISSUE_OPS = (
    "+ − × ÷ ** neg matmul linear exp log sqrt abs maximum minimum clip where sum mean max min "
    "var "
    "reshape transpose permute swapaxes expand_dims squeeze broadcast_to flatten getitem "
    "concatenate stack pad relu leaky_relu sigmoid tanh softplus softmax log_softmax "
    "identity astype"
).split()
