"""The live playground: a web page that trains a real glassnet model while you watch.

``glassnet playground`` (or :func:`serve`) starts a local Starlette server; the page in
``static/`` talks to it over a WebSocket. Every click becomes a validated message
(:mod:`~glassnet.playground.protocol`), every model lives in its tab's
:class:`~glassnet.playground.session.Session`, and Export writes the same experiment as a
plain glassnet script (:mod:`~glassnet.playground.export`).

Needs the ``playground`` extra: ``pip install glassnet[playground]``. The web server lives
in :mod:`glassnet.playground.server` (``create_app``, ``serve``); this package imports
nothing on its own, so ``glassnet --help`` does not load Starlette.
"""
