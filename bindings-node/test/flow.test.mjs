// The engine through Node against `openwa-sim` in its own process (ES module import).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import openwa, { OpenWAError, SessionManager, sqliteStore } from 'openwa';
import sim_ from './sim.cjs';

const { Sim, nextEvent, linkByQr, phoneMessages, withTimeout } = sim_;

let sim;
let dir;
// Every event the tests saw, for the type check of index.d.ts (test.sh, OPENWA_EVENT_SAMPLES).
const seen = new Map();
const record = (events) => {
  for (const event of events) seen.set(event.seq, event);
};

before(async () => {
  sim = await Sim.start();
  dir = mkdtempSync(join(tmpdir(), 'openwa-node-test-'));
});

after(() => {
  sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (process.env.OPENWA_EVENT_SAMPLES) {
    writeFileSync(process.env.OPENWA_EVENT_SAMPLES, JSON.stringify([...seen.values()], null, 1));
  }
});

test('link by QR, receive, send idempotently, history, listeners and replay', async () => {
  assert.equal(openwa.SessionManager, SessionManager);
  const [me, bob] = [await sim.account('Alice'), await sim.account('Bob')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('main');
  assert.equal(session.id, 'main');
  assert.equal(session.state, 'disconnected');
  assert.equal(session.isPaired, false);
  const start = manager.lastSeq;

  const jid = await linkByQr(sim, session, me);
  assert.equal(session.isPaired, true);
  assert.equal(session.state, 'connected');
  assert.deepEqual(session.info(), { id: 'main', state: 'connected', jid, lid: session.info().lid });
  assert.deepEqual((await manager.list()).map((s) => s.id), ['main']);
  assert.equal((await manager.get('main')).id, 'main');

  // A text from Bob's simulated phone: through the stream and through `on('message')`.
  const events = session.events();
  const heard = new Promise((resolve) => session.once('message', (message, event) => resolve([message, event])));
  await sim.admin('POST', `/admin/accounts/${bob}/messages`, { to: me, text: 'hello' });
  const received = await nextEvent(events, 'message_received');
  const { message } = received;
  assert.equal(message.text, 'hello');
  assert.equal(message.fromMe, false);
  assert.equal(message.chat, `${bob}@s.whatsapp.net`);
  assert.deepEqual(message.content, { kind: 'text', text: 'hello' });
  assert.equal(received.sessionId, 'main');
  const [viaListener, listenerEvent] = await withTimeout(heard, 'the message listener');
  assert.deepEqual(viaListener, message);
  assert.equal(listenerEvent.seq, received.seq);

  // A text to Bob lands on his phone; the same idempotency key gives the same message.
  const sent = await session.sendText(bob, 'hi back', { idempotencyKey: 'k1' });
  assert.equal(sent.fromMe, true);
  assert.equal(sent.text, 'hi back');
  const again = await session.sendText(bob, 'hi back', { idempotencyKey: 'k1' });
  assert.equal(again.id, sent.id);
  const timeline = await phoneMessages(sim, bob, (m) => m.id === sent.id);
  assert.deepEqual(timeline.filter((m) => m.id === sent.id).map((m) => m.text), ['hi back']);

  // Several calls at once.
  const burst = await Promise.all([0, 1, 2, 3, 4].map((i) => session.sendText(bob, `n${i}`)));
  assert.equal(new Set(burst.map((m) => m.id)).size, 5);

  // History and marking read.
  const page = await session.messages(bob);
  const ids = new Set(page.messages.map((m) => m.id));
  assert.ok(ids.has(sent.id) && ids.has(message.id));
  assert.ok('nextCursor' in page);
  assert.equal((await session.message(bob, sent.id)).text, 'hi back');
  assert.equal(await session.messageCount(bob), page.messages.length);
  const first = await session.messages(bob, { limit: 1 });
  assert.equal(first.messages.length, 1);
  assert.notEqual(first.nextCursor, null);
  await session.markRead(bob, [message.id]);

  // Replay: eventsSince and eventsFrom give the same events, in seq order.
  const logged = await manager.eventsSince(start);
  record(logged);
  const seqs = logged.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, seqs.length);
  const types = new Set(logged.map((e) => e.type));
  for (const type of ['qr', 'paired', 'connection_state', 'message_received', 'message_sent']) {
    assert.ok(types.has(type), type);
  }
  const replay = manager.eventsFrom(start);
  const replayed = [];
  for await (const event of replay) {
    replayed.push(event);
    if (replayed.length === logged.length) break; // `break` closes the stream
  }
  assert.deepEqual(replayed, logged);
  assert.equal(await replay.next(), null);
  assert.deepEqual(await session.eventsSince(start, 5), logged.slice(0, 5));

  events.close();
  await manager.close();
  // A closed manager ends its streams: `for await` finishes.
  for await (const event of session.events()) assert.fail(`unexpected ${event.type}`);
});

