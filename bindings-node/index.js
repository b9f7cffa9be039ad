'use strict';
// OpenWA for Node: the native addon (openwa.node, napi-rs) behind a small JS layer that adds
// `for await` over event streams, EventEmitter-style listeners, `OpenWAError` for engine errors
// and `TypeError` for arguments of the wrong type. Types: index.d.ts.

const { EventEmitter } = require('node:events');
const path = require('node:path');

let native;
try {
  native = require(path.join(__dirname, 'openwa.node'));
} catch (cause) {
  throw new Error(
    'openwa: the native addon (openwa.node) is missing or cannot load; it is built when the ' +
      'package installs, which needs Rust (https://rustup.rs): run `npm rebuild openwa`',
    { cause },
  );
}

/** Every engine error code, in the engine's order. */
const ERROR_CODES = Object.freeze(native.errorCodes().map(([code]) => code));
const ENGINE_CODES = new Set(ERROR_CODES);

/** An engine error: `code` is the engine's stable code (`invalid_argument`, `not_found`…). */
class OpenWAError extends Error {
  constructor(message, { code = 'internal', details = null, retryable = false } = {}) {
    super(message);
    this.name = 'OpenWAError';
    this.code = code;
    this.details = details;
    this.retryable = retryable;
  }
}

// Engine errors become `OpenWAError`s; napi's own argument-conversion failures (a number where a
// string goes, a missing argument…) become `TypeError`s.
function jsError(err) {
  if (!(err instanceof Error) || typeof err.code !== 'string') return err;
  if (ENGINE_CODES.has(err.code)) {
    return new OpenWAError(err.message, {
      code: err.code,
      details: err.details ?? null,
      retryable: Boolean(err.retryable),
    });
  }
  return typeError(err.message);
}

function typeError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

// Calls the addon: throws (or rejects with) the mapped error.
function call(fn) {
  let result;
  try {
    result = fn();
  } catch (err) {
    throw jsError(err);
  }
  if (result && typeof result.then === 'function') {
    return result.catch((err) => {
      throw jsError(err);
    });
  }
  return result;
}

// Every method returns a promise, also when an argument is rejected synchronously.
async function callAsync(fn) {
  return call(fn);
}

function opts(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(`${what} must be an object`);
  }
  return value;
}

// A send's options: an object whose known fields have the right types (a TypeError otherwise,
// as for any other argument of the wrong type).
function sendOpts(value) {
  const options = opts(value, 'options');
  for (const field of ['idempotencyKey', 'quoted']) {
    if (options[field] !== undefined && options[field] !== null && typeof options[field] !== 'string') {
      throw typeError(`options.${field} must be a string`);
    }
  }
  if (options.queued !== undefined && options.queued !== null && typeof options.queued !== 'boolean') {
    throw typeError('options.queued must be a boolean');
  }
  const { mentions } = options;
  if (mentions !== undefined && mentions !== null &&
      (!Array.isArray(mentions) || mentions.some((m) => typeof m !== 'string'))) {
    throw typeError('options.mentions must be an array of strings');
  }
  return options;
}

