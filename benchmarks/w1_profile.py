"""Where one W1 training step spends its time: glassnet, its NumPy work alone, and PyTorch.

    OPENBLAS_NUM_THREADS=1 python benchmarks/w1_profile.py
    python benchmarks/w1_profile.py --quick     # a few calls per phase (smoke test)

W1 is the seeds' [784, 30, 10] sigmoid network, quadratic cost, SGD lr 3.0, batch 10
(see run.py). Each phase of a step is timed on its own, many times over the same batch,
and the best of several repeats is kept (the cleanest reading on a shared machine):

    forward      the four layers                  loss        the quadratic cost
    backward     loss.backward()                  update      optimizer.step()

The glassnet column is the eager step (``compile(capture=False)``): the engine at work.
"NumPy work" is the same step with the engine taken out: each op's ``forward`` and
``backward`` called directly on arrays, in order, and the same SGD updates. The gap to
glassnet's own column is the price of the autograd engine, the layers and the optimizer
loop. The three GEMMs of the first layer are timed alone too: they are most of the floor.

The second table follows one *captured* step (``Model.fit``'s default) through its layers,
each timed on the same stream of batches of one epoch (CPU time of this thread, the best
of the repeats), so each difference is what that layer adds:

    NumPy by hand        the hand-written loop of run.py, per step
    loop                 Program.run_loop on the epoch's batches, cut beforehand: fit's
                         compiled loop (forward, backward, the NaN test and the SGD update
                         written out, the batch's shape checked, the results kept)
    fit                  + Model.fit: the data checks, cutting the batches, the losses as
                         floats, the hooks (in bulk at the epoch's end), the epoch's logs

Three rows outside the layers show a step called one at a time: ``replay``
(Program.run: the same lines as one function call per batch), ``captured call`` (+ the
key and the guard: ``CapturedStep.call``) and ``train_step`` (a user's own loop calling
``model.train_step``: + an errstate and the float).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _numpy_workloads as reference  # noqa: E402
import _torch_workloads as torch_side  # noqa: E402
from run import THREADS, best_interleaved, glassnet_model, synthetic  # noqa: E402

from glassnet.ops.activation import Sigmoid  # noqa: E402
from glassnet.ops.linalg import Linear  # noqa: E402
from glassnet.ops.loss import SquaredError  # noqa: E402

CALLS, REPEATS = 2000, 7


def best_us(fn) -> float:
    """Microseconds per call: the best of REPEATS timings of CALLS calls."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(CALLS):
            fn()
        times.append(time.perf_counter() - start)
    return min(times) / CALLS * 1e6


def numpy_work(model, x: np.ndarray, t: np.ndarray) -> dict:
    """Callables for each phase of the step with the engine taken out."""
    d1, _, d2, _ = model.children()
    (w1, b1), (w2, b2) = (d1.w.data, d1.b.data), (d2.w.data, d2.b.data)
    lin1, lin2 = Linear(), Linear()
    lin1.needs_input_grad = (False, True, True)  # what the engine sets when it records
    lin2.needs_input_grad = (True, True, True)
    sig1, sig2, cost = Sigmoid(), Sigmoid(), SquaredError(t, 0.5 / len(t))

    def forward():
        return sig2.forward(lin2.forward(sig1.forward(lin1.forward(x, w1, b1)), w2, b2))

    out = forward()
    cost.forward(out)
    grads = {}

    def backward():
        (g,) = sig2.backward(cost.backward(np.float32(1))[0])
        g, grads["w2"], grads["b2"] = lin2.backward(g)
        _, grads["w1"], grads["b1"] = lin1.backward(sig1.backward(g)[0])

    backward()
    work = {k: np.empty_like(v) for k, v in grads.items()}

    def update():  # what SGD does: w ← w − lr·g, through a scratch buffer
        for name, w in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
            np.multiply(grads[name], 3.0, out=work[name])
            w -= work[name]

    return {
        "forward": forward,
        "loss": lambda: cost.forward(out),
        "backward": backward,
        "update": update,
    }


def glassnet_phases(model, x: np.ndarray, t: np.ndarray) -> dict:
    out = model(x)

    def backward():
        model.optimizer.zero_grad()
        model.loss(model(x), t).backward()

    return {
        "forward": lambda: model(x),
        "loss": lambda: model.loss(out, t),
        "backward": backward,  # forward and loss included; subtracted below
        "update": model.optimizer.step,
        "step": lambda: model.train_step(x, t),
    }


