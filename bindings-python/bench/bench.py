"""The Python package's costs, against an `openwa-sim` process (see docs/BENCHMARKS.md):

- calls/s of a trivial synchronous call (the `manager.last_seq` property) and of a trivial awaited call
  (`await manager.list()` with no session);
- events/s delivered into Python: a linked session receives N texts from a simulated phone,
  then `events_from(cursor)` replays them (message events, each converted to an `Event` with
  its `Message`);
- RSS per idle linked session: N sessions are linked (QR through the admin API), the manager
  closed, and a fresh Python process opens it again on the same SQLite file, waits until every
  session is connected, idles, and reports its RSS against its RSS before `open`.

    python bindings-python/bench/bench.py [--sessions 1000] [--texts 2000]

Needs the package installed (`pip install ./bindings-python`) and `openwa-sim` (OPENWA_SIM or
the target dir).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "testkit" / "python"))

import openwa  # noqa: E402
from openwa_sim import Sim  # noqa: E402


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def link(sim, manager, name, phone):
    session = await manager.create_session(name)
    events = session.events()
    await session.connect()
    async for event in events:
        if event.type == "qr":
            await asyncio.to_thread(
                sim.admin, "POST", f"/admin/accounts/{phone}/link", {"qr": event["code"]}
            )
            break
    await session.wait_for_state("connected", 600_000)
    return session


async def calls_and_events(sim, texts):
    manager = await openwa.SessionManager.open(default_session_options=sim.options())
    n = 200_000
    started = time.perf_counter()
    for _ in range(n):
        manager.last_seq
    sync_rate = n / (time.perf_counter() - started)
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        await manager.list()
    async_rate = n / (time.perf_counter() - started)

    me, peer = sim.account("Bench"), sim.account("Peer")
    await link(sim, manager, "bench", me)
    cursor = manager.last_seq
    for i in range(texts):
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{peer}/messages", {"to": me, "text": f"t{i}"}
        )
    # Every text stored before the replay starts.
    while True:
        logged = await manager.events_since(cursor, texts * 4)
        if sum(1 for e in logged if e.type == "message_received") >= texts:
            break
        await asyncio.sleep(0.2)
    replay = manager.events_from(cursor)
    received = 0
    started = time.perf_counter()
    events = 0
    while received < texts:
        event = await replay.next()
        events += 1
        if event.type == "message_received":
            received += 1
    events_rate = events / (time.perf_counter() - started)
    await manager.close()
    return {"sync_calls_per_s": sync_rate, "async_calls_per_s": async_rate,
            "replayed_events": events, "events_per_s": events_rate}


async def provision(sim, db, sessions):
    phones = [sim.account(f"Idle {i}") for i in range(sessions)]
    manager = await openwa.SessionManager.open(store=openwa.sqlite_store(db),
                                               default_session_options=sim.options())
    started = time.perf_counter()
    gate = asyncio.Semaphore(32)

    async def one(i):
        async with gate:
            await link(sim, manager, f"s{i}", phones[i])

    await asyncio.gather(*(one(i) for i in range(sessions)))
    linking = time.perf_counter() - started
    await manager.close()
    return linking


async def restore_child(db, sessions, idle):
    before = rss_kib()
    started = time.perf_counter()
    manager = await openwa.SessionManager.open(store=openwa.sqlite_store(db))
    while sum(1 for s in await manager.list() if s.state == "connected") < sessions:
        await asyncio.sleep(0.02)
    restore = time.perf_counter() - started
    await asyncio.sleep(idle)
    after = rss_kib()
    print(json.dumps({"sessions": sessions, "restore_s": restore, "rss_before_kib": before,
                      "rss_after_kib": after,
                      "kib_per_session": (after - before) / sessions}), flush=True)
    await manager.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--restore-child", nargs=2, metavar=("DB", "SESSIONS"))
    args = parser.parse_args()
    if args.restore_child:
        db, sessions = args.restore_child
        asyncio.run(restore_child(db, int(sessions), args.idle))
        return
    sim = Sim()
    try:
        report = asyncio.run(calls_and_events(sim, args.texts))
        print(json.dumps(report), flush=True)
        if args.sessions:
            with tempfile.TemporaryDirectory() as tmp:
                db = os.path.join(tmp, "bench.db")
                linking = asyncio.run(provision(sim, db, args.sessions))
                print(json.dumps({"linked": args.sessions, "link_s": linking}), flush=True)
                subprocess.run([sys.executable, __file__, "--idle", str(args.idle),
                                "--restore-child", db, str(args.sessions)], check=True)
    finally:
        sim.process.kill()


if __name__ == "__main__":
    main()
