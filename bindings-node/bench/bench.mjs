// The Node package's costs, against an `openwa-sim` process (see docs/BENCHMARKS.md): calls/s
// of a trivial synchronous call (the `manager.lastSeq` getter) and of a trivial awaited call
// (`await manager.list()` with no session); events/s delivered into Node (a linked session
// receives N texts, then `eventsFrom(cursor)` replays them); RSS per idle linked session (N
// sessions linked, the manager closed, a fresh Node process opens it again on the same SQLite
// file, waits until every session is connected, idles, and reports its RSS against its RSS
// before `open`).
//
//   OPENWA_SIM=… node bindings-node/bench/bench.mjs [sessions] [texts]
//
// Run it from a project where `openwa` is installed (it imports the package), e.g. copy it next
// to that project's node_modules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SessionManager, sqliteStore } from 'openwa';

const require = createRequire(import.meta.url);
const { Sim, linkByQr } = require(process.env.OPENWA_SIM_HELPER ?? './sim.cjs');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rssKib = () => Math.round(process.memoryUsage.rss() / 1024);

async function callsAndEvents(sim, texts) {
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  let n = 2_000_000;
  let started = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += manager.lastSeq;
  const syncRate = n / ((performance.now() - started) / 1000);
  n = 20_000;
  started = performance.now();
  for (let i = 0; i < n; i++) await manager.list();
  const asyncRate = n / ((performance.now() - started) / 1000);

  const [me, peer] = [await sim.account('Bench'), await sim.account('Peer')];
  const session = await manager.createSession('bench');
  await linkByQr(sim, session, me);
  const cursor = manager.lastSeq;
  for (let i = 0; i < texts; i++) {
    await sim.admin('POST', `/admin/accounts/${peer}/messages`, { to: me, text: `t${i}` });
  }
  for (;;) {
    const logged = await manager.eventsSince(cursor, texts * 4);
    if (logged.filter((e) => e.type === 'message_received').length >= texts) break;
    await sleep(200);
  }
  const replay = manager.eventsFrom(cursor);
  let [received, events] = [0, 0];
  started = performance.now();
  while (received < texts) {
    const event = await replay.next();
    events += 1;
    if (event.type === 'message_received') received += 1;
  }
  const eventsRate = events / ((performance.now() - started) / 1000);
  replay.close();
  await manager.close();
  return { syncCallsPerS: syncRate, asyncCallsPerS: asyncRate, replayedEvents: events, eventsPerS: eventsRate, sink: sink > 0 };
}

async function provision(sim, db, sessions) {
  const phones = [];
  for (let i = 0; i < sessions; i++) phones.push(await sim.account(`Idle ${i}`));
  const manager = await SessionManager.open({ store: sqliteStore(db), defaultSessionOptions: sim.options() });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const i = next++;
      await linkByQr(sim, await manager.createSession(`s${i}`), phones[i]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const linkS = (performance.now() - started) / 1000;
  await manager.close();
  return linkS;
}

async function restoreChild(db, sessions, idleMs) {
  const before = rssKib();
  const started = performance.now();
  const manager = await SessionManager.open({ store: sqliteStore(db) });
  while ((await manager.list()).filter((s) => s.state === 'connected').length < sessions) await sleep(20);
  const restoreS = (performance.now() - started) / 1000;
  await sleep(idleMs);
  const after = rssKib();
  console.log(JSON.stringify({ sessions, restoreS, rssBeforeKib: before, rssAfterKib: after, kibPerSession: (after - before) / sessions }));
  await manager.close();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--restore-child') {
  await restoreChild(rest[0], Number(rest[1]), 5000);
} else {
  const sessions = Number(mode ?? 1000);
  const texts = Number(rest[0] ?? 2000);
  const sim = await Sim.start();
  try {
    console.log(JSON.stringify(await callsAndEvents(sim, texts)));
    if (sessions > 0) {
      const dir = mkdtempSync(join(tmpdir(), 'openwa-node-bench-'));
      const db = join(dir, 'bench.db');
      console.log(JSON.stringify({ linked: sessions, linkS: await provision(sim, db, sessions) }));
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--restore-child', db, String(sessions)], { stdio: 'inherit', env: process.env });
      rmSync(dir, { recursive: true, force: true });
      if (child.status !== 0) process.exitCode = 1;
    }
  } finally {
    sim.stop();
  }
}
