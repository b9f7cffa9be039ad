// examples/node/echo-bot.mjs (test.sh copies it beside this file): links by QR through the
// admin API, echoes a text, and after a SIGKILL and a restart answers what arrived meanwhile,
// once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import sim_ from './sim.cjs';

const { Sim, phoneMessages, withTimeout } = sim_;
const bot = fileURLToPath(new URL('./echo-bot.mjs', import.meta.url));

let sim;
let dir;
const children = [];
before(async () => {
  sim = await Sim.start();
  dir = mkdtempSync(join(tmpdir(), 'openwa-node-bot-'));
});
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start() {
  const child = spawn(
    process.execPath,
    [bot, '--server', sim.wsUrl, '--trust-root', sim.root, '--db', join(dir, 'bot.db')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const line = (prefix) =>
    withTimeout(
      (async () => {
        for (;;) {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found) return found.slice(prefix.length);
          await new Promise((resolve) => waiters.push(resolve));
        }
      })(),
      `the bot's "${prefix}" line`,
    );
  return { child, line };
}

// The distinct echoes of `text` on the phone's timeline (a message id is one echo, however
// often the phone lists it).
async function echoes(phone, text) {
  const timeline = await sim.admin('GET', `/admin/accounts/${phone}/messages`);
  const ids = timeline.filter((m) => !m.from_me && m.text === text).map((m) => m.id);
  return [...new Set(ids)];
}

test('the echo bot links by QR, echoes, and after kill -9 answers once', { skip: !existsSync(bot) }, async () => {
  const [me, bob] = [await sim.account('Bot'), await sim.account('Bob')];
  let run = start();
  const qr = await run.line('QR: ');
  await sim.admin('POST', `/admin/accounts/${me}/link`, { qr });
  assert.match(await run.line('Connected as '), new RegExp(`^${me}`));
  await sim.admin('POST', `/admin/accounts/${bob}/messages`, { to: me, text: 'ping' });
  await phoneMessages(sim, bob, (m) => !m.from_me && m.text === 'ping');

  run.child.kill('SIGKILL');
  await new Promise((resolve) => run.child.once('exit', resolve));
  await sim.admin('POST', `/admin/accounts/${bob}/messages`, { to: me, text: 'while down' });
  run = start();
  await run.line('Connected as ');
  await phoneMessages(sim, bob, (m) => !m.from_me && m.text === 'while down');
  assert.equal((await echoes(bob, 'ping')).length, 1, `ping: ${await echoes(bob, 'ping')}`);
  assert.equal((await echoes(bob, 'while down')).length, 1);
  run.child.kill('SIGINT');
  const status = await new Promise((resolve) => run.child.once('exit', (code) => resolve(code)));
  assert.equal(status, 0);
});
