#!/usr/bin/env node
// The echo bot in Node, with the command-line contract of the Rust one (examples/echo-bot):
// links a device (QR or pairing code), prints `QR: <code>`, `Pairing code: <code>` and
// `Connected as <jid>`, and answers every incoming text with the same text. Echoes go through a
// durable consumer, acknowledged only once the echo was accepted, with the incoming message's
// id as idempotency key: a kill -9 at any moment loses no echo and doubles none.
//
//   npm install <checkout>/bindings-node && node echo-bot.mjs --server ws://… --trust-root HEX
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { OpenWAError, SessionManager } from 'openwa';

const USAGE = `usage: echo-bot.mjs [--server URL] [--trust-root HEX] [--tls-cert PEM] [--db PATH|URL]
                   [--key PATH] [--session ID] [--pair-code PHONE]`;

let args;
try {
  args = parseArgs({
    options: {
      server: { type: 'string' },
      'trust-root': { type: 'string' },
      'tls-cert': { type: 'string' },
      db: { type: 'string', default: 'echo-bot.db' },
      key: { type: 'string' },
      session: { type: 'string', default: 'echo-bot' },
      'pair-code': { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  console.error(`echo-bot: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const postgres = /^postgres(ql)?:\/\//.test(args.db);
const options = {};
if (args.server) options.serverUrl = args.server;
if (args['trust-root']) options.trustRoot = args['trust-root'];
if (args['tls-cert']) options.tlsExtraRootsPem = readFileSync(args['tls-cert'], 'utf8');
const manager = await SessionManager.open({
  store: {
    backend: postgres ? { backend: 'postgres', url: args.db } : { backend: 'sqlite', path: args.db },
    atRestKey: { source: 'file', path: args.key ?? (postgres ? 'echo-bot.key' : `${args.db}.key`) },
  },
  defaultSessionOptions: options,
});
let closing = false;
const close = () => {
  closing = true;
  manager.close().catch(() => {});
};
process.once('SIGINT', close);

// The stored session if it is paired, else a fresh one.
let session = await manager.get(args.session).catch(() => null);
if (session && !session.isPaired) {
  await manager.delete(args.session);
  session = null;
}
session ??= await manager.createSession(args.session);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const connected = () => console.log(`Connected as ${session.info().jid ?? ''}`);

// The connection, from live events (a replay would show stale codes).
let codeRequested = false;
session.on('qr', (event) => {
  if (!args['pair-code']) console.log(`QR: ${event.code}`);
});
session.on('pairing_code', (event) => console.log(`Pairing code: ${event.code}`));
session.on('paired', (event) => console.log(`Linked as ${event.jid}`));
session.on('connection_state', (event) => {
  if (event.state === 'connected') connected();
  else if (event.state === 'waiting_for_qr' && args['pair-code'] && !codeRequested) {
    codeRequested = true;
    session.pairWithCode(args['pair-code']).catch((err) => console.error(`echo-bot: ${err}`));
  } else if (!event.willReconnect && !closing) {
    console.error(`echo-bot: stopped: ${event.state} (${event.reason})`);
    close();
  }
});

// A consumer named after the session: it resumes after the last acknowledged event.
const consumer = await manager.consumer(args.session, args.session);
await session.connect();
if (session.state === 'connected') connected();

async function echo(message) {
  for (let backoff = 200; ; backoff = Math.min(backoff * 2, 10_000)) {
    try {
      const sent = await session.sendText(message.chat, message.text, { idempotencyKey: message.id });
      console.log(`Echoed to ${message.chat}: ${sent.id}`);
      return;
    } catch (err) {
      if (!(err instanceof OpenWAError)) throw err;
      if (['invalid_argument', 'not_found', 'unsupported'].includes(err.code)) {
        console.error(`echo-bot: ${message.id} in ${message.chat} cannot be echoed, skipped: ${err.message}`);
        return;
      }
      if (!err.retryable) throw err;
      if (err.code === 'not_connected') await session.waitForState('connected', backoff).catch(() => {});
      else await sleep(backoff);
    }
  }
}

for await (const event of consumer) {
  const message = event.type === 'message_received' ? event.message : null;
  if (message && !message.fromMe && message.text) {
    console.log(`Received from ${message.sender}: ${message.text}`);
    await echo(message);
  }
  // A failed ack only means the event is read again after a restart; the key keeps it single.
  await consumer.ack(event.seq).catch((err) => console.error(`echo-bot: ack ${event.seq}: ${err}`));
}
session.removeAllListeners();