test('queued sends, pacing and the reconnect policy', async () => {
  const [me, bob] = [await sim.account('Alice'), await sim.account('Bob')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('queue');
  await linkByQr(sim, session, me);
  const events = session.events();

  // Queued while disconnected: pending at once, on Bob's phone once connected.
  await session.disconnect();
  const queued = await session.sendText(bob, 'queued hi', { queued: true });
  assert.equal(queued.status, 'pending');
  await assert.rejects(session.sendText(bob, 'direct'), { code: 'not_connected' });
  await assert.rejects(session.sendText(bob, 'x', { queued: 'yes' }), { name: 'TypeError' });
  await session.connect();
  const sent = await nextEvent(events, 'message_sent');
  record([sent]);
  assert.equal(sent.message.id, queued.id);
  await phoneMessages(sim, bob, (m) => m.id === queued.id);

  // Pacing and its hourly cap.
  assert.deepEqual(session.sendPacing(), { minIntervalMs: 0, jitterMs: 0, maxPerHour: 0 });
  await session.setSendPacing({ maxPerHour: 1 });
  assert.equal(session.sendPacing().maxPerHour, 1);
  await session.sendText(bob, 'one this hour');
  await assert.rejects(session.sendText(bob, 'too many'), (err) => {
    assert.equal(err.code, 'rate_limited');
    assert.ok(Number(err.details) > 3000, err.details);
    return true;
  });
  await assert.rejects(session.setSendPacing({ minIntervalMs: 'soon' }), { code: 'invalid_argument' });
  await assert.rejects(session.setSendPacing(5), { name: 'TypeError' });
  await session.setSendPacing({});

  // The reconnect policy.
  assert.deepEqual(session.reconnectPolicy(), { baseDelayMs: 1000, maxAttempts: null });
  await session.setReconnectPolicy({ baseDelayMs: 2000, maxAttempts: 3 });
  assert.deepEqual(session.reconnectPolicy(), { baseDelayMs: 2000, maxAttempts: 3 });
  await assert.rejects(session.setReconnectPolicy({ baseDelayMs: 1 }), { code: 'invalid_argument' });
  await manager.close();
});

test('a durable consumer resumes after its ack across a restart', async () => {
  const [me, bob] = [await sim.account('Carol'), await sim.account('Dan')];
  const config = {
    store: sqliteStore(join(dir, 'bot.db')),
    defaultSessionOptions: sim.options(),
  };
  let manager = await SessionManager.open(config);
  // A second manager on the same database is refused while the first is open.
  await assert.rejects(SessionManager.open(config), (err) => {
    assert.ok(err instanceof OpenWAError);
    assert.equal(err.code, 'store');
    assert.match(err.message, /in use/);
    return true;
  });
  let session = await manager.createSession('bot');
  await linkByQr(sim, session, me);
  let consumer = await manager.consumer('echo', 'bot');
  for (const text of ['one', 'two']) {
    await sim.admin('POST', `/admin/accounts/${bob}/messages`, { to: me, text });
  }
  const first = await nextEvent(consumer, 'message_received');
  assert.equal(first.message.text, 'one');
  await consumer.ack(first.seq);
  await manager.close();

  // Same database: the session logs in again without a QR, and the consumer starts right
  // after the acknowledged event.
  manager = await SessionManager.open(config);
  session = await manager.get('bot');
  assert.equal(session.isPaired, true);
  await session.waitForState('connected', 60_000);
  consumer = await manager.consumer('echo', 'bot');
  const resumed = await nextEvent(consumer, 'message_received');
  assert.ok(resumed.seq > first.seq);
  assert.equal(resumed.message.text, 'two');
  // A saved cursor replays the log of the earlier run, then goes on live.
  // (Compared without timestampMs: a live incoming message's event and its logged copy can
  // differ by a millisecond.)
  const fromCursor = manager.eventsFrom(first.seq - 1);
  const { timestampMs: _, ...replayed } = await fromCursor.next();
  const { timestampMs: __, ...live } = first;
  assert.deepEqual(replayed, live);
  fromCursor.close();
  record(await manager.eventsSince(0));
  await manager.close();
});

test('pairing code, logout and delete', async () => {
  const phone = await sim.account('Erin');
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('coded');
  const codes = [];
  session.on('pairing_code', (event) => codes.push(event.code));
  await session.connect();
  await session.waitForState('waiting_for_qr', 60_000);
  const code = await session.pairWithCode(phone);
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await sim.admin('POST', `/admin/accounts/${phone}/link-code`, { code });
  await session.waitForState('connected', 60_000);
  assert.deepEqual(codes, [code]);
  session.removeAllListeners('pairing_code');
  const logged = await session.eventsSince(0);
  record(logged);
  assert.deepEqual(
    logged.filter((e) => e.type === 'paired').map((e) => e.jid),
    [session.info().jid],
  );
  await session.logout();
  assert.equal(session.state, 'logged_out');
  assert.equal(session.isPaired, false);
  await manager.delete('coded');
  await assert.rejects(manager.get('coded'), (err) => err instanceof OpenWAError && err.code === 'not_found');
  assert.deepEqual(await manager.list(), []);
  await manager.close();
});

test('a live stream that falls behind gets lagged, then replays what it missed', async () => {
  const manager = await SessionManager.open({ eventBuffer: 1, defaultSessionOptions: sim.options() });
  const stream = manager.events();
  const start = manager.lastSeq;
  const session = await manager.createSession('slow');
  await session.connect(); // connecting, waiting_for_qr, qr: more than the buffer holds
  await withTimeout(
    (async () => {
      while (manager.lastSeq < start + 3) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    'three events',
  );
  const lagged = await stream.next();
  assert.equal(lagged.type, 'lagged');
  assert.ok(lagged.missed >= 1);
  record([lagged]);
  const missed = await manager.eventsSince(lagged.seq);
  assert.ok(missed.length >= lagged.missed);
  await manager.close();
});

test('media both ways: typed content, download to a Buffer and a file, send from data and path', async () => {
  const [me, bob] = [await sim.account('Alice'), await sim.account('Bob')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  try {
    const session = await manager.createSession('media');
    await linkByQr(sim, session, me);
    const events = session.events();

    const picture = randomBytes(5000);
    const body = { to: me, image: { data: picture.toString('base64'), caption: 'pic' } };
    await sim.admin('POST', `/admin/accounts/${bob}/messages`, body);
    const received = await nextEvent(events, 'message_received');
    record([received]);
    const { message } = received;
    assert.equal(message.messageType, 'image');
    assert.equal(message.content.kind, 'image');
    assert.equal(message.content.caption, 'pic');
    assert.equal(message.content.media.fileLength, 5000);
    assert.deepEqual(await session.downloadMedia(bob, message.id), picture);
    const target = join(dir, 'pic.jpg');
    assert.equal(await session.downloadMediaToFile(bob, message.id, target), 5000);
    assert.deepEqual(readFileSync(target), picture);

    const note = randomBytes(2000);
    const voice = await session.sendMedia(bob, { kind: 'voice', data: note, seconds: 1, waveform: Buffer.from([0, 50]) });
    assert.equal(voice.content.kind, 'audio');
    assert.equal(voice.content.ptt, true);
    const once = await session.sendMedia(bob, { kind: 'image', data: randomBytes(500), viewOnce: true });
    assert.equal(once.content.viewOnce, true);
    await assert.rejects(session.sendMedia(bob, { kind: 'document', data: Buffer.from('x'), viewOnce: true }), { code: 'invalid_argument' });
    await phoneMessages(sim, bob, (m) => m.id === voice.id);
    assert.deepEqual(await sim.raw(`/admin/accounts/${bob}/messages/${voice.id}/media`), note);
    const docPath = join(dir, 'doc.bin');
    writeFileSync(docPath, randomBytes(30000));
    const doc = await session.sendMedia(bob, { kind: 'document', path: docPath, fileName: 'doc.bin' });
    await phoneMessages(sim, bob, (m) => m.id === doc.id);
    assert.deepEqual(await sim.raw(`/admin/accounts/${bob}/messages/${doc.id}/media`), readFileSync(docPath));

    await assert.rejects(session.sendMedia(bob, { kind: 'image', data: Buffer.alloc(0) }), { code: 'invalid_argument' });
    await assert.rejects(session.sendMedia(bob, { kind: 'sticker', data: Buffer.from('x'), mimetype: 'image/png' }), { code: 'invalid_argument' });
    await assert.rejects(session.sendMedia(bob, { kind: 'hologram', data: Buffer.from('x') }), { code: 'invalid_argument' });
    await assert.rejects(session.downloadMedia(bob, 'NOPE'), { code: 'not_found' });
  } finally {
    await manager.close();
  }
});
