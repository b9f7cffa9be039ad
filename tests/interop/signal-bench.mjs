// Throughput of libsignal-node 6.0.0 (1:1) and Baileys 7's group cipher (sender keys) for the
// same operations as core/protocol/benches/signal.rs, with in-memory storage. Prints one line
// per operation: name, operations per second, mean microseconds. Usage:
//   node tests/interop/signal-bench.mjs [seconds per operation, default 3]
import libsignal from 'libsignal';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from 'baileys7/lib/Signal/Group/index.js';

for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  if (level !== 'log') console[level] = () => {};
}

const seconds = Number(process.argv[2] || 3);
const PLAINTEXT = Buffer.alloc(100, 0x42);

class Storage {
  constructor(name) {
    this.identity = libsignal.keyhelper.generateIdentityKeyPair();
    this.registrationId = libsignal.keyhelper.generateRegistrationId();
    this.signed = libsignal.keyhelper.generateSignedPreKey(this.identity, 1);
    this.preKey = libsignal.keyhelper.generatePreKey(1);
    this.sessions = new Map();
    this.senderKeys = new Map();
    this.address = new libsignal.ProtocolAddress(name, 1);
  }
  async getOurIdentity() { return this.identity; }
  async getOurRegistrationId() { return this.registrationId; }
  async isTrustedIdentity() { return true; }
  async loadSession(id) { return this.sessions.get(id); }
  async storeSession(id, record) { this.sessions.set(id, record); }
  async loadPreKey(id) { return id === 1 && this.preKey ? this.preKey.keyPair : undefined; }
  async removePreKey() { this.preKey = undefined; }
  async loadSignedPreKey() { return this.signed.keyPair; }
  async loadSenderKey(name) {
    const key = name.toString();
    if (!this.senderKeys.has(key)) this.senderKeys.set(key, new SenderKeyRecord());
    return this.senderKeys.get(key);
  }
  async storeSenderKey(name, record) { this.senderKeys.set(name.toString(), record); }
  device() {
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.pubKey,
      signedPreKey: { keyId: 1, publicKey: this.signed.keyPair.pubKey, signature: this.signed.signature },
      preKey: { keyId: 1, publicKey: this.preKey.keyPair.pubKey },
    };
  }
}

async function sessionSetup() {
  const alice = new Storage('alice');
  const bob = new Storage('bob');
  const start = process.hrtime.bigint();
  await new libsignal.SessionBuilder(alice, bob.address).initOutgoing(bob.device());
  const out = await new libsignal.SessionCipher(alice, bob.address).encrypt(PLAINTEXT);
  await new libsignal.SessionCipher(bob, alice.address).decryptPreKeyWhisperMessage(out.body);
  return process.hrtime.bigint() - start;
}

async function pair() {
  const alice = new Storage('alice');
  const bob = new Storage('bob');
  await new libsignal.SessionBuilder(alice, bob.address).initOutgoing(bob.device());
  const toBob = new libsignal.SessionCipher(alice, bob.address);
  const toAlice = new libsignal.SessionCipher(bob, alice.address);
  await toAlice.decryptPreKeyWhisperMessage((await toBob.encrypt(PLAINTEXT)).body);
  await toBob.decryptWhisperMessage((await toAlice.encrypt(PLAINTEXT)).body);
  return { toBob, toAlice };
}

async function measure(name, step) {
  let total = 0n;
  let count = 0;
  const budget = BigInt(Math.round(seconds * 1e9));
  for (let i = 0; i < 50; i++) await step(); // warm-up
  while (total < budget) {
    total += await step();
    count++;
  }
  const mean = Number(total) / count / 1e3;
  console.log(`${name.padEnd(14)} ${(1e6 / mean).toFixed(0).padStart(8)} ops/s  ${mean.toFixed(1).padStart(8)} µs  (${count} runs)`);
}

const timed = (fn) => async () => {
  const start = process.hrtime.bigint();
  await fn();
  return process.hrtime.bigint() - start;
};

console.log(`node ${process.version}, libsignal 6.0.0, baileys 7.0.0-rc14 group cipher, ${seconds}s per operation`);
await measure('session_setup', sessionSetup);
{
  const { toBob } = await pair();
  await measure('msg_encrypt', timed(() => toBob.encrypt(PLAINTEXT)));
}
{
  const { toBob, toAlice } = await pair();
  await measure('msg_decrypt', async () => {
    const out = await toBob.encrypt(PLAINTEXT);
    const start = process.hrtime.bigint();
    await toAlice.decryptWhisperMessage(out.body);
    return process.hrtime.bigint() - start;
  });
}
{
  const alice = new Storage('alice');
  const bob = new Storage('bob');
  const name = new SenderKeyName('g@g.us', alice.address);
  const skdm = await new GroupSessionBuilder(alice).create(name);
  await new GroupSessionBuilder(bob).process(name, new SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()));
  const sender = new GroupCipher(alice, name);
  const receiver = new GroupCipher(bob, name);
  await measure('skmsg_encrypt', timed(() => sender.encrypt(PLAINTEXT)));
  // Fresh keys for decryption: the encrypt run moved the sender far ahead.
  const name2 = new SenderKeyName('h@g.us', alice.address);
  const skdm2 = await new GroupSessionBuilder(alice).create(name2);
  await new GroupSessionBuilder(bob).process(name2, new SenderKeyDistributionMessage(null, null, null, null, skdm2.serialize()));
  const sender2 = new GroupCipher(alice, name2);
  const receiver2 = new GroupCipher(bob, name2);
  await measure('skmsg_decrypt', async () => {
    const body = await sender2.encrypt(PLAINTEXT);
    const start = process.hrtime.bigint();
    await receiver2.decrypt(body);
    return process.hrtime.bigint() - start;
  });
  void receiver;
}
