// Signal oracle for OpenWA's interop tests: one libsignal-node party (npm `libsignal` 6.0.0)
// plus Baileys 7's group cipher, driven by JSON lines on stdin; one JSON line answers each
// request on stdout. Binary values are hex strings. Run by core/protocol/tests/signal_interop.rs.
//
// Requests ({"op": …}):
//   init {name, device, prekeys}                  -> {bundle}
//   bundle {}                                     -> {bundle} (next unused one-time prekey)
//   process_bundle {address, bundle}              -> {}
//   encrypt {address, plaintexts: [hex]}          -> {messages: [{type, body}]}
//   decrypt {address, messages: [{type, body}]}   -> {results: [{ok: hex} | {error}]}
//   group_create {group, sender}                  -> {skdm}
//   group_process {group, sender, skdm}           -> {}
//   group_encrypt {group, sender, plaintexts}     -> {messages: [hex]}
//   group_decrypt {group, sender, messages}       -> {results: [{ok} | {error}]}
// An address is {name, device}; a bundle is {registrationId, identityKey, signedPreKey: {keyId,
// publicKey, signature}, preKey?: {keyId, publicKey}} with 33-byte (0x05-prefixed) keys.
import readline from 'node:readline';
import libsignal from 'libsignal';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from 'baileys7/lib/Signal/Group/index.js';

// libsignal logs session changes and failures with console.*; keep stdout for answers only.
if (!process.env.SIGNAL_ORACLE_DEBUG) {
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = () => {};
}

const hex = (buf) => Buffer.from(buf).toString('hex');
const unhex = (s) => Buffer.from(s, 'hex');

class Storage {
  constructor(name, device, prekeyCount) {
    this.identity = libsignal.keyhelper.generateIdentityKeyPair();
    this.registrationId = libsignal.keyhelper.generateRegistrationId();
    this.signed = libsignal.keyhelper.generateSignedPreKey(this.identity, 1);
    this.preKeys = new Map();
    for (let id = 1; id <= prekeyCount; id++) {
      this.preKeys.set(id, libsignal.keyhelper.generatePreKey(id).keyPair);
    }
    this.nextPreKey = 1;
    this.sessions = new Map();
    this.senderKeys = new Map();
    this.address = new libsignal.ProtocolAddress(name, device);
  }
  async getOurIdentity() { return this.identity; }
  async getOurRegistrationId() { return this.registrationId; }
  async isTrustedIdentity() { return true; }
  async loadSession(id) { return this.sessions.get(id); }
  async storeSession(id, record) { this.sessions.set(id, record); }
  async loadPreKey(id) { return this.preKeys.get(id); }
  async removePreKey(id) { this.preKeys.delete(id); }
  async loadSignedPreKey(id) { return id === this.signed.keyId ? this.signed.keyPair : undefined; }
  async loadSenderKey(name) {
    const key = name.toString();
    if (!this.senderKeys.has(key)) this.senderKeys.set(key, new SenderKeyRecord());
    return this.senderKeys.get(key);
  }
  async storeSenderKey(name, record) { this.senderKeys.set(name.toString(), record); }

  bundle() {
    const b = {
      registrationId: this.registrationId,
      identityKey: hex(this.identity.pubKey),
      signedPreKey: {
        keyId: this.signed.keyId,
        publicKey: hex(this.signed.keyPair.pubKey),
        signature: hex(this.signed.signature),
      },
    };
    const id = this.nextPreKey++;
    const pair = this.preKeys.get(id);
    if (pair) b.preKey = { keyId: id, publicKey: hex(pair.pubKey) };
    return b;
  }
}

let storage;
const address = (a) => new libsignal.ProtocolAddress(a.name, a.device);
const senderKeyName = (group, sender) => new SenderKeyName(group, address(sender));

async function handle(req) {
  switch (req.op) {
    case 'init':
      storage = new Storage(req.name, req.device, req.prekeys ?? 10);
      return { bundle: storage.bundle() };
    case 'bundle':
      return { bundle: storage.bundle() };
    case 'process_bundle': {
      const b = req.bundle;
      const device = {
        registrationId: b.registrationId,
        identityKey: unhex(b.identityKey),
        signedPreKey: {
          keyId: b.signedPreKey.keyId,
          publicKey: unhex(b.signedPreKey.publicKey),
          signature: unhex(b.signedPreKey.signature),
        },
      };
      if (b.preKey) device.preKey = { keyId: b.preKey.keyId, publicKey: unhex(b.preKey.publicKey) };
      await new libsignal.SessionBuilder(storage, address(req.address)).initOutgoing(device);
      return {};
    }
    case 'encrypt': {
      const cipher = new libsignal.SessionCipher(storage, address(req.address));
      const messages = [];
      for (const p of req.plaintexts) {
        const out = await cipher.encrypt(unhex(p));
        messages.push({ type: out.type === 3 ? 'pkmsg' : 'msg', body: hex(out.body) });
      }
      return { messages };
    }
    case 'decrypt': {
      const cipher = new libsignal.SessionCipher(storage, address(req.address));
      const results = [];
      for (const m of req.messages) {
        try {
          const body = unhex(m.body);
          const plain = m.type === 'pkmsg'
            ? await cipher.decryptPreKeyWhisperMessage(body)
            : await cipher.decryptWhisperMessage(body);
          results.push({ ok: hex(plain) });
        } catch (e) {
          results.push({ error: String(e && e.message || e) });
        }
      }
      return { results };
    }
    case 'group_create': {
      const skdm = await new GroupSessionBuilder(storage).create(senderKeyName(req.group, req.sender));
      return { skdm: hex(skdm.serialize()) };
    }
    case 'group_process': {
      const skdm = new SenderKeyDistributionMessage(null, null, null, null, unhex(req.skdm));
      await new GroupSessionBuilder(storage).process(senderKeyName(req.group, req.sender), skdm);
      return {};
    }
    case 'group_encrypt': {
      const cipher = new GroupCipher(storage, senderKeyName(req.group, req.sender));
      const messages = [];
      for (const p of req.plaintexts) messages.push(hex(await cipher.encrypt(unhex(p))));
      return { messages };
    }
    case 'group_decrypt': {
      const cipher = new GroupCipher(storage, senderKeyName(req.group, req.sender));
      const results = [];
      for (const m of req.messages) {
        try {
          results.push({ ok: hex(await cipher.decrypt(unhex(m))) });
        } catch (e) {
          results.push({ error: String(e && e.message || e) });
        }
      }
      return { results };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (e) {
    answer = { fatal: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
