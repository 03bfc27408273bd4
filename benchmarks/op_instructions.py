"""Per-op cost in CPU instructions: one forward + backward of each op in op_overhead.py,
counted by valgrind's callgrind, for this checkout and optionally another one (an A/B).

Wall-clock time on a shared machine swings by 2× from run to run; the number of
instructions executed does not: two runs of the same tree and script give the same counts.
What moves an op's count, by up to about 2%, is where its arrays land in memory (NumPy's
vector loops do a little more or less work with the alignment), which any earlier
allocation changes; ``--layouts 3`` runs each tree three times with its memory shifted by
16 bytes more each time and reports the median. Each op runs
``--calls`` times between two markers; the instructions between the markers, divided by
the number of calls, less the same loop around a function that does nothing, are the
op's cost per call: the framework's bookkeeping plus the tiny NumPy arithmetic.

How: every checkout runs this script once more under
``valgrind --tool=callgrind --instr-atstart=no --dump-before=getppid``. It imports
glassnet (and torch, for op_overhead's list) uninstrumented, builds every op's runner
(checking its gradients against torch and NumPy as op_overhead does), switches
instrumentation on with ``callgrind_control -i on``, and calls ``os.getppid()`` as the
marker around each block of calls: callgrind writes one profile part per marker. The
checkout is chosen by PYTHONPATH, so the A/B compares two glassnet trees with the same
op list, interpreter and NumPy::

    mkdir /tmp/old && git archive <commit> | tar -x -C /tmp/old
    .venv/bin/python benchmarks/op_instructions.py --against /tmp/old --layouts 3
    rm -r /tmp/old

Needs valgrind (``apt-get install valgrind``); one to two minutes per checkout and layout.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
EMPTY = "(empty loop)"  # the calibration row: the loop and markers alone
_BALLAST: list[bytearray] = []  # shifts every later allocation: see --layouts


def _mark() -> None:
    """The marker: callgrind dumps a profile part just before each ``getppid``."""
    os.getppid()


def _instrument_on() -> None:
    done = subprocess.run(
        ["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"callgrind_control -i on failed: {done.stdout}{done.stderr}")


def child(calls: int, warmup: int, names_file: Path, layout: int) -> None:
    """Run under callgrind: each op's block of calls between two markers."""
    _BALLAST.append(bytearray(4096 + 16 * layout))  # before anything else is allocated
    import numpy as np

    sys.path.insert(0, str(HERE.parent))
    import op_overhead

    rng = np.random.default_rng(0)
    runners = {EMPTY: lambda: None}
    for bench in op_overhead.BENCHES:
        made = op_overhead._runners(bench, op_overhead._inputs(bench, rng), rng)
        runners[bench.name] = made["glassnet"]
    names_file.write_text(json.dumps(list(runners)))
    gc.collect()
    gc.disable()  # a collection that lands in one op's block would be charged to it
    _instrument_on()
    for run in runners.values():
        for _ in range(warmup):
            run()
        _mark()
        for _ in range(calls):
            run()
        _mark()


def valgrind_command(prefix: Path, argv: list[str]) -> list[str]:
    """``argv`` under callgrind: uninstrumented until :func:`_instrument_on`, then one
    profile part (``prefix.1``, ``prefix.2``, ...) ending at each :func:`_mark`."""
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--dump-before=getppid",
        f"--callgrind-out-file={prefix}",
        *argv,
    ]


def _parts(prefix: Path) -> list[int]:
    """The instruction totals of the profile parts ``prefix.1``, ``prefix.2``, ... in order."""
    totals = []
    part = 1
    while (path := Path(f"{prefix}.{part}")).exists():
        for line in path.read_text().splitlines():
            if line.startswith("summary:"):
                totals.append(int(line.split()[1]))
                break
        part += 1
    return totals


def count(tree: Path, calls: int, warmup: int, layout: int = 0) -> dict[str, float]:
    """Instructions per forward+backward call of each op, glassnet taken from ``tree``."""
    with tempfile.TemporaryDirectory(prefix="op_instructions_") as tmp:
        prefix, names = Path(tmp) / "cg.out", Path(tmp) / "names.json"
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
        child_args = ["--child", str(names), f"--calls={calls}", f"--warmup={warmup}"]
        child_args.append(f"--layout={layout}")
        command = valgrind_command(prefix, [sys.executable, str(HERE), *child_args])
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{tree}: the run under valgrind failed:\n{done.stderr[-3000:]}")
        order, parts = json.loads(names.read_text()), _parts(prefix)
    if len(parts) != 2 * len(order):  # per op: its warm-up part, then its block
        sys.exit(f"{tree}: {len(parts)} profile parts for {len(order)} ops; expected two each")
    per_call = {name: parts[2 * i + 1] / calls for i, name in enumerate(order)}
    empty = per_call.pop(EMPTY)
    return {name: n - empty for name, n in per_call.items()}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def table(new: dict[str, float], old: dict[str, float] | None, limit: float) -> str:
    """A plain-text table; with ``old``, the ratio new/old and a flag above ``limit``."""
    if old is None:
        rows = [f"{'op':<30} {'instructions':>12}"]
        rows += [f"{name:<30} {n:>12,.0f}" for name, n in new.items()]
        rows.append(f"{'all ops':<30} {sum(new.values()):>12,.0f}")
        return "\n".join(rows)
    rows = [f"{'op':<30} {'old':>10} {'new':>10} {'new/old':>8}"]
    for name, n in new.items():
        ratio = n / old[name]
        flag = "  > limit" if ratio > 1 + limit else ""
        rows.append(f"{name:<30} {old[name]:>10,.0f} {n:>10,.0f} {ratio:>8.3f}{flag}")
    total_old, total_new = sum(old.values()), sum(new.values())
    rows.append(
        f"{'all ops':<30} {total_old:>10,.0f} {total_new:>10,.0f} {total_new / total_old:>8.3f}"
    )
    return "\n".join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout: print old vs new")
    parser.add_argument("--calls", type=int, default=50, help="calls per op in the block")
    parser.add_argument("--warmup", type=int, default=5, help="calls per op before its block")
    parser.add_argument("--limit", type=float, default=0.05, help="flag ratios above 1+limit")
    parser.add_argument(
        "--layouts",
        type=int,
        default=1,
        help="runs per tree, each with its memory shifted by 16 more bytes; the median is "
        "reported (NumPy's vector loops cost a little more or less with the alignment)",
    )
    parser.add_argument("--json", type=Path, help="also write the counts here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--layout", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.calls, args.warmup, args.child, args.layout)
        return
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH: install valgrind (apt-get install valgrind)")
    trees = {"new": ROOT, "old": args.against.resolve() if args.against else None}
    runs = {
        label: [count(tree, args.calls, args.warmup, layout) for layout in range(args.layouts)]
        for label, tree in trees.items()
        if tree is not None
    }
    new, old = _median(runs["new"]), _median(runs["old"]) if "old" in runs else None
    print(
        f"instructions per forward + backward (callgrind, {args.calls} calls per op, "
        f"median of {args.layouts} layout(s))"
    )
    print(table(new, old, args.limit))
    if args.json is not None:
        args.json.write_text(json.dumps(runs, indent=1))
    if old is not None:
        slower = [name for name, n in new.items() if n > (1 + args.limit) * old[name]]
        print(f"{len(slower)} op(s) more than {args.limit:.0%} above {args.against}: {slower}")


if __name__ == "__main__":
    main()
