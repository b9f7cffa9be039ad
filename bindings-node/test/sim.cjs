'use strict';
// Test support: an `openwa-sim` process (a WhatsApp network on loopback) and its admin API.
// The binary is $OPENWA_SIM (bindings-node/test.sh builds it).

const { spawn } = require('node:child_process');
const readline = require('node:readline');

const WAIT_MS = 60_000;
let nextPhone = 15550009001;

class Sim {
  static async start() {
    const binary = process.env.OPENWA_SIM;
    if (!binary) throw new Error('set OPENWA_SIM to the openwa-sim binary');
    const child = spawn(binary, ['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { RUST_LOG: 'warn', ...process.env },
    });
    const lines = readline.createInterface({ input: child.stdout });
    const [line] = await Promise.race([
      new Promise((resolve) => lines.once('line', (first) => resolve([first]))),
      new Promise((_, reject) => child.once('exit', () => reject(new Error('openwa-sim exited')))),
    ]);
    lines.close();
    child.stdout.resume();
    return new Sim(child, JSON.parse(line));
  }

  constructor(child, ready) {
    this.child = child;
    this.wsUrl = ready.ws_url;
    this.adminUrl = ready.admin_url;
    this.root = ready.root_public_key;
    this.tlsCert = require('node:fs').readFileSync(ready.tls_cert_path, 'utf8');
  }

  async admin(method, path, body) {
    const response = await fetch(this.adminUrl + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async account(name = 'Test') {
    const phone = String(nextPhone++);
    await this.admin('POST', '/admin/accounts', { phone, name });
    return phone;
  }

  /** Session options pointing at this simulator (the trust root as hex), trusting its TLS
   * certificate (for the HTTPS media host). */
  options() {
    return { serverUrl: this.wsUrl, trustRoot: this.root, tlsExtraRootsPem: this.tlsCert };
  }

  /** The raw body of a GET on the admin API. */
  async raw(path) {
    const response = await fetch(this.adminUrl + path, { signal: AbortSignal.timeout(WAIT_MS) });
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  stop() {
    this.child.kill('SIGKILL');
  }
}

function withTimeout(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next event of `type` on `stream` (others are skipped). */
function nextEvent(stream, type) {
  const find = async () => {
    for (;;) {
      const event = await stream.next();
      if (event === null) throw new Error(`the stream ended before a ${type} event`);
      if (event.type === type) return event;
    }
  };
  return withTimeout(find(), `a ${type} event`);
}

/** Connects `session`, links it to `phone` with the first QR, waits for `connected`; returns
 * the device JID. */
async function linkByQr(sim, session, phone) {
  const events = session.events();
  await session.connect();
  const qr = await nextEvent(events, 'qr');
  events.close();
  const linked = await sim.admin('POST', `/admin/accounts/${phone}/link`, { qr: qr.code });
  await session.waitForState('connected', WAIT_MS);
  return linked.jid;
}

/** Polls the phone's timeline until an entry satisfies `predicate`; returns the timeline. */
async function phoneMessages(sim, phone, predicate) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const timeline = await sim.admin('GET', `/admin/accounts/${phone}/messages`);
    if (timeline.some(predicate)) return timeline;
    if (Date.now() > deadline) throw new Error(`nothing matched on ${phone}'s timeline`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

module.exports = { Sim, nextEvent, linkByQr, phoneMessages, withTimeout, WAIT_MS };
