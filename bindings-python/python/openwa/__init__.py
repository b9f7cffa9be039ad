"""OpenWA: a WhatsApp multi-device engine (Rust) embedded in Python.

Every method that talks to the engine is awaitable; events arrive through ``async for``::

    manager = await openwa.SessionManager.open()
    session = await manager.create_session("main")
    async for event in session.events():
        ...

Errors are subclasses of `OpenWAError`, one per engine error code (`InvalidArgument`,
`NotFound`, `NotConnected`…).
"""

from __future__ import annotations

import atexit
import os
from typing import Any, Dict, Optional, Union

from . import _native
from ._native import EventStream, Session, SessionManager, normalize_chat_id
from ._types import (
    ERRORS,
    Chat,
    Contact,
    Event,
    Label,
    Message,
    MessagePage,
    OpenWAError,
    SessionInfo,
    StarredMessage,
)

__version__: str = _native.__version__

# Stop the threads that hand results to asyncio before the interpreter finalizes (a thread taking
# the GIL during finalization can abort the process). Awaitables still pending then never finish.
atexit.register(_native._shutdown)

#: Every engine error code, in the engine's order.
ERROR_CODES = tuple(code for code, _ in _native.ERROR_CODES)

# One exception class per engine error code, named after it (`invalid_argument` ->
# `InvalidArgument`): generated from the native module's list, so a new code needs no edit here.
globals().update({cls.__name__: cls for cls in ERRORS.values()})


def sqlite_store(
    path: Union[str, "os.PathLike[str]"], key_file: Union[str, "os.PathLike[str]", None] = None
) -> Dict[str, Any]:
    """The ``store`` part of a manager configuration for one SQLite file, its secrets encrypted
    with the key in ``key_file`` (default: ``<path>.key``, created with mode 0600 if missing)."""
    path = os.fspath(path)
    key = os.fspath(key_file) if key_file is not None else path + ".key"
    return {
        "backend": {"backend": "sqlite", "path": path},
        "at_rest_key": {"source": "file", "path": key},
    }


def memory_store() -> Dict[str, Any]:
    """The ``store`` part of a manager configuration for a store in memory (lost on close)."""
    return {"backend": {"backend": "memory"}, "at_rest_key": None}


__all__ = [
    "SessionManager",
    "Session",
    "EventStream",
    "Event",
    "Message",
    "MessagePage",
    "Chat",
    "Contact",
    "Label",
    "StarredMessage",
    "SessionInfo",
    "OpenWAError",
    "ERROR_CODES",
    "normalize_chat_id",
    "sqlite_store",
    "memory_store",
] + [cls.__name__ for cls in ERRORS.values()]
