"""benchmarks/op_instructions.py: the callgrind markers count a block of calls, and the
A/B table flags exactly the ops above the limit. The marker test runs real valgrind on a
small script (a few seconds); the whole benchmark is not run here (minutes per tree)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import op_instructions  # noqa: E402

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("callgrind_control") is None,
    reason="valgrind is not installed",
)


@needs_valgrind
def test_a_block_between_markers_costs_in_proportion_to_its_calls(tmp_path):
    script = tmp_path / "blocks.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(Path(op_instructions.__file__).parent)!r})
            import op_instructions as oi
            data = list(range(100))
            oi._instrument_on()
            oi._mark()
            for _ in range(2000):
                sum(data)
            oi._mark()
            for _ in range(4000):
                sum(data)
            oi._mark()
            """
        )
    )
    prefix = tmp_path / "cg.out"
    command = op_instructions.valgrind_command(prefix, [sys.executable, str(script)])
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    parts = op_instructions._parts(prefix)
    assert len(parts) == 3  # up to each of the three markers
    one, two = parts[1], parts[2]
    assert one > 2000 * 100  # at least one instruction per element summed: counting is on
    assert 1.95 < two / one < 2.05


def test_the_table_flags_only_the_ops_above_the_limit():
    old = {"slower": 100.0, "within": 100.0, "faster": 100.0}
    new = {"slower": 106.0, "within": 104.0, "faster": 90.0}
    lines = op_instructions.table(new, old, limit=0.05).splitlines()
    flagged = [line.split()[0] for line in lines if line.endswith("> limit")]
    assert flagged == ["slower"]
    assert lines[-1].split()[-1] == "1.000"  # all ops: 300 → 300
