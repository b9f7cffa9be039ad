// Pairing oracle: Baileys 7 (npm) as the independent implementation of the companion side of
// ADV pairing and of the pairing-code crypto, plus a phone side built from Baileys' primitives.
// Reads one JSON request on stdin, writes one JSON answer on stdout. Byte fields are base64.
import { randomBytes } from 'node:crypto';
import { proto } from 'baileys7/WAProto/index.js';
import {
  configureSuccessfulPairing,
  Curve,
  hmacSign,
  hkdf,
  aesEncryptGCM,
  aesDecryptGCM,
  aesEncryptCTR,
  aesDecryptCTR,
  derivePairingCodeKey,
  bytesToCrockford,
} from 'baileys7/lib/Utils/index.js';

const b = (s) => Buffer.from(s, 'base64');
const s = (buf) => Buffer.from(buf).toString('base64');

async function wrapEphemeral(code, pub) {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(pub, key, iv)]);
}

async function unwrapEphemeral(code, wrapped) {
  const key = await derivePairingCodeKey(code, wrapped.subarray(0, 32));
  return aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48));
}

const ops = {
  // Baileys as the companion: its own pair-success handling of our container.
  async adv_companion(req) {
    const stanza = {
      tag: 'iq',
      attrs: { id: 'P1', from: 's.whatsapp.net', type: 'set' },
      content: [{
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: b(req.container) },
          { tag: 'device', attrs: { jid: '15551234567:3@s.whatsapp.net', lid: '987654321:3@lid' } },
          { tag: 'platform', attrs: { name: 'android' } },
        ],
      }],
    };
    const { creds, reply } = configureSuccessfulPairing(stanza, {
      advSecretKey: req.adv_secret,
      signedIdentityKey: { private: b(req.identity_private), public: b(req.identity_public) },
      signalIdentities: [],
    });
    const node = reply.content[0].content[0];
    return {
      reply: s(node.content),
      key_index: node.attrs['key-index'],
      account_key: s(creds.account.accountSignatureKey),
    };
  },

  // A phone built from Baileys' protobufs, Curve and HMAC.
  async adv_phone(req) {
    const hosted = !!req.hosted;
    const kind = hosted ? proto.ADVEncryptionType.HOSTED : proto.ADVEncryptionType.E2EE;
    const details = proto.ADVDeviceIdentity.encode({
      rawId: req.raw_id, timestamp: req.timestamp, keyIndex: req.key_index,
      accountType: kind, deviceType: kind,
    }).finish();
    const prefix = Buffer.from(hosted ? [6, 5] : [6, 0]);
    const signature = Curve.sign(b(req.account_private),
      Buffer.concat([prefix, details, b(req.companion_public)]));
    const signed = proto.ADVSignedDeviceIdentity.encode({
      details, accountSignatureKey: b(req.account_public), accountSignature: signature,
    }).finish();
    const hmacInput = hosted ? Buffer.concat([Buffer.from([6, 5]), signed]) : signed;
    const container = proto.ADVSignedDeviceIdentityHMAC.encode({
      details: signed, hmac: hmacSign(hmacInput, b(req.adv_secret)), accountType: kind,
    }).finish();
    return { container: s(container) };
  },

  // Checks a companion's reply the way a phone would, with Baileys' Curve.
  async adv_verify_reply(req) {
    const reply = proto.ADVSignedDeviceIdentity.decode(b(req.reply));
    const message = Buffer.concat([Buffer.from([6, 1]), reply.details,
      b(req.companion_public), b(req.account_public)]);
    return {
      has_account_key: !!(reply.accountSignatureKey && reply.accountSignatureKey.length),
      valid: Curve.verify(b(req.companion_public), message, reply.deviceSignature),
    };
  },

  async crockford(req) {
    return { code: bytesToCrockford(b(req.bytes)) };
  },

  // Baileys' companion, step companion_hello (requestPairingCode + generatePairingKey).
  async code_hello(req) {
    const code = req.code ?? bytesToCrockford(randomBytes(5));
    const ephemeral = Curve.generateKeyPair();
    return {
      code,
      wrapped: s(await wrapEphemeral(code, ephemeral.public)),
      ephemeral_private: s(ephemeral.private),
    };
  },

  // Baileys' companion, step companion_finish (its link_code_companion_reg notification handler).
  async code_finish(req) {
    const primaryEphemeral = await unwrapEphemeral(req.code, b(req.wrapped_primary));
    const shared = Curve.sharedKey(b(req.ephemeral_private), primaryEphemeral);
    const random = randomBytes(32);
    const salt = randomBytes(32);
    const key = hkdf(shared, 32, { salt, info: 'link_code_pairing_key_bundle_encryption_key' });
    const payload = Buffer.concat([b(req.identity_public), b(req.primary_identity), random]);
    const iv = randomBytes(12);
    const bundle = Buffer.concat([salt, iv, aesEncryptGCM(payload, key, iv, Buffer.alloc(0))]);
    const identityShared = Curve.sharedKey(b(req.identity_private), b(req.primary_identity));
    const adv = hkdf(Buffer.concat([shared, identityShared, random]), 32, { info: 'adv_secret' });
    return { wrapped_bundle: s(bundle), adv_secret: s(adv) };
  },

  // A phone from Baileys' primitives: unwraps the companion ephemeral and answers.
  async code_phone_hello(req) {
    const companionEphemeral = await unwrapEphemeral(req.code, b(req.wrapped_companion));
    const ephemeral = Curve.generateKeyPair();
    return {
      companion_ephemeral: s(companionEphemeral),
      wrapped: s(await wrapEphemeral(req.code, ephemeral.public)),
      ephemeral_private: s(ephemeral.private),
    };
  },

  // The same phone, step companion_finish: decrypts the key bundle, derives the adv secret.
  async code_phone_finish(req) {
    const shared = Curve.sharedKey(b(req.ephemeral_private), b(req.companion_ephemeral));
    const wrapped = b(req.wrapped_bundle);
    const key = hkdf(shared, 32, {
      salt: wrapped.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key',
    });
    const bundle = aesDecryptGCM(wrapped.subarray(44), key, wrapped.subarray(32, 44), Buffer.alloc(0));
    const identityShared = Curve.sharedKey(b(req.primary_identity_private), bundle.subarray(0, 32));
    const adv = hkdf(Buffer.concat([shared, identityShared, bundle.subarray(64, 96)]), 32,
      { info: 'adv_secret' });
    return {
      companion_identity: s(bundle.subarray(0, 32)),
      primary_identity: s(bundle.subarray(32, 64)),
      adv_secret: s(adv),
    };
  },
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const op = ops[req.op];
if (!op) throw new Error(`unknown op ${req.op}`);
process.stdout.write(JSON.stringify(await op(req)));
