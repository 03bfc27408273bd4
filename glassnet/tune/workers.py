"""The local process pool of ``random_search(executor="processes")``, whose workers never
outlive the search that started them.

A ``ProcessPoolExecutor`` shuts its workers down when the driver exits normally or raises.
When the driver is killed outright (SIGKILL, the out-of-memory killer, a closed terminal)
nothing runs in it any more, and the workers, each busy with a trial or waiting for the
next, would carry on as orphans. So each worker starts a watchdog thread that checks every
``POLL_SECONDS`` whether the driver is still there — its parent process is still the one
it was started by, and the driver's process id still exists — and ends the worker at once
(``os._exit``) when it is not. A worker is gone within about a second of its driver.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
import time

__all__ = ["process_pool", "POLL_SECONDS"]

POLL_SECONDS = 0.25


def process_pool(max_workers: int) -> cf.ProcessPoolExecutor:
    """A process pool whose workers exit when this process (the driver) dies."""
    return cf.ProcessPoolExecutor(
        max_workers=max_workers, initializer=_watch_driver, initargs=(os.getpid(),)
    )


def _watch_driver(driver: int) -> None:
    """Worker initializer: start the watchdog (POSIX; elsewhere the pool's own rules)."""
    if os.name != "posix":
        return  # os.kill(pid, 0) would terminate the process on Windows
    watchdog = threading.Thread(
        target=_exit_when_orphaned,
        args=(driver, os.getppid()),
        name="glassnet-driver-watchdog",
        daemon=True,
    )
    watchdog.start()


def _exit_when_orphaned(driver: int, parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent or not _alive(driver):
            os._exit(1)  # the driver is gone: nobody will read this worker's results


def _alive(pid: int) -> bool:
    """True while process ``pid`` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists but belongs to someone else: pid reused, so gone
        return False
    return True
