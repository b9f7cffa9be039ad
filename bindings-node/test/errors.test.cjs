'use strict';
// Bad input gives typed errors, never a crash or a hang; a closed manager lets the process
// exit (CommonJS require).
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');

const openwa = require('openwa');

const { SessionManager, OpenWAError, ERROR_CODES } = openwa;

const code = (expected) => (err) => {
  assert.ok(err instanceof OpenWAError, `${err}`);
  assert.equal(err.code, expected, err.message);
  return true;
};
const typeError = (err) => {
  assert.ok(err instanceof TypeError, `${err}`);
  return true;
};

test('error codes are the engine codes', () => {
  assert.ok(ERROR_CODES.length >= 17);
  assert.ok(ERROR_CODES.includes('invalid_argument') && ERROR_CODES.includes('not_found'));
  const err = new OpenWAError('x', { code: 'timeout', retryable: true });
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'OpenWAError');
  assert.equal(openwa.default, openwa);
});

test('wrong types, bad ids and a closed manager', async () => {
  await assert.rejects(SessionManager.open('not an object'), typeError);
  await assert.rejects(SessionManager.open({ eventBuffer: 0 }), code('invalid_argument'));
  await assert.rejects(SessionManager.open({ eventBuffer: 'many' }), code('invalid_argument'));
  assert.throws(() => new SessionManager({}), typeError);
  assert.throws(() => new openwa.Session(), typeError);
  assert.throws(() => new openwa.EventStream({}), typeError);
  const manager = await SessionManager.open();
  await assert.rejects(manager.createSession(123), typeError);
  await assert.rejects(manager.createSession(), typeError);
  await assert.rejects(manager.createSession('no spaces allowed'), (err) => {
    code('invalid_argument')(err);
    assert.equal(err.retryable, false);
    assert.equal(err.details, 'no spaces allowed');
    assert.match(err.message, /session id/);
    return true;
  });
  await assert.rejects(manager.createSession('x', { trustRoot: 'abcd' }), code('invalid_argument'));
  await assert.rejects(manager.createSession('x', 'options'), typeError);
  await assert.rejects(manager.get('nobody'), code('not_found'));
  const session = await manager.createSession('s');
  await assert.rejects(manager.createSession('s'), code('already_exists'));
  await assert.rejects(session.sendText(15551234567, 'hi'), typeError);
  await assert.rejects(session.sendText('15551234567', null), typeError);
  await assert.rejects(session.sendText('15551234567', 'hi', 'key'), typeError);
  await assert.rejects(session.sendText('15551234567', 'hi', { idempotencyKey: 7 }), typeError);
  await assert.rejects(session.sendText('not a chat!', 'hi'), code('invalid_argument'));
  await assert.rejects(session.sendText('15551234567', 'hi'), (err) => {
    assert.ok(['not_connected', 'not_paired'].includes(err.code), err.code);
    assert.equal(typeof err.retryable, 'boolean');
    return true;
  });
  await assert.rejects(session.markRead('15551234567', 'id'), typeError);
  await assert.rejects(session.waitForState('sleeping'), code('invalid_argument'));
  await assert.rejects(session.waitForState('connected', 50), (err) => {
    code('timeout')(err);
    assert.equal(err.retryable, true);
    return true;
  });
  assert.throws(() => manager.eventsFrom('0'), typeError);
  assert.throws(() => manager.eventsFrom(-1), typeError);
  await assert.rejects(manager.eventsSince(), typeError);
  await assert.rejects(manager.events().ack(1), code('invalid_argument'));
  assert.throws(() => openwa.normalizeChatId('@@'), code('invalid_argument'));
  assert.throws(() => openwa.normalizeChatId(42), typeError);
  assert.equal(openwa.normalizeChatId('15551234567'), '15551234567@s.whatsapp.net');
  assert.equal(manager.events().tryNext(), null);

  assert.equal(await manager[Symbol.asyncDispose](), undefined); // what `await using` calls
  // A closed manager answers with a typed error (or has nothing to do), never a hang.
  await assert.rejects(manager.createSession('late'), code('cancelled'));
  await assert.rejects(manager.consumer('late'), code('cancelled'));
  // Each call gets its handler at once: awaited one by one, a later call's rejection could land
  // before its handler (an unhandled rejection fails the test).
  const calls = [session.connect(), manager.list(), manager.close()].map((call) =>
    call.catch((err) => assert.ok(err instanceof OpenWAError, `${err}`)),
  );
  await Promise.all(calls);
  assert.equal(await manager.events().next(), null);
});