def torch_phases(x: np.ndarray, t: np.ndarray) -> dict:
    net, opt, loss_fn = torch_side.build("W1")
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    out = net(xt)

    def backward():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(xt), tt).backward()

    def step():
        backward()
        opt.step()

    return {
        "forward": lambda: net(xt),
        "loss": lambda: loss_fn(out, tt),
        "backward": backward,
        "update": opt.step,
        "step": step,
    }


def measure(phases: dict) -> dict:
    us = {name: best_us(fn) for name, fn in phases.items()}
    if "step" in us:  # "backward" ran forward and loss as well
        us["backward"] -= us["forward"] + us["loss"]
    else:
        us["step"] = sum(us.values())
    return us


def layers(samples: int) -> dict:
    """µs per step of a captured W1 step, one layer more in each row (see the docstring)."""
    x, y = synthetic(samples, image=False)
    t = np.eye(10, dtype=np.float32)[y]
    model = glassnet_model("W1")
    fit = lambda: model.fit(x, t, epochs=1, batch_size=10, shuffle=False, verbose=0)  # noqa: E731
    fit()  # records and builds the program
    step = model._captured["train"]
    (program,) = step.programs.values()
    batches = [(x[s : s + 10], t[s : s + 10]) for s in range(0, samples, 10)]

    def each(fn):  # under the errstate fit's loop sets once per epoch
        def epoch():
            with np.errstate(over="ignore", invalid="ignore"):
                return [fn(b) for b in batches]

        return epoch

    def loop():
        results = []
        with np.errstate(over="ignore", invalid="ignore"):
            program.run_loop(iter(batches), results.append)

    runs = {
        "NumPy by hand": lambda: reference.w1_epoch(x, y, 10),
        "loop": loop,
        "fit": fit,
        "replay": each(lambda b: program.run(b, True)),
        "captured call": each(lambda b: step.call(b, True)),
        "train_step": lambda: [model.train_step(*b) for b in batches],
    }
    best = best_interleaved(runs, REPEATS, time.thread_time)
    return {name: seconds / len(batches) * 1e6 for name, seconds in best.items()}


def print_layers(samples: int) -> None:
    us = layers(samples)
    floor = us["NumPy by hand"]
    print(f"\ncaptured W1 step by layers ({samples} samples, CPU µs per step, best of {REPEATS})")
    previous = None
    for name, value in us.items():
        added = "" if previous is None else f"{value - previous:+8.1f}"
        print(f"{name:18s}{value:9.1f} {added:>8s} {value / floor:6.2f}× NumPy")
        previous = value if name in ("NumPy by hand", "loop") else None
        if name == "fit":
            print("one call per batch:")


def main(argv=None) -> None:
    global CALLS, REPEATS
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    if quick:
        CALLS, REPEATS = 20, 1
    torch.set_num_threads(THREADS)
    x, y = synthetic(10, image=False)
    t = np.eye(10, dtype=np.float32)[y]
    model = glassnet_model("W1", capture=False)
    columns = {
        "glassnet": measure(glassnet_phases(model, x, t)),
        "NumPy work": measure(numpy_work(glassnet_model("W1"), x, t)),
        "PyTorch": measure(torch_phases(x, t)),
    }
    w1, g = model.children().__next__().w.data, np.ones((10, 30), np.float32)
    gemms = best_us(lambda: (x @ w1, x.T @ g))
    print(f"W1 step, batch 10, {THREADS} thread(s); µs per call, best of {REPEATS} × {CALLS}")
    print(f"{'phase':10s}" + "".join(f"{name:>13s}" for name in columns))
    for phase in ("forward", "loss", "backward", "update", "step"):
        print(f"{phase:10s}" + "".join(f"{col[phase]:13.1f}" for col in columns.values()))
    print(f"of the NumPy work, the first layer's two large GEMMs (x·w, xᵀ·g): {gemms:.1f} µs")
    step = {name: col["step"] for name, col in columns.items()}
    print(
        f"PyTorch / glassnet = {step['PyTorch'] / step['glassnet']:.2f}×, "
        f"PyTorch / NumPy work = {step['PyTorch'] / step['NumPy work']:.2f}×"
    )
    print_layers(200 if quick else 10_000)


if __name__ == "__main__":
    main()
