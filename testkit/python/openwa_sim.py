"""An `openwa-sim` process (a WhatsApp network on loopback) and its admin API, for the Python
test suites of the bindings (bindings-python/tests, bindings-swift/tests). Imports no OpenWA
package, so each suite keeps its own.

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
from typing import Any, Dict, Optional

WAIT = 60.0
_phones = itertools.count(15550007001)


def sim_binary() -> str:
    explicit = os.environ.get("OPENWA_SIM")
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).parents[2] / "target"))
    for profile in ("release", "debug"):
        candidate = target / profile / "openwa-sim"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError(f"no openwa-sim binary: set OPENWA_SIM or build it into {target}")


class Sim:
    """A running `openwa-sim` and its admin API (one JSON request per call)."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        self.process = subprocess.Popen(
            [sim_binary(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("openwa-sim exited before its ready line")
        self.ready: Dict[str, Any] = json.loads(line)
        self.ws_url: str = self.ready["ws_url"]
        self.admin_url: str = self.ready["admin_url"]
        self.root: str = self.ready["root_public_key"]
        self.tls_cert: str = Path(self.ready["tls_cert_path"]).read_text()

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
        return json.loads(text) if text else None

    def account(self, name: str = "Test") -> str:
        phone = str(next(_phones))
        self.admin("POST", "/admin/accounts", {"phone": phone, "name": name})
        return phone

    def options(self) -> Dict[str, Any]:
        """Session options pointing at this simulator (the trust root as hex), trusting its
        TLS certificate (for the HTTPS media host)."""
        return {
            "server_url": self.ws_url,
            "trust_root": self.root,
            "tls_extra_roots_pem": self.tls_cert,
        }

    def raw(self, path: str) -> bytes:
        """The raw body of a GET on the admin API."""
        with urllib.request.urlopen(self.admin_url + path, timeout=WAIT) as response:
            return response.read()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


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
