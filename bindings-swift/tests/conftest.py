"""Test support for the UniFFI proof: the Python bindings UniFFI generates from the same library
as the Swift package (`openwa_uniffi`, made by bindings-swift/test.sh into a temporary
directory), an `openwa-sim` process and its admin API.

The simulator binary is `$OPENWA_SIM`, else `$CARGO_TARGET_DIR/{release,debug}/openwa-sim`."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

import openwa_uniffi as ow

WAIT = 60.0
_phones = itertools.count(15550009001)


def _sim_binary() -> str:
    explicit = os.environ.get("OPENWA_SIM")
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parents[2] / "target"))
    for profile in ("release", "debug"):
        candidate = target / profile / "openwa-sim"
        if candidate.exists():
            return str(candidate)
    pytest.fail(f"no openwa-sim binary: set OPENWA_SIM or build it into {target}")


class Sim:
    """A running `openwa-sim` (its own process) and its admin API."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        self.process = subprocess.Popen(
            [_sim_binary(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("openwa-sim exited before its ready line")
        ready = json.loads(line)
        self.ws_url: str = ready["ws_url"]
        self.admin_url: str = ready["admin_url"]
        self.root: str = ready["root_public_key"]
        self.tls_cert: str = Path(ready["tls_cert_path"]).read_text()

    def admin(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.admin_url + path, data=data, method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                text = response.read()
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path}: HTTP {err.code}: {err.read()!r}") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def account(self, name: str) -> str:
        phone = str(next(_phones))
        self.admin("POST", "/admin/accounts", {"phone": phone, "name": name})
        return phone

    def config(self, db: Optional[Path] = None) -> ow.ManagerConfig:
        """The engine's default manager configuration pointed at this simulator (and at a
        SQLite file when `db` is given)."""
        config = ow.default_manager_config()
        if db is not None:
            config.store = ow.sqlite_store(str(db))
        options = config.default_session_options
        options.server_url = self.ws_url
        options.trust_root = bytes.fromhex(self.root)
        options.tls_extra_roots_pem = self.tls_cert
        return config

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


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


async def phone_messages(sim: Sim, phone: str, predicate, timeout: float = WAIT) -> list:
    """Polls the phone's timeline until an entry satisfies `predicate`; returns the timeline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        timeline = await asyncio.to_thread(sim.admin, "GET", f"/admin/accounts/{phone}/messages")
        if any(predicate(entry) for entry in timeline):
            return timeline
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"nothing matched on {phone}'s timeline: {timeline}")
        await asyncio.sleep(0.1)
