"""Test support: an `openwa-sim` process and its admin API (testkit/python/openwa_sim.py;
`bindings-python/test.sh` builds the simulator), and event helpers over `openwa`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

import openwa

sys.path.insert(0, str(Path(__file__).parents[2] / "testkit" / "python"))
from openwa_sim import WAIT, Sim, phone_messages  # noqa: E402,F401


@pytest.fixture(scope="session")
def sim():
    sim = Sim()
    yield sim
    sim.stop()


async def next_event(stream: openwa.EventStream, kind: str, timeout: float = WAIT) -> openwa.Event:
    """The next event of type `kind` on `stream` (others are skipped)."""

    async def find() -> openwa.Event:
        async for event in stream:
            if event.type == kind:
                return event
        raise AssertionError(f"the stream ended before a {kind!r} event")

    return await asyncio.wait_for(find(), timeout)


async def link_by_qr(sim: Sim, session: openwa.Session, phone: str) -> str:
    """Connects `session`, links it to `phone` through the admin API with the first QR, waits
    for `connected`; returns the device JID."""
    events = session.events()
    await session.connect()
    qr = await next_event(events, "qr")
    linked = await asyncio.to_thread(
        sim.admin, "POST", f"/admin/accounts/{phone}/link", {"qr": qr["code"]}
    )
    await session.wait_for_state("connected", 60_000)
    return linked["jid"]
