"""``glassnet playground``: start the live playground and print its URL.

    glassnet playground [--host 127.0.0.1] [--port 8765] [--open]

It binds the loopback address unless told otherwise, and warns when it is not loopback:
then anyone who reaches the port can train models on this machine. The web server is
imported only when the command runs, so ``glassnet --help`` stays fast and works without
the ``playground`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    import argparse


__all__ = ["add_playground_parser", "run_playground"]


def add_playground_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "playground",
        help="a live web page that trains a glassnet model while you watch",
        description="Start the playground: a local web app driven by the real glassnet "
        "engine. Prints its URL; stop it with Ctrl-C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.set_defaults(run=run_playground)


def run_playground(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError(
            message("glassnet playground", "the port is out of range", str(args.port), "1 … 65535")
        )
    try:
        from glassnet.playground.server import serve
    except ImportError as exc:
        raise ConfigError(
            message(
                "glassnet playground",
                "the web server packages are missing",
                str(exc),
                "starlette, uvicorn and websockets",
                "pip install 'glassnet[playground]'",
            )
        ) from None
    serve(args.host, args.port, open_browser=args.open)
    return 0
