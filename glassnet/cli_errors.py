"""How the ``glassnet`` command reports what went wrong: one message, never a traceback.

=====================================  ========================================  =========
What was raised                        What the user sees (on stderr)            Exit code
=====================================  ========================================  =========
GlassnetError (ConfigError, ...)       ``glassnet train: <the message>``         2
OSError (no such file, permissions)    ``glassnet train: cannot use the file …`` 2
MemoryError                            ``glassnet train: out of memory …``       2
KeyboardInterrupt (Ctrl-C)             ``glassnet train: interrupted``           130
anything else                          one line: a bug in glassnet, where to     1
                                       report it, and how to get the traceback
=====================================  ========================================  =========

``--debug`` (before or after the subcommand) or ``GLASSNET_DEBUG=1`` prints the full
traceback as well. Warnings become one line each: ``glassnet train: warning: …``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
import warnings
from typing import TYPE_CHECKING

from glassnet.errors import GlassnetError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator


__all__ = ["report", "one_line_warnings", "debug_requested", "BUG_REPORT"]

#: Where a bug in glassnet is reported (the project's issue tracker).
BUG_REPORT = "the glassnet issue tracker"
EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 2, 1, 130


def debug_requested(args: argparse.Namespace) -> bool:
    """True when ``--debug`` was given anywhere on the line or GLASSNET_DEBUG is set."""
    flags = (getattr(args, "debug", False), getattr(args, "debug_here", False))
    return any(flags) or os.environ.get("GLASSNET_DEBUG", "") not in ("", "0")


def _tracker() -> str:
    """The issue tracker named in the installed package's metadata, else the generic name."""
    try:
        from importlib import metadata

        urls = metadata.metadata("glassnet").get_all("Project-URL") or []
    except Exception:  # not installed as a distribution: metadata has nothing to say
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("issues", "bug tracker", "bugs", "tracker"):
            return url.strip()
    return BUG_REPORT


def _os_error(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        return f"no such file: {str(exc.filename)!r}."
    what = exc.strerror or type(exc).__name__
    name = f" {str(exc.filename)!r}" if exc.filename is not None else ""
    return f"cannot use the file{name}: {what}."


def report(exc: BaseException, command: str, debug: bool) -> int:
    """Print ``exc`` for the user of ``glassnet <command>``; return the exit code."""
    if isinstance(exc, SystemExit):
        raise exc
    where = f"glassnet {command}"
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, KeyboardInterrupt):
        print(f"{where}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(exc, GlassnetError):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = _os_error(exc)
    elif isinstance(exc, MemoryError):
        text = (
            f"out of memory ({exc or 'an array did not fit'}).\n  hint: use a smaller model "
            "(--layers), fewer rows (--limit) or a smaller --batch-size"
        )
    else:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        print(
            f"{where}: internal error ({detail}). This is a bug in glassnet: please report "
            f"it at {_tracker()} with the command you ran"
            + ("." if debug else " and the traceback that --debug prints."),
            file=sys.stderr,
        )
        return EXIT_BUG
    print(one_prefix(text, command), file=sys.stderr)
    return EXIT_ERROR


def one_prefix(text: str, command: str) -> str:
    """``glassnet COMMAND: message``, naming the command once: a message that starts with
    the command already (``train: ...``, ``glassnet playground: ...``, ``glassnet plot
    history: ...``) keeps its own, more precise prefix."""
    if text.startswith((f"glassnet {command}:", f"glassnet {command} ")):
        return text
    if text.startswith(f"{command}: "):
        text = text[len(command) + 2 :]
    return f"glassnet {command}: {text}"


@contextlib.contextmanager
def one_line_warnings(command: str) -> Iterator[None]:
    """Within the block, each warning prints as ``glassnet <command>: warning: <text>``."""

    def show(message, category, filename, lineno, file=None, line=None):
        first = str(message).splitlines() or [""]
        rest = "".join(f"\n{text}" for text in first[1:])
        print(f"glassnet {command}: warning: {first[0]}{rest}", file=file or sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