// Buffers and Uint8Arrays in a configuration become arrays of bytes (the engine's JSON form).
function plain(value) {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** A subscription to events: `for await (const ev of stream)`, `next()`, `ack(seq)`. */
class EventStream {
  #native;
  // Closed by `close()` (or a `break` out of `for await`): events the native stream had
  // buffered are not handed out after that.
  #closed = false;

  constructor(nativeStream) {
    if (!(nativeStream instanceof native.EventStream)) {
      throw typeError('event streams come from events(), eventsFrom() and consumer()');
    }
    this.#native = nativeStream;
  }

  /** The next event, or `null` once the manager or this stream is closed. */
  next() {
    if (this.#closed) return Promise.resolve(null);
    return callAsync(() => this.#native.next());
  }

  /** The next event if one is ready now, else `null`. */
  tryNext() {
    if (this.#closed) return null;
    return call(() => this.#native.tryNext());
  }

  /** Stores a durable consumer's position: after a restart it resumes after `seq`. */
  ack(seq) {
    return callAsync(() => this.#native.ack(seq));
  }

  /** Ends the stream: a pending `next()` resolves with `null`. */
  close() {
    this.#closed = true;
    this.#native.close();
  }

  [Symbol.asyncIterator]() {
    return {
      next: async () => {
        const value = await this.next();
        return value === null ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }
}

const OWN_EVENTS = new Set(['error', 'newListener', 'removeListener']);
// The live stream a listener-driven emitter reads.
const LIVE = Symbol('live events');

// EventEmitter-style listeners over a live event stream: the stream opens with the first
// listener and closes with the last, so listeners keep the process alive only while attached.
// Each event is emitted as `event`, as its `type` (`qr`, `message_received`…) and, for
// `message_received`, as `message` with the message first.
class Emitter extends EventEmitter {
  #stream = null;

  #added = (name) => {
    if (!OWN_EVENTS.has(name) && this.#stream === null) this.#pump(this[LIVE]());
  };

  #removed = () => {
    if (this.#stream !== null && this.#listening() === 0) {
      this.#stream.close();
      this.#stream = null;
    }
  };

  constructor() {
    super();
    this.#hook();
  }

  #hook() {
    if (!this.listeners('newListener').includes(this.#added)) this.on('newListener', this.#added);
    if (!this.listeners('removeListener').includes(this.#removed)) {
      this.on('removeListener', this.#removed);
    }
  }

  removeAllListeners(...names) {
    super.removeAllListeners(...names);
    this.#hook();
    this.#removed();
    return this;
  }

  #listening() {
    return this.eventNames()
      .filter((name) => !OWN_EVENTS.has(name))
      .reduce((sum, name) => sum + this.listenerCount(name), 0);
  }

  async #pump(stream) {
    this.#stream = stream;
    try {
      for (;;) {
        const event = await stream.next();
        if (event === null || this.#stream !== stream) break;
        try {
          this.emit('event', event);
          this.emit(event.type, event);
          if (event.type === 'message_received') this.emit('message', event.message, event);
        } catch (err) {
          // Like an EventEmitter listener that throws: an 'error' listener gets it, else it is
          // an uncaught exception.
          process.nextTick(() => this.emit('error', err));
        }
      }
    } catch (err) {
      process.nextTick(() => this.emit('error', err));
    } finally {
      if (this.#stream === stream) this.#stream = null;
    }
  }
}

/** One WhatsApp device of a manager. */
class Session extends Emitter {
  #native;

  constructor(nativeSession) {
    if (!(nativeSession instanceof native.Session)) {
      throw typeError('sessions come from a manager: createSession(id) or get(id)');
    }
    super();
    this.#native = nativeSession;
  }

  /** The session id. */
  get id() {
    return this.#native.id;
  }

  /** The current connection state (`connected`, `waiting_for_qr`…). */
  get state() {
    return this.#native.state;
  }

  /** Whether the session has credentials from a completed pairing. */
  get isPaired() {
    return this.#native.isPaired;
  }

  /** Our push name: the options' until our phone sets another. */
  get pushName() {
    return this.#native.pushName;
  }

  /** A snapshot: id, state, own ids. */
  info() {
    return call(() => this.#native.info());
  }

  connect() {
    return callAsync(() => this.#native.connect());
  }

  disconnect() {
    return callAsync(() => this.#native.disconnect());
  }

  logout() {
    return callAsync(() => this.#native.logout());
  }

  pairWithCode(phone) {
    return callAsync(() => this.#native.pairWithCode(phone));
  }

  waitForState(state, timeoutMs) {
    return callAsync(() => this.#native.waitForState(state, timeoutMs));
  }

  setSendPacing(pacing) {
    return callAsync(() => this.#native.setSendPacing(opts(pacing, 'pacing')));
  }

  sendPacing() {
    return call(() => this.#native.sendPacing());
  }

  setReconnectPolicy(policy) {
    return callAsync(() => this.#native.setReconnectPolicy(opts(policy, 'policy')));
  }

  reconnectPolicy() {
    return call(() => this.#native.reconnectPolicy());
  }

  sendText(chat, text, options) {
    return callAsync(() => this.#native.sendText(chat, text, sendOpts(options)));
  }

  sendLocation(chat, location, options) {
    return callAsync(() =>
      this.#native.sendLocation(chat, opts(location, 'location'), sendOpts(options)),
    );
  }

  sendContacts(chat, contacts, options) {
    return callAsync(() => {
      if (!Array.isArray(contacts)) throw typeError('contacts must be an array');
      return this.#native.sendContacts(chat, contacts, sendOpts(options));
    });
  }

  sendMedia(chat, media, options) {
    return callAsync(() => this.#native.sendMedia(chat, media, opts(options, 'options')));
  }

  downloadMedia(chat, id) {
    return callAsync(() => this.#native.downloadMedia(chat, id));
  }

  downloadMediaToFile(chat, id, path) {
    return callAsync(() => this.#native.downloadMediaToFile(chat, id, path));
  }

  react(chat, messageId, emoji, options) {
    return callAsync(() => this.#native.react(chat, messageId, emoji, sendOpts(options)));
  }

  sendPoll(chat, name, options, selectableCount, sendOptions) {
    return callAsync(() => {
      if (!Array.isArray(options)) throw typeError('options must be an array of strings');
      return this.#native.sendPoll(chat, name, options, selectableCount, sendOpts(sendOptions));
    });
  }

  votePoll(chat, pollId, selected, options) {
    return callAsync(() => {
      if (!Array.isArray(selected)) throw typeError('selected must be an array of strings');
      return this.#native.votePoll(chat, pollId, selected, sendOpts(options));
    });
  }

  pollResults(chat, pollId) {
    return callAsync(() => this.#native.pollResults(chat, pollId));
  }

  editMessage(chat, messageId, text, options) {
    return callAsync(() =>
      this.#native.editMessage(chat, messageId, text, sendOpts(options)),
    );
  }

  forwardMessage(chat, fromChat, messageId, options) {
    return callAsync(() =>
      this.#native.forwardMessage(chat, fromChat, messageId, sendOpts(options)),
    );
  }

  setPresence(available) {
    return callAsync(() => this.#native.setPresence(available));
  }

  subscribePresence(user) {
    return callAsync(() => this.#native.subscribePresence(user));
  }

  sendChatState(chat, state) {
    return callAsync(() => this.#native.sendChatState(chat, state));
  }

  checkNumbers(numbers) {
    return callAsync(() => this.#native.checkNumbers(numbers));
  }

  revokeMessage(chat, messageId, options) {
    return callAsync(() =>
      this.#native.revokeMessage(chat, messageId, sendOpts(options)),
    );
  }

  markRead(chat, messageIds) {
    return callAsync(() => this.#native.markRead(chat, messageIds));
  }

  messages(chat, options) {
    return callAsync(() => {
      const { cursor, limit } = opts(options, 'options');
      return this.#native.messages(chat, cursor, limit);
    });
  }

  message(chat, id) {
    return callAsync(() => this.#native.message(chat, id));
  }

  messageCount(chat) {
    return callAsync(() => this.#native.messageCount(chat));
  }

  listChats(options) {
    return callAsync(() => {
      const { limit, offset } = opts(options, 'options');
      return this.#native.listChats(limit, offset);
    });
  }

  getChat(chat) {
    return callAsync(() => this.#native.getChat(chat));
  }

  listContacts(options) {
    return callAsync(() => {
      const { limit, offset } = opts(options, 'options');
      return this.#native.listContacts(limit, offset);
    });
  }

  getContact(contact) {
    return callAsync(() => this.#native.getContact(contact));
  }

  archiveChat(chat, archived = true) {
    return callAsync(() => this.#native.archiveChat(chat, archived));
  }

  deleteChat(chat) {
    return callAsync(() => this.#native.deleteChat(chat));
  }

  clearChat(chat, keepStarred = false) {
    return callAsync(() => this.#native.clearChat(chat, keepStarred));
  }

  pinChat(chat, pinned = true) {
    return callAsync(() => this.#native.pinChat(chat, pinned));
  }

  muteChat(chat, until) {
    return callAsync(() => this.#native.muteChat(chat, until ?? null));
  }

  markChatUnread(chat, unread = true) {
    return callAsync(() => this.#native.markChatUnread(chat, unread));
  }

  starMessage(chat, messageId, starred = true) {
    return callAsync(() => this.#native.starMessage(chat, messageId, starred));
  }

  setContactName(contact, fullName, firstName) {
    return callAsync(() => this.#native.setContactName(contact, fullName, firstName ?? null));
  }

  createLabel(name, color = 0) {
    return callAsync(() => this.#native.createLabel(name, color));
  }

  editLabel(id, name, color = 0) {
    return callAsync(() => this.#native.editLabel(id, name, color));
  }

  deleteLabel(id) {
    return callAsync(() => this.#native.deleteLabel(id));
  }

  labelChat(label, chat) {
    return callAsync(() => this.#native.labelChat(label, chat));
  }

  unlabelChat(label, chat) {
    return callAsync(() => this.#native.unlabelChat(label, chat));
  }

  labelMessage(label, chat, messageId, labeled = true) {
    return callAsync(() => this.#native.labelMessage(label, chat, messageId, labeled));
  }

  listLabels() {
    return callAsync(() => this.#native.listLabels());
  }

  listStarred(options) {
    return callAsync(() => {
      const { limit, offset } = opts(options, 'options');
      return this.#native.listStarred(limit, offset);
    });
  }

  createGroup(subject, participants) {
    return callAsync(() => this.#native.createGroup(subject, participants));
  }

  groupInfo(group) {
    return callAsync(() => this.#native.groupInfo(group));
  }

  joinedGroups() {
    return callAsync(() => this.#native.joinedGroups());
  }

  updateGroupParticipants(group, action, participants) {
    return callAsync(() => this.#native.updateGroupParticipants(group, action, participants));
  }

  setGroupSubject(group, subject) {
    return callAsync(() => this.#native.setGroupSubject(group, subject));
  }

  setGroupDescription(group, description) {
    return callAsync(() => this.#native.setGroupDescription(group, description ?? null));
  }

  setGroupSetting(group, setting, value) {
    return callAsync(() => this.#native.setGroupSetting(group, setting, value ?? null));
  }

  groupInviteCode(group) {
    return callAsync(() => this.#native.groupInviteCode(group));
  }

  revokeGroupInvite(group) {
    return callAsync(() => this.#native.revokeGroupInvite(group));
  }

  groupInviteInfo(code) {
    return callAsync(() => this.#native.groupInviteInfo(code));
  }

  joinGroup(code) {
    return callAsync(() => this.#native.joinGroup(code));
  }

  leaveGroup(group) {
    return callAsync(() => this.#native.leaveGroup(group));
  }

  groupJoinRequests(group) {
    return callAsync(() => this.#native.groupJoinRequests(group));
  }

  answerGroupJoinRequests(group, approve, participants) {
    return callAsync(() => this.#native.answerGroupJoinRequests(group, approve, participants));
  }

  events() {
    return new EventStream(call(() => this.#native.events()));
  }

  eventsFrom(cursor) {
    return new EventStream(call(() => this.#native.eventsFrom(cursor)));
  }

  eventsSince(cursor, limit) {
    return callAsync(() => this.#native.eventsSince(cursor, limit));
  }

  [LIVE]() {
    return this.events();
  }

  get [Symbol.toStringTag]() {
    return `Session ${this.id}`;
  }
}

/** Runs many WhatsApp sessions on one engine runtime with one store and one event log. */
class SessionManager extends Emitter {
  #native;

  constructor(nativeManager) {
    if (!(nativeManager instanceof native.SessionManager)) {
      throw typeError('use SessionManager.open(config) to open a manager');
    }
    super();
    this.#native = nativeManager;
  }

  /** Opens a manager; `config` overrides fields of the engine's defaults. */
  static async open(config) {
    const manager = await callAsync(() =>
      native.SessionManager.open(plain(opts(config, 'config'))),
    );
    return new SessionManager(manager);
  }

  async createSession(id, options) {
    const session = await callAsync(() =>
      this.#native.createSession(id, options == null ? null : plain(opts(options, 'options'))),
    );
    return new Session(session);
  }

  async get(id) {
    return new Session(await callAsync(() => this.#native.get(id)));
  }

  list() {
    return callAsync(() => this.#native.list());
  }

  delete(id) {
    return callAsync(() => this.#native.delete(id));
  }

  /** Disconnects every session, ends every event stream and closes the store. */
  close() {
    return callAsync(() => this.#native.close());
  }

  events() {
    return new EventStream(call(() => this.#native.events()));
  }

  eventsFrom(cursor) {
    return new EventStream(call(() => this.#native.eventsFrom(cursor)));
  }

  eventsSince(cursor, limit) {
    return callAsync(() => this.#native.eventsSince(cursor, limit));
  }

  async consumer(name, session) {
    return new EventStream(await callAsync(() => this.#native.consumer(name, session)));
  }

  /** The seq of the newest event (a cursor for `eventsSince`). */
  get lastSeq() {
    return this.#native.lastSeq;
  }

  /** `await using manager = await SessionManager.open()` closes it at the end of the scope. */
  [Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]() {
    return this.close();
  }

  [LIVE]() {
    return this.events();
  }
}

/** The canonical JID of a chat id (`15551234567` → `15551234567@s.whatsapp.net`). */
function normalizeChatId(chat) {
  return call(() => native.normalizeChatId(chat));
}

/** The `store` part of a configuration for one SQLite file, its secrets encrypted with the key
 * in `keyFile` (default `<path>.key`, created with mode 0600 if missing). */
function sqliteStore(path, keyFile) {
  if (typeof path !== 'string') throw typeError('path must be a string');
  return {
    backend: { backend: 'sqlite', path },
    atRestKey: { source: 'file', path: keyFile ?? `${path}.key` },
  };
}

/** The `store` part of a configuration for a PostgreSQL database. `key`: 32 bytes (hex string,
 * Buffer or Uint8Array) or `{ file: path }`. */
function postgresStore(url, key) {
  if (typeof url !== 'string') throw typeError('url must be a string');
  const atRestKey =
    key && typeof key === 'object' && 'file' in key
      ? { source: 'file', path: key.file }
      : { source: 'bytes', key };
  return { backend: { backend: 'postgres', url }, atRestKey };
}

/** The `store` part of a configuration for a store in memory (lost on close). */
function memoryStore() {
  return { backend: { backend: 'memory' }, atRestKey: null };
}

module.exports = {
  SessionManager,
  Session,
  EventStream,
  OpenWAError,
  ERROR_CODES,
  MAX_REPLAY_PAGE: native.MAX_REPLAY_PAGE,
  normalizeChatId,
  sqliteStore,
  postgresStore,
  memoryStore,
};
// `import openwa from 'openwa'` from TypeScript compiled to CommonJS.
module.exports.default = module.exports;
