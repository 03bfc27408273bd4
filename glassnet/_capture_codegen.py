"""One Python function per captured program: the recorded steps written out as source.

:mod:`glassnet._capture_program` decides what each recorded step reads and writes (slots);
this module writes the replay as straight-line Python, compiles it once, and keeps the
source (``Program.source``: print it to see exactly what a replay does). Slot k is the
local variable ``s<k>`` (a fixed value, a constant or an object kept by reference, is a
global of the function instead), the pending gradient of slot k is ``g<k>``:

    def replay(args, ws):
        s0 = args[0] ...                  the arguments (a Tensor's array)
        s5 = p5.data ...                  the parameters, read live
        s9, s10 = ws                      this replay's workspace arrays
        m2()                              a recorded call (zero_grad)
        s6 = matmul(s0, s5, out=s9) ...   a replay kernel's lines (_capture_kernels)
        f7 = op7(**b7) ...                any other op: its Function, as apply makes it
        g6 = one3.copy()                  a backward pass starts: dL/dL = 1
        gy = g6; g6 = None                an op's backward takes its pending gradient,
        if gy is not None: rs = ...       computes one per input and routes each: a sum
                                          for an op's output, ``.grad`` for a parameter
        if isfinite(...): ...             fit's optimizer step, skipped for a NaN loss
        return ...

The routing does what the engine's ``_propagate`` does (same sums, same order, same
copies), so replayed gradients are bit-identical. A run of replay kernels that includes
a Sigmoid runs under one ``np.errstate(over="ignore")`` from the first Sigmoid to the
last (the op silences that overflow itself; the kernels between are silenced too). A
second function, without those blocks, serves callers that ignore overflow already
(``fit``'s epoch loop: ``CapturedStep.call(args, quiet=True)``). The optimizer's lines
come from :mod:`glassnet.optim.replay`; the guard (``valid()``) is compiled the same way.

A third function runs fit's step on many batches in a row, for an epoch loop with nothing
to do between batches (``Program.run_loop``):

    def loop(pairs, ws, append):
        s5 = p5.data ... ; s9, s10 = ws   read once: no call in the step may rebind them
        for args in pairs:
            s0 = args[0] ...
            if s0.shape != (10, 784) ...: return args, loop_n   another key: not this loop
            ...                            the step's lines, as in replay (quiet)
            append(...)                    what replay would return
            if not finite: break           a NaN loss skipped the update: fit stops here

It is made only when every method call of the step is written out (an optimizer's
``step`` called as it is might rebind a parameter's array, which the guard checks before
each call), so checking the guard once before the loop is checking it before each step.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import _capture_kernels
from glassnet.autograd import _accumulate, _exclusive, unbroadcast
from glassnet.optim import fused
from glassnet.optim.replay import guard_terms, step_lines, zero_grad_lines
from glassnet.tensor import Tensor

__all__ = ["Codegen"]

_NUMPY = {
    "ndarray": np.ndarray,
    "errstate": np.errstate,
    "add_reduce": np.add.reduce,
    "msqrt": math.sqrt,
    "fused_adam": fused.adam,
    "isfinite": math.isfinite,
    "unbroadcast": unbroadcast,
    **{
        name: getattr(np, name)
        for name in (
            "matmul negative exp reciprocal subtract multiply divide maximum not_equal "
            "asarray vdot sqrt"
        ).split()
    },
}


def _leaf(target: Tensor, g: np.ndarray, grad_y, grads, index: int, own: set) -> None:
    """A gradient for a parameter, as the engine's ``_accumulate`` routes it; an array of
    the workspace (``own``) is copied too, since the next replay overwrites it."""
    if target.grad is None:
        if g.base is not None or id(g) in own or not _exclusive(g, grad_y, grads, index):
            g = g.copy()  # a view is never exclusive: _exclusive would say so too
        dtype = target.data.dtype
        target.grad = g if g.dtype == dtype else g.astype(dtype)
    else:
        _accumulate(target, g, None)


def _escaping(workspace):
    """``esc(a)``: a returned value, copied when it is (or views) a workspace array."""
    escapes = workspace.escapes

    def esc(a):
        return a.copy() if isinstance(a, np.ndarray) and escapes(a) else a

    return esc


class Codegen:
    """Writes one program's replay function (see the module docstring)."""

    def __init__(self, builder, workspace) -> None:
        self.b, self.ws = builder, workspace
        self.ns: dict = {**_NUMPY, "leaf": _leaf, "own": workspace.ids, "Tensor": Tensor}
        self.ns["esc"] = _escaping(workspace)
        self.items: list[tuple[list[str], bool | None]] = []  # (lines, quiet) per step
        self.kernels: dict = {}  # cell -> Kernel
        self.pending: set[int] = set()
        self.guards: dict = {}  # optimizer written out -> its step too (else zero_grad only)
        self.names: dict[int, str] = {}
        self.owned: dict[int, bool] = {}  # a kernel's output slot -> a workspace array?
        self.finite = False  # a step of fit: its update runs when the loss is finite
        self.opaque = False  # a method called as it is (it may change what the guard holds)

    def name(self, value, prefix: str) -> str:
        """A global of the function holding ``value`` (one name per object)."""
        key = self.names.get(id(value))
        if key is None:
            key = self.names[id(value)] = f"{prefix}{len(self.ns)}"
            self.ns[key] = value  # held here, so its id stays its own
        return key

    # ---- the steps ----------------------------------------------------------------------
    def forward(self, op, baked, linked, needs, srcs, out, cell) -> None:
        kernel = _capture_kernels.make(
            op, baked, dict(linked), needs, srcs, out, self.b.proto.__getitem__,
            self.ws.reserve, self.ns,
        )  # fmt: skip
        if kernel is not None:
            self.kernels[cell] = kernel
            self.owned[out] = kernel.owned
            self.items.append((kernel.forward, kernel.quiet))
            return
        settings = ", ".join([f"**{self.name(baked, 'b')}"] + [f"{k}=s{s}" for k, s in linked])
        f = f"f{cell}" if cell is not None else "f"
        lines = [f"{f} = {self.name(op, 'op')}({settings})"]
        if needs is not None:
            lines.append(f"{f}.needs_input_grad = {self.name(needs, 'n')}")
        lines.append(f"s{out} = {f}.forward({', '.join(f's{s}' for s in srcs)})")
        self.items.append((lines, None))

    def backward(self, cell, node, targets, shapes, seed_like) -> None:
        lines, kernel = [], self.kernels.get(cell)
        if seed_like is not None:  # a backward pass starts: nothing pending, dL/dL = 1
            one = self.name(np.ones(seed_like[0], dtype=seed_like[1]), "one")
            lines += [f"{name} = None" for name in sorted(f"g{s}" for s in self.pending)]
            if kernel is not None and kernel.seeded is not None:  # 1 folded into its lines
                routes = self._routes(targets, shapes, kernel)
                self.items.append(([*lines, f"gy = {one}", *kernel.seeded, *routes], None))
                return
            lines.append(f"g{node} = {one}.copy()")
        self.pending.add(node)
        lines += [f"gy = g{node}", f"g{node} = None", "if gy is not None:"]
        body = [f"rs = f{cell}.backward(gy)", f"f{cell} = None"]
        body = list(kernel.backward) if kernel is not None else body
        body += self._routes(targets, shapes, kernel)
        self.items.append((lines + ["    " + line for line in body], None))

    def _routes(self, targets, shapes, kernel) -> list[str]:
        lines = []
        for i, (target, shape) in enumerate(zip(targets, shapes)):
            if target is not None:
                lines += self._route(i, target, shape, kernel)
        return lines

    def _route(self, i: int, target, shape: tuple, kernel) -> list[str]:
        """Lines sending gradient ``rs[i]`` on: summed into a pending gradient (an op's
        output) or given to a parameter, unbroadcast to ``shape`` first. The checks a
        kernel's known shapes settle are left out."""
        known = kernel.shapes[i] if kernel and i < len(kernel.shapes) else None
        lines = [f"r = rs[{i}]"]
        if known != shape:
            lines += [f"if r.shape != {shape!r}:", f"    r = unbroadcast(r, {shape!r})"]
        if type(target) is int:
            self.pending.add(target)
            lines.append(f"g{target} = r if g{target} is None else g{target} + r")
        else:
            p, call = (
                self.name(target, "p"),
                f"leaf({self.name(target, 'p')}, r, gy, rs, {i}, own)",
            )
            if known == shape and i in kernel.fresh:  # new, unshared: kept as it is
                dtype = self.name(target.data.dtype, "dt")
                lines += [f"if {p}.grad is None and r.dtype == {dtype}:", f"    {p}.grad = r"]
                lines += ["else:", f"    {call}"]
            else:
                lines.append(call)
        if known is None:
            return ["if rs[" + str(i) + "] is not None:"] + ["    " + line for line in lines]
        return lines

    def source(self, kernel, owner, srcs, out) -> None:
        args = ", ".join([self.name(owner, "o")] + [f"s{s}" for s in srcs])
        self.items.append(([f"s{out} = {self.name(kernel, 'src')}({args})"], None))

    def call(self, obj, name: str) -> None:
        self.items.append((self._call_lines(obj, name), None))

    def when_finite(self, slot: int, obj, name: str) -> None:
        """``obj.name()`` when the loss in ``slot`` is finite (fit's step: a NaN skips it)."""
        body = ["    " + line for line in self._call_lines(obj, name)]
        self.finite = True
        test = f"finite = isfinite(float(s{slot}.item()))"
        self.items.append(([test, "if finite:", *body], None))

    def _call_lines(self, obj, name: str) -> list[str]:
        """A recorded method call: an optimizer's step or zero_grad written out when its
        class allows (then guarded on its structure), else the call itself."""
        made = {"step": step_lines, "zero_grad": zero_grad_lines}.get(name)
        lines = made(obj, self.name) if made is not None else None
        if lines is None:
            self.opaque = True
            return [f"{self.name(getattr(obj, name), 'm')}()"]
        self.guards[obj] = self.guards.get(obj, False) or name == "step"
        return lines

    # ---- the function -------------------------------------------------------------------
    def compile(self, template, fixed: dict) -> dict:
        """The source of ``replay(args, ws)`` and three functions compiled from such source:
        ``replay``, ``quiet`` (the same without its ``errstate`` blocks, for a caller that
        ignores overflow) and ``loop`` (fit's steps in a row, see the module docstring;
        None unless the program is fit's step and every call in it is written out)."""
        b = self.b
        self.ns.update({f"s{slot}": value for slot, value in fixed.items()})
        reads = []
        for j in b.arg_slots:
            reads += [f"s{j} = args[{j}]", f"if type(s{j}) is not ndarray:"]
            reads.append(f"    s{j} = s{j}.data")
        setup = [f"s{slot} = {self.name(t, 'p')}.data" for slot, t, _ in b.live]
        reserved = [f"s{self.ws.start + k}" for k in range(len(self.ws.protos))]
        if reserved:
            setup.append(f"{', '.join(reserved)}, = ws")
        fresh = [f"s{slot} = s{j}.astype({self.name(dt, 'dt')})" for slot, j, dt in b.casts]
        fresh += [f"g{s} = None" for s in sorted(self.pending)]
        result = self._result(template)
        made = {}
        for kind, quiet in (("replay", False), ("quiet", True)):
            body = reads + setup + fresh + self._grouped(quiet) + [f"return {result}"]
            made["source"] = made.get("source") or self._def("replay(args, ws)", body)
            made[kind] = self._function(self._def("replay(args, ws)", body), "replay")
        made["loop"] = made["loop_source"] = None
        if self.finite and not self.opaque and len(b.arg_slots) == len(b.second.args):
            body = reads + self._mismatch() + fresh + self._grouped(True)
            body += ["loop_n += 1", f"append({result})", "if not finite:", "    break"]
            lines = [*setup, "loop_n = 0", "for args in pairs:"]
            lines += ["    " + line for line in body] + ["return None, loop_n"]
            made["loop_source"] = self._def("loop(pairs, ws, append)", lines)
            made["loop"] = self._function(made["loop_source"], "loop")
        return made

    def _mismatch(self) -> list[str]:
        """``return args, loop_n`` when an argument is not shaped, laid out and typed as
        in the recording (the loop's caller calls that one step itself)."""
        terms = []
        for j in self.b.arg_slots:
            a = self.b.proto[j]
            dt = self.name(a.dtype, "dt")
            terms.append(f"s{j}.shape != {a.shape!r} or s{j}.strides != {a.strides!r}")
            terms.append(f"s{j}.dtype != {dt}")
        return [f"if {' or '.join(terms)}:", "    return args, loop_n"]

    @staticmethod
    def _def(signature: str, body: list[str]) -> str:
        return f"def {signature}:\n" + "".join(f"    {line}\n" for line in body)

    def _function(self, source: str, name: str):
        exec(compile(source, "<captured step>", "exec"), self.ns)  # noqa: S102
        return self.ns.pop(name)

    def guard(self, modules: list, live: list) -> tuple[str, object]:
        """The source of ``valid()`` and the function: True while every module is in the
        mode it was recorded in, every parameter holds the same array with the same
        ``trainable`` flag, and every optimizer written out keeps its structure."""
        terms = [f"{self.name(m, 'mod')}.training == {bool(mode)}" for m, mode in modules]
        for _, t, a in live:
            p = self.name(t, "p")
            terms += [
                f"{p}.data is {self.name(a, 'a')}",
                f"{p}.requires_grad == {bool(t.requires_grad)}",
            ]
        for opt, step in self.guards.items():
            terms += guard_terms(opt, self.name, step)
        source = "def valid():\n    return (\n        " + "\n        and ".join(terms or ["True"])
        source += "\n    )\n"
        exec(compile(source, "<captured step guard>", "exec"), self.ns)  # noqa: S102
        return source, self.ns["valid"]

    def _grouped(self, quiet: bool = False) -> list[str]:
        """The steps' lines, each run of kernels from its first quiet one to its last under
        one ``errstate(over="ignore")``; ``quiet``: the caller ignores overflow already."""
        lines, k, items = [], 0, self.items
        while k < len(items):
            if not items[k][1] or quiet:
                lines += items[k][0]
                k += 1
                continue
            end = k
            for j in range(k, len(items)):
                if items[j][1] is None:
                    break
                if items[j][1]:
                    end = j
            lines.append('with errstate(over="ignore"):')
            lines += ["    " + line for item in items[k : end + 1] for line in item[0]]
            k = end + 1
        return lines

    def _result(self, template) -> str:
        """The return expression: a slot's array copied when it is the workspace's (known
        for a kernel's output, else tested by ``esc``)."""
        kind, value = template
        if kind in ("slot", "tensor"):
            owned = self.owned.get(value)  # known for a kernel's output: no test needed
            out = f"esc(s{value})" if owned is None else f"s{value}" + ".copy()" * owned
            return out if kind == "slot" else f"Tensor._from_op({out}, None)"
        if kind == "tuple":
            return "(" + "".join(self._result(t) + ", " for t in value) + ")"
        if kind == "list":
            return "[" + ", ".join(self._result(t) for t in value) + "]"
        if kind == "dict":
            pairs = (f"{self.name(k, 'key')}: {self._result(t)}" for k, t in value.items())
            return "{" + ", ".join(pairs) + "}"
        return self.name(value, "value")
