// Differential oracle for OpenWA's Noise XX: runs Baileys 7's own client-side noise handler
// (makeNoiseHandler) and ClientPayload builders, driven over stdin/stdout by
// core/protocol/tests/noise_differential.rs, which plays the server.
//
// Protocol: one JSON object per line in both directions.
//   in  {"type":"config", mode:"login"|"registration", ephemeral, noiseKey, identity, signedPreKey
//        (private keys, hex), signedPreKeyId, registrationId, jid, pushName?, send:[node…]}
//   out {"type":"hello", frame}                     ClientHello exactly as Baileys frames it
//   in  {"type":"data", bytes}                      server bytes (any split); the ServerHello first
//   out {"type":"finish", frame, payload, keys}     ClientFinish frame + plaintext ClientPayload
//   out {"type":"sent", frame, plain}               one per config.send node (Baileys-encoded)
//   out {"type":"recv", tag, attrs, reencoded}      one per transport frame Baileys decoded
//   in  {"type":"end"}
// Keys are deterministic (given as input), so the Rust side can mirror the client byte for byte.
import { createInterface } from 'node:readline';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { proto } from 'baileys7/WAProto/index.js';
import { NOISE_WA_HEADER } from 'baileys7/lib/Defaults/index.js';
import { makeNoiseHandler } from 'baileys7/lib/Utils/noise-handler.js';
import { Curve } from 'baileys7/lib/Utils/crypto.js';
import { generateLoginNode, generateRegistrationNode } from 'baileys7/lib/Utils/validate-connection.js';
import { encodeBinaryNode } from 'baileys7/lib/WABinary/index.js';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A Baileys-shaped key pair from a raw private key; the public key is derived by Node's crypto. */
const keyPair = (privHex) => {
    const priv = Buffer.from(privHex, 'hex');
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, priv]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return { private: priv, public: Buffer.from(spki.subarray(spki.length - 32)) };
};

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const hex = (buf) => Buffer.from(buf).toString('hex');
const silent = { level: 'silent', child() { return this; }, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** JSON can't carry Buffers: node content given as {hex: "..."} becomes bytes. */
const reviveNode = (node) => ({
    tag: node.tag,
    attrs: node.attrs ?? {},
    content: Array.isArray(node.content)
        ? node.content.map(reviveNode)
        : node.content && typeof node.content === 'object'
          ? Buffer.from(node.content.hex, 'hex')
          : node.content
});

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('stdin closed');
    return JSON.parse(value);
};

const config = await next();
const ephemeral = keyPair(config.ephemeral);
const noiseKey = keyPair(config.noiseKey);
const socketConfig = {
    version: [2, 3000, 1035194821],
    browser: ['Mac OS', 'Chrome', '14.4.1'],
    countryCode: 'US',
    syncFullHistory: true,
    pushName: config.pushName
};

const noise = makeNoiseHandler({ keyPair: ephemeral, NOISE_HEADER: NOISE_WA_HEADER, logger: silent });

// 1. ClientHello, as Baileys' validateConnection builds it.
const hello = proto.HandshakeMessage.encode(
    proto.HandshakeMessage.fromObject({ clientHello: { ephemeral: ephemeral.public } })
).finish();
out({ type: 'hello', frame: hex(noise.encodeFrame(hello)) });

// 2. ServerHello (possibly split over several data messages).
let serverHello;
while (!serverHello) {
    const msg = await next();
    await noise.decodeFrame(Buffer.from(msg.bytes, 'hex'), (frame) => {
        serverHello = frame;
    });
}
const keyEnc = noise.processHandshake(proto.HandshakeMessage.decode(serverHello), noiseKey);

// 3. ClientFinish with a login or registration payload.
let node;
let keys = {};
if (config.mode === 'registration') {
    const identity = keyPair(config.identity);
    const preKey = keyPair(config.signedPreKey);
    const signature = Curve.sign(identity.private, Buffer.concat([Buffer.from([5]), preKey.public]));
    keys = { identity: hex(identity.public), signedPreKey: hex(preKey.public), signature: hex(signature) };
    node = generateRegistrationNode(
        {
            registrationId: config.registrationId,
            signedIdentityKey: identity,
            signedPreKey: { keyPair: preKey, signature, keyId: config.signedPreKeyId }
        },
        socketConfig
    );
} else {
    node = generateLoginNode(config.jid, socketConfig);
}
const payload = proto.ClientPayload.encode(node).finish();
const finish = proto.HandshakeMessage.encode({
    clientFinish: { static: keyEnc, payload: noise.encrypt(payload) }
}).finish();
out({ type: 'finish', frame: hex(noise.encodeFrame(finish)), payload: hex(payload), keys });
await noise.finishInit();

// 4. Transport, client → server.
for (const n of config.send ?? []) {
    const plain = encodeBinaryNode(reviveNode(n));
    out({ type: 'sent', frame: hex(noise.encodeFrame(plain)), plain: hex(plain) });
}

// 5. Transport, server → client: decode whatever arrives until "end".
for (;;) {
    const msg = await next();
    if (msg.type === 'end') break;
    await noise.decodeFrame(Buffer.from(msg.bytes, 'hex'), (frame) => {
        out({ type: 'recv', tag: frame.tag, attrs: frame.attrs, reencoded: hex(encodeBinaryNode(frame)) });
    });
}
process.exit(0);