test('store configuration: key bytes as Buffer or hex, bad URLs and key sizes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwa-node-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = Buffer.alloc(32, 7);
  const withKey = (atRestKey) => ({
    store: { backend: { backend: 'sqlite', path: path.join(dir, 'a.db') }, atRestKey },
  });
  let manager = await SessionManager.open(withKey({ source: 'bytes', key }));
  await manager.createSession('kept');
  await manager.close();
  manager = await SessionManager.open(withKey({ source: 'bytes', key: key.toString('hex') }));
  assert.deepEqual((await manager.list()).map((s) => s.id), ['kept']);
  await manager.close();
  await assert.rejects(
    SessionManager.open(withKey({ source: 'bytes', key: Buffer.alloc(31) })),
    code('invalid_argument'),
  );
  await assert.rejects(
    SessionManager.open(withKey({ source: 'bytes', key: 'not hex' })),
    code('invalid_argument'),
  );
  await assert.rejects(
    SessionManager.open({ store: openwa.postgresStore('mysql://db', key) }),
    code('invalid_argument'),
  );
  await assert.rejects(
    SessionManager.open({ defaultSessionOptions: { tlsExtraRootsPem: 'not a certificate' } }),
    code('invalid_argument'),
  );
  assert.throws(() => openwa.sqliteStore(1), typeError);
  assert.deepEqual(openwa.memoryStore(), { backend: { backend: 'memory' }, atRestKey: null });
});

function runNode(script, ...flags) {
  const started = Date.now();
  const done = spawnSync(process.execPath, [...flags, '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { ...done, ms: Date.now() - started };
}

test('a process whose manager is closed exits by itself', () => {
  const script = `
    const { SessionManager } = require('openwa');
    (async () => {
      const manager = await SessionManager.open();
      const session = await manager.createSession('x');
      session.on('message', () => {});
      const stream = manager.events();
      await session.connect().catch(() => {});
      await manager.close();
      for await (const event of stream) void event; // ends once the manager is closed
      console.log('closed', await stream.next());
    })();`;
  const done = runNode(script);
  assert.equal(done.status, 0, done.stderr);
  assert.equal(done.stdout.trim(), 'closed null');
  assert.ok(done.ms < 20_000, `took ${done.ms} ms`);
});

test('a process with an open manager and no listener exits too', () => {
  const script = `
    const { SessionManager } = require('openwa');
    SessionManager.open().then(async (manager) => {
      await manager.createSession('left-open');
      const listener = () => {};
      manager.on('event', listener);
      manager.off('event', listener);
      console.log('ready');
    });`;
  const done = runNode(script);
  assert.equal(done.status, 0, done.stderr);
  assert.equal(done.stdout.trim(), 'ready');
});

test('ES module import', () => {
  const done = runNode(
    `import openwa, { SessionManager, ERROR_CODES } from 'openwa';
     if (openwa.SessionManager !== SessionManager || ERROR_CODES.length < 17) process.exit(3);
     const m = await SessionManager.open(); await m.close(); console.log('esm ok');`,
    '--input-type=module',
  );
  assert.equal(done.status, 0, done.stderr);
  assert.equal(done.stdout.trim(), 'esm ok');
});

test('a listener that throws reaches the error listeners; removing all listeners stops', async () => {
  const manager = await SessionManager.open({
    defaultSessionOptions: { serverUrl: 'ws://127.0.0.1:9/ws/chat', autoReconnect: false },
  });
  const session = await manager.createSession('x');
  const caught = new Promise((resolve) => session.on('error', resolve));
  let thrown = false;
  session.on('connection_state', () => {
    if (thrown) return;
    thrown = true;
    throw new Error('boom');
  });
  await session.connect();
  assert.equal((await caught).message, 'boom');
  session.removeAllListeners();
  assert.equal(session.listenerCount('connection_state'), 0);
  const again = new Promise((resolve) => session.once('event', resolve));
  await session.connect();
  assert.equal((await again).type, 'connection_state');
  await manager.close();
});

test('process.exit() while engine calls are pending exits cleanly', () => {
  for (const delay of [0, 1, 2, 5]) {
    const done = runNode(`
      const { SessionManager } = require('openwa');
      SessionManager.open().then(async (manager) => {
        const session = await manager.createSession('x');
        session.waitForState('connected', ${delay}).catch(() => {});
        manager.events().next();
        session.on('event', () => {});
        session.connect().catch(() => {});
        setTimeout(() => process.exit(0), ${delay});
      });`);
    assert.equal(done.status, 0, `delay ${delay}: ${done.stderr}`);
  }
});

test('Ctrl-C while waiting for events ends the process', async () => {
  const { spawn } = require('node:child_process');
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { SessionManager } = require('openwa');
       (async () => {
         const manager = await SessionManager.open();
         await manager.createSession('x');
         console.log('ready');
         for await (const event of manager.events()) void event;
       })();`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.once('exit', (status, signal) => resolve({ status, signal })));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const { status, signal } = await exited;
  clearTimeout(timer);
  assert.ok(signal === 'SIGINT' || status === 130, `status ${status}, signal ${signal}`);
});
