// Drives one unmodified Baileys client against a WhatsApp-compatible server (the simulator):
// 7.0.0-rc14 by default, 6.17.16 with BAILEYS_PKG=baileys (see baileys-pkg.mjs).
//
// usage: node baileys-client.mjs <ws_url> <auth_dir>
// stdin: one JSON command per line:
//   {"cmd":"pair_code","phone":"15550000001"}         ask to pair by code (answers {"event":"pair_code"})
//   {"cmd":"send_text","to":"<jid>","text":"hi"}      send a text to a user or group (answers {"event":"sent","id"})
//   {"cmd":"read","chat":"<jid>","id":"<id>"}       mark a received message read (answers {"event":"read"})
//   {"cmd":"send_image","to":"<jid>","data":"<base64>","mimetype":"image/jpeg","caption":"…"}
//                                                     upload and send an image (answers {"event":"sent","id"})
//   {"cmd":"send_media","to":"<jid>","kind":"image|video|audio|document|sticker","data":"<base64>",
//    "mimetype":"…","caption"?,"fileName"?,"ptt"?,"gifPlayback"?}   any media (answers {"event":"sent","id"})
//   {"cmd":"download","id":"<id>"}                  download and decrypt the media of a received message
//                                                     (answers {"event":"download","id","sha256","length"})
//   {"cmd":"open_vote","id":"<id>"}                 open a received vote on a poll this client sent
//                                                     (answers {"event":"vote","id","poll","selected":[hex]})
//   {"cmd":"group","op":"groupCreate","args":[...]}   call one of Baileys' group functions
//                                                     (groupCreate, groupMetadata, groupParticipantsUpdate,
//                                                     groupUpdateSubject, groupUpdateDescription,
//                                                     groupSettingUpdate, groupInviteCode, groupRevokeInvite,
//                                                     groupAcceptInvite, groupGetInviteInfo, groupLeave,
//                                                     groupFetchAllParticipating…) or newsletter function
//                                                     (newsletterCreate, newsletterFollow, newsletterMetadata…);
//                                                     answers {"event":"group","op","result"}
//   {"cmd":"send","to":"<jid>","content":{…},"quoted_id":"<id>"}
//                                                     send any content sendMessage takes as JSON
//                                                     (location, contacts, react, edit, delete, text
//                                                     with mentions), optionally replying to a received
//                                                     message (answers {"event":"sent","id"})
//   {"cmd":"chat_modify","chat":"<jid>","mod":{…}}    Baileys' chatModify (app state: pin, mute, star,
//                                                     contact…; answers {"event":"modified"})
//   {"cmd":"quit"}                                    close the socket and exit 0
// stdout: one JSON event per line: qr, open, close, message, receipt, sent, pair_code, read, group, history,
// group_event (groups.upsert / groups.update / group-participants.update), download,
// retry_receipt (a retry receipt for this client: id, count, keys), error; with DEBUG_RECEIPTS=1
// in the environment also raw_receipt (the attributes of every <receipt> node that arrives).
// A `message` event carries `kind` (conversation, imageMessage, …), `text` (text or caption) and,
// for media, `mimetype`; with BAILEYS_RAW_MESSAGES=1 also `raw` (the message as protobuf JSON),
// and other `messages.update`s (edits, revokes) arrive as `update` events (id, chat, update).
// Media downloads trust NODE_EXTRA_CA_CERTS (the simulator's certificate).
// With BAILEYS_HISTORY=1 Baileys syncs history (its default `shouldSyncHistoryMessage`) and every
// `messaging-history.set` arrives as a `history` event (syncType, progress, chunkOrder, isLatest
// and the counts of chats, contacts, messages and LID-PN mappings, and this process's peak RSS). Baileys fetches history blobs
// from WhatsApp's media host by direct path (`https://mmg.whatsapp.net/…`); with
// BAILEYS_MEDIA_HOST=host:port those requests go to that host instead (the simulator's media host),
// as a DNS entry would send them: this process's `fetch` is wrapped, Baileys is not changed.
// A status (3 delivered, 4 read) arrives as a `receipt` event (`messages.update`), or inside the
// sender's own `message` event when Baileys folded the update into a still-buffered upsert.
// With BAILEYS_APP_STATE=1 what Baileys reports from app-state sync arrives as `app_state` events
// (kind: chats.update, contacts.upsert, contacts.update, labels.edit, labels.association, or
// star for a `messages.update` that (un)stars a message; data: the event's payload as JSON);
// the chats and named contacts of a `messaging-history.set` (where Baileys folds the app state
// of the chats history brought) are reported as chats.update and contacts.upsert too.
// The socket is re-created after every close except 401 (logged out), as in Baileys' examples
// (at most 5 times in a row).
import { createInterface } from 'node:readline';
import { baileys } from './baileys-pkg.mjs';
import pino from 'pino';

