"""Process-wide hooks: flush every open client at interpreter exit, reset them in a forked child.

One ``atexit`` hook and one ``os.register_at_fork`` hook serve all clients, installed when the
first client opens. Clients register while open and unregister when closed, so a closed client is
not kept alive by the hooks (hooks registered per client, holding bound methods, would keep every
client ever created alive and run for all of them at every fork).

After ``fork()`` only the forking thread exists in the child: the sender thread is gone and any
lock another thread held stays locked for ever. The child therefore gets fresh locks, a fresh empty
buffer and a fresh sender for every open client; events buffered before the fork stay the
parent's to deliver, so none is sent twice.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from typing import Protocol

from edge_client.logs import logger


class _Managed(Protocol):
    @property
    def exit_timeout(self) -> float: ...

    def _reset_after_fork(self) -> None: ...

    def _close_at_exit(self, deadline: float) -> None: ...


_open: dict[int, _Managed] = {}
_lock = threading.Lock()
_installed = False


def register(client: _Managed) -> None:
    global _installed
    with _lock:
        if not _installed:
            atexit.register(_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_after_fork_in_child)
            _installed = True
        _open[id(client)] = client


def unregister(client: _Managed) -> None:
    with _lock:
        _open.pop(id(client), None)


def open_clients() -> list[_Managed]:
    with _lock:
        return list(_open.values())


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    for client in list(_open.values()):
        try:
            client._reset_after_fork()
        except Exception:  # noqa: BLE001 - the child must start whatever happens
            logger.exception("edge_client: could not reset a client after fork")


def _at_exit() -> None:
    # One deadline for all clients: N open clients must not make the exit N times longer.
    clients = open_clients()
    if not clients:
        return
    deadline = time.monotonic() + max(client.exit_timeout for client in clients)
    for client in clients:
        try:
            client._close_at_exit(deadline)
        except Exception:  # noqa: BLE001 - the process must exit whatever happens
            logger.exception("edge_client: exit flush failed")
