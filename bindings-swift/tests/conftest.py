"""Test support for the UniFFI proof: the Python bindings UniFFI generates from the same library
as the Swift package (`openwa_uniffi`, made by bindings-swift/test.sh into a temporary
directory), and an `openwa-sim` process with its admin API (testkit/python/openwa_sim.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Optional

import pytest

import openwa_uniffi as ow

sys.path.insert(0, str(Path(__file__).parents[2] / "testkit" / "python"))
from openwa_sim import WAIT, Sim, phone_messages  # noqa: E402,F401


def sim_config(sim: Sim, db: Optional[Path] = None) -> ow.ManagerConfig:
    """The engine's default manager configuration pointed at `sim` (and at a SQLite file when
    `db` is given)."""
    config = ow.default_manager_config()
    if db is not None:
        config.store = ow.sqlite_store(str(db))
    options = config.default_session_options
    options.server_url = sim.ws_url
    options.trust_root = bytes.fromhex(sim.root)
    options.tls_extra_roots_pem = sim.tls_cert
    return config


@pytest.fixture(scope="session")
def sim():
    sim = Sim()
    yield sim
    sim.stop()


async def next_event(stream: ow.EventStream, kind: type, where=lambda _: True,
                     timeout: float = WAIT) -> ow.Event:
    """The next event on `stream` whose kind is the `EventKind` variant `kind` and that
    satisfies `where` (others are skipped)."""

    async def find() -> ow.Event:
        while True:
            event = await stream.next()
            if event is None:
                raise AssertionError(f"the stream ended before a {kind.__name__} event")
            if isinstance(event.kind, kind) and where(event.kind):
                return event

    return await asyncio.wait_for(find(), timeout)


async def link_by_qr(sim: Sim, session: ow.Session, phone: str) -> str:
    """Connects `session`, links it to `phone` with the first QR through the admin API, waits
    for `connected`; returns the device JID."""
    events = session.events()
    await session.connect()
    qr = await next_event(events, ow.EventKind.QR)
    linked = await asyncio.to_thread(
        sim.admin, "POST", f"/admin/accounts/{phone}/link", {"qr": qr.kind.code}
    )
    await session.wait_for_state(ow.ConnectionState.CONNECTED, 60_000)
    return linked["jid"]