import { createHash } from 'node:crypto';

const { makeWASocket, useMultiFileAuthState, Browsers, downloadMediaMessage } = baileys;
// Received messages by id, for `download` and `open_vote` (the most recent 200).
const received = new Map();

if (process.env.BAILEYS_MEDIA_HOST) {
  const realFetch = globalThis.fetch;
  const host = process.env.BAILEYS_MEDIA_HOST;
  globalThis.fetch = (url, init) =>
    realFetch(String(url).replace(/^https:\/\/mmg\.whatsapp\.net\//, `https://${host}/`), init);
}
const syncHistory = process.env.BAILEYS_HISTORY === '1';

const [wsUrl, authDir] = process.argv.slice(2);
if (!wsUrl || !authDir) {
  process.stderr.write('usage: node baileys-client.mjs <ws_url> <auth_dir>\n');
  process.exit(2);
}

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
// stdout carries only events: libsignal logs session changes with console.log ("Closing
// session: …"), so console output goes to stderr.
for (const level of ['log', 'info', 'debug', 'warn']) {
  console[level] = (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`);
}
// BAILEYS_LOG=debug (or trace) prints Baileys' own log on stderr.
const logger = pino({ level: process.env.BAILEYS_LOG ?? 'silent' }, pino.destination(2));
const { state, saveCreds } = await useMultiFileAuthState(authDir);
let sock;
// Messages this client sent, by id: Baileys asks `getMessage` for them when a recipient sends a
// retry receipt, and re-encrypts them.
const sentMessages = new Map();
let quitting = false;
let reconnects = 0;

function connect() {
  sock = makeWASocket({
    auth: state,
    logger,
    waWebSocketUrl: wsUrl,
    browser: Browsers.ubuntu('Chrome'),
    printQRInTerminal: false,
    markOnlineOnConnect: false,
    syncFullHistory: false,
    ...(syncHistory ? {} : { shouldSyncHistoryMessage: () => false }),
    connectTimeoutMs: 20_000,
    getMessage: async (key) => sentMessages.get(key.id),
  });
  const current = sock;
  sock.ev.on('creds.update', saveCreds);
  sock.ev.on('connection.update', (update) => {
    if (current !== sock) return;
    if (update.qr) emit({ event: 'qr', qr: update.qr });
    if (update.connection === 'open') reconnects = 0;
    if (update.connection === 'open') emit({ event: 'open', jid: current.user?.id ?? null, lid: current.user?.lid ?? null });
    if (update.connection === 'close') {
      const error = update.lastDisconnect?.error;
      const status = error?.output?.statusCode ?? null;
      emit({ event: 'close', status, message: error?.message ?? null });
      // Like the Baileys examples: reconnect unless logged out (401) or quitting.
      if (status !== 401 && !quitting && reconnects < 5) {
        reconnects += 1;
        connect();
      }
    }
  });
  sock.ev.on('messages.upsert', ({ messages, type }) => {
    for (const m of messages) {
      const media = m.message?.imageMessage ?? m.message?.documentMessage ?? m.message?.videoMessage ?? m.message?.audioMessage ?? m.message?.stickerMessage ?? null;
      // `||`, not `??`: Baileys 6's protobuf classes read unset strings as "".
      const text = m.message?.conversation || m.message?.extendedTextMessage?.text || media?.caption || null;
      const kind = Object.keys(m.message ?? {}).find((k) => k !== 'messageContextInfo' && k !== 'senderKeyDistributionMessage') ?? null;
      if (m.key.id) {
        received.set(m.key.id, m);
        if (received.size > 200) received.delete(received.keys().next().value);
      }
      // `raw`: the whole message as protobuf JSON, for tests that check typed content.
      const raw = process.env.BAILEYS_RAW_MESSAGES ? JSON.parse(JSON.stringify(m.message ?? null)) : undefined;
      emit({ event: 'message', type, id: m.key.id, from: m.key.remoteJid, from_me: !!m.key.fromMe, participant: m.key.participant ?? null, text, kind, mimetype: media?.mimetype ?? null, stub: m.messageStubType ?? null, status: m.status ?? null, raw });
    }
  });
  sock.ev.on('messaging-history.set', (data) => emit({
    event: 'history',
    syncType: data.syncType ?? null,
    progress: data.progress ?? null,
    chunkOrder: data.chunkOrder ?? null,
    isLatest: data.isLatest ?? null,
    chats: data.chats?.length ?? 0,
    contacts: data.contacts?.length ?? 0,
    messages: data.messages?.length ?? 0,
    lidPnMappings: data.lidPnMappings?.length ?? 0,
    chatIds: (data.chats ?? []).map((c) => c.id),
    maxRssKib: process.resourceUsage().maxRSS,
  }));
  if (process.env.BAILEYS_APP_STATE === '1') {
    const plain = (data) => JSON.parse(JSON.stringify(data, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    for (const kind of ['chats.update', 'contacts.upsert', 'contacts.update', 'labels.edit', 'labels.association']) {
      sock.ev.on(kind, (data) => emit({ event: 'app_state', kind, data: plain(data) }));
    }
    // Baileys folds app state about chats and contacts that history sync brought into the
    // `messaging-history.set` that carries them: report those fields the same way.
    sock.ev.on('messaging-history.set', (data) => {
      const chats = (data.chats ?? []).map((c) => ({ id: c.id, archived: c.archived, pinned: c.pinned, muteEndTime: c.muteEndTime, unreadCount: c.unreadCount }));
      if (chats.length) emit({ event: 'app_state', kind: 'chats.update', data: plain(chats) });
      const contacts = (data.contacts ?? []).filter((c) => c.name).map((c) => ({ id: c.id, name: c.name }));
      if (contacts.length) emit({ event: 'app_state', kind: 'contacts.upsert', data: plain(contacts) });
    });
    sock.ev.on('messages.update', (updates) => {
      for (const u of updates) {
        if (u.update?.starred !== undefined) emit({ event: 'app_state', kind: 'star', data: { id: u.key.id, chat: u.key.remoteJid, starred: u.update.starred } });
      }
    });
  }
  for (const kind of ['groups.upsert', 'groups.update', 'group-participants.update']) {
    sock.ev.on(kind, (data) => emit({ event: 'group_event', kind, data }));
  }
  // Retry receipts addressed to this client: Baileys answers them by itself; they are reported
  // so tests can see what the other side asked for (attempt count, whether keys came along).
  sock.ws.on('CB:receipt,type:retry', (node) => {
    const children = Array.isArray(node.content) ? node.content : [];
    const retry = children.find((c) => c.tag === 'retry');
    emit({ event: 'retry_receipt', id: node.attrs.id, count: Number(retry?.attrs.count ?? 0), keys: children.some((c) => c.tag === 'keys') });
  });
  if (process.env.DEBUG_RECEIPTS) sock.ws.on('CB:receipt', (node) => emit({ event: 'raw_receipt', attrs: node.attrs }));
  sock.ev.on('messages.update', (updates) => {
    for (const u of updates) {
      if (u.update?.status !== undefined) emit({ event: 'receipt', id: u.key.id, chat: u.key.remoteJid, status: u.update.status });
      else if (process.env.BAILEYS_RAW_MESSAGES) emit({ event: 'update', id: u.key.id, chat: u.key.remoteJid, update: JSON.parse(JSON.stringify(u.update ?? null)) });
    }
  });
}

connect();

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let command;
  try {
    command = JSON.parse(line);
  } catch (e) {
    emit({ event: 'error', message: `bad command: ${e.message}` });
    continue;
  }
  try {
    if (command.cmd === 'quit') {
      quitting = true;
      sock.end(undefined);
      break;
    } else if (command.cmd === 'pair_code') {
      const code = await sock.requestPairingCode(command.phone);
      emit({ event: 'pair_code', code });
    } else if (command.cmd === 'group') {
      const allowed = typeof command.op === 'string' && (command.op.startsWith('group') || command.op.startsWith('newsletter'));
      if (!allowed || typeof sock[command.op] !== 'function') {
        throw new Error(`not a group or newsletter function: ${command.op}`);
      }
      const result = await sock[command.op](...(command.args ?? []));
      emit({ event: 'group', op: command.op, result: result ?? null });
    } else if (command.cmd === 'send_text') {
      const sent = await sock.sendMessage(command.to, { text: command.text });
      if (sent?.key?.id && sent.message) sentMessages.set(sent.key.id, sent.message);
      emit({ event: 'sent', id: sent?.key?.id ?? null });
    } else if (command.cmd === 'send') {
      // Any content Baileys' sendMessage takes, as JSON; `quoted_id` names a received message.
      const options = {};
      if (command.quoted_id) {
        options.quoted = received.get(command.quoted_id);
        if (!options.quoted) throw new Error(`no received message ${command.quoted_id}`);
      }
      const sent = await sock.sendMessage(command.to, command.content, options);
      // Kept for retries and for opening votes on our polls (Baileys asks getMessage for both).
      if (sent?.key?.id && sent.message) sentMessages.set(sent.key.id, sent.message);
      emit({ event: 'sent', id: sent?.key?.id ?? null });
    } else if (command.cmd === 'send_image') {
      const image = Buffer.from(command.data, 'base64');
      const sent = await sock.sendMessage(command.to, { image, mimetype: command.mimetype, caption: command.caption });
      emit({ event: 'sent', id: sent?.key?.id ?? null });
    } else if (command.cmd === 'send_media') {
      // kind: image | video | audio | document | sticker; Baileys' own content fields.
      const content = { [command.kind]: Buffer.from(command.data, 'base64'), mimetype: command.mimetype };
      if (command.caption) content.caption = command.caption;
      if (command.fileName) content.fileName = command.fileName;
      if (command.ptt) content.ptt = true;
      if (command.gifPlayback) content.gifPlayback = true;
      const sent = await sock.sendMessage(command.to, content);
      emit({ event: 'sent', id: sent?.key?.id ?? null });
    } else if (command.cmd === 'download') {
      const m = received.get(command.id);
      if (!m) throw new Error(`no received message ${command.id}`);
      const buffer = await downloadMediaMessage(m, 'buffer', {});
      emit({ event: 'download', id: command.id, sha256: createHash('sha256').update(buffer).digest('hex'), length: buffer.length });
    } else if (command.cmd === 'open_vote') {
      // Opens a received vote on one of our polls with Baileys' own poll-vote decryption
      // (baileys 7 rc14 has its automatic path commented out). The JIDs are device-less, as
      // the message was addressed: Baileys' getKeyAuthor would take `remoteJidAlt`, which
      // carries the sender's device (`…:1@lid`) and matches no sender's key.
      const m = received.get(command.id);
      if (!m) throw new Error(`no received message ${command.id}`);
      const update = m.message?.pollUpdateMessage;
      const poll = sentMessages.get(update?.pollCreationMessageKey?.id);
      if (!update || !poll) throw new Error(`${command.id} is no vote on a poll this client sent`);
      const me = baileys.jidNormalizedUser(sock.user.id);
      const vote = baileys.decryptPollVote(update.vote, {
        pollEncKey: poll.messageContextInfo?.messageSecret,
        pollCreatorJid: baileys.getKeyAuthor(update.pollCreationMessageKey, me),
        pollMsgId: update.pollCreationMessageKey.id,
        voterJid: baileys.jidNormalizedUser(m.key.participant || m.key.remoteJid),
      });
      const selected = vote.selectedOptions.map((h) => Buffer.from(h).toString('hex'));
      emit({ event: 'vote', id: command.id, poll: update.pollCreationMessageKey.id, selected });
    } else if (command.cmd === 'chat_modify') {
      await sock.chatModify(command.mod, command.chat);
      emit({ event: 'modified' });
    } else if (command.cmd === 'read') {
      await sock.readMessages([{ remoteJid: command.chat, id: command.id, fromMe: false }]);
      emit({ event: 'read', id: command.id });
    } else {
      emit({ event: 'error', message: `unknown command ${command.cmd}` });
    }
  } catch (e) {
    emit({ event: 'error', cmd: command.cmd, message: String(e?.stack ?? e) });
  }
}
// Give the last writes (creds) a moment, then exit.
setTimeout(() => process.exit(0), 300);
