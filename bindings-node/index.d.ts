// Types of the `openwa` package (index.js / index.mjs), written by hand. Values are the
// engine's JSON with camelCase keys; string unions are the engine's stable names. The addon's
// own declarations are native.d.ts (generated, checked for drift). bindings-node/test.sh
// compiles test/types.ts and every event its suite saw against this file with `tsc --strict`.

import { EventEmitter } from 'node:events';

/** Where a session's connection stands. */
export type ConnectionState =
  | 'disconnected'
  | 'connecting'
  | 'waiting_for_qr'
  | 'pairing'
  | 'connected'
  | 'logged_out';

/** Why the connection state changed (more may be added). */
export type StateReason =
  | 'requested'
  | 'reconnecting'
  | 'logged_in'
  | 'qr_required'
  | 'pairing_started'
  | 'pairing_succeeded'
  | 'qr_timeout'
  | 'network_error'
  | 'keepalive_timeout'
  | 'stream_restart'
  | 'server_unavailable'
  | 'replaced'
  | 'device_removed'
  | 'login_rejected'
  | 'banned'
  | 'client_outdated'
  | 'server_error'
  | 'handshake_failed'
  | 'pairing_failed'
  | 'reconnect_limit';

/** The status of a message we sent; it never goes backwards. */
export type MessageStatus = 'failed' | 'pending' | 'sent' | 'delivered' | 'read' | 'played';

/** What kind of receipt another device sent (more may be added). */
export type ReceiptKind =
  | 'delivered'
  | 'read'
  | 'read_self'
  | 'played'
  | 'played_self'
  | 'retry'
  | 'sender'
  | 'other';

/** What a message is; an unknown kind keeps the protocol's name for it. */
export type MessageType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'reaction'
  | 'poll'
  | 'poll_vote'
  | 'protocol'
  | 'revoked'
  | (string & {});

/** The content of a message, typed: text now, every other kind by type until decoded. */
/** The file of a media message (bytes as base64 strings); `Session.downloadMedia` fetches it. */
export interface MediaFile {
  mimetype: string | null;
  fileLength: number | null;
  fileSha256: string | null;
  fileEncSha256: string | null;
  mediaKey: string | null;
  directPath: string | null;
  url: string | null;
  mediaKeyTimestamp: number | null;
}

export type MessageContent =
  | { kind: 'text'; text: string }
  | {
      kind: 'image';
      media: MediaFile;
      caption: string | null;
      width: number | null;
      height: number | null;
      thumbnail: string | null;
      /** A view-once image. */
      viewOnce: boolean;
    }
  | {
      kind: 'video';
      media: MediaFile;
      caption: string | null;
      width: number | null;
      height: number | null;
      seconds: number | null;
      gifPlayback: boolean;
      thumbnail: string | null;
      /** A view-once video. */
      viewOnce: boolean;
    }
  | { kind: 'audio'; media: MediaFile; seconds: number | null; ptt: boolean; waveform: string | null }
  | {
      kind: 'document';
      media: MediaFile;
      fileName: string | null;
      title: string | null;
      caption: string | null;
      pageCount: number | null;
      thumbnail: string | null;
    }
  | { kind: 'sticker'; media: MediaFile; width: number | null; height: number | null; animated: boolean }
  | ({ kind: 'location' } & Location)
  | { kind: 'contacts'; contacts: ContactCard[] }
  /** `emoji` is empty when the reaction was removed. */
  | { kind: 'reaction'; messageId: string; emoji: string }
  /** A poll; `selectableCount` 0 means any number of choices. */
  | { kind: 'poll'; name: string; options: string[]; selectableCount: number }
  | { kind: 'other'; messageType: MessageType };

/** The votes on a poll (`Session.pollResults`): each voter's latest vote counts. */
export interface PollResults {
  chat: string;
  pollId: string;
  name: string;
  selectableCount: number;
  options: { name: string; voters: string[] }[];
}

/** A location; coordinates in degrees. `live` only on received live-location updates. */
export interface Location {
  latitude: number;
  longitude: number;
  name?: string | null;
  address?: string | null;
  url?: string | null;
  comment?: string | null;
  accuracyM?: number | null;
  live?: boolean;
}

/** A contact card: the name shown and the vCard (3.0) text. */
export interface ContactCard {
  displayName: string;
  vcard: string;
}

/** The message a reply quotes. */
export interface QuotedMessage {
  id: string;
  sender: string | null;
  text: string | null;
  messageType: MessageType;
}

/** Options of every send. */
export interface SendOptions {
  /** A repeated send with the same key resolves with the first send's message. */
  idempotencyKey?: string;
  /** The id of a message of the chat this one replies to. */
  quoted?: string;
  /** Users the message mentions (phone numbers or JIDs). */
  mentions?: string[];
  /** Resolve once the message is durably queued (status `pending`) instead of once WhatsApp
   * acknowledged it; works while disconnected. The session's send queue sends it in order,
   * paced, also after a reconnect or a restart; `message_sent` or a `failed` status follows. */
  queued?: boolean;
}

/** Pacing of a session's sends. Past `maxPerHour` a direct send rejects with `rate_limited`
 * (`details`: seconds until a slot frees) and a queued one waits. */
export interface SendPacing {
  /** Least time between two sends (default 0). */
  minIntervalMs: number;
  /** Largest random delay added to it (default 0). */
  jitterMs: number;
  /** Most sends in any hour (default 0: no cap). */
  maxPerHour: number;
}

/** How a session reconnects after a transient failure: attempt n waits between half and all
 * of `baseDelayMs × 2ⁿ` (at most a minute); after `maxAttempts` failed attempts in a row it
 * stops, `disconnected` with reason `reconnect_limit`. */
export interface ReconnectPolicy {
  /** First delay: 100-300000 (default 1000). */
  baseDelayMs: number;
  /** Failed attempts before giving up (default null: never). */
  maxAttempts: number | null;
}

/** What `sendMedia` sends: `kind` and the file (`data` or `path`); the rest is optional and
 * refused (`invalid_argument`) on a kind without such a field. */
export interface OutgoingMedia {
  kind: 'image' | 'video' | 'gif' | 'audio' | 'voice' | 'document' | 'sticker';
  data?: Buffer;
  path?: string;
  /** Default by kind: image/jpeg, video/mp4, audio/mpeg, audio/ogg; codecs=opus (voice),
   * application/octet-stream (document), image/webp (sticker). */
  mimetype?: string;
  caption?: string;
  fileName?: string;
  /** A small JPEG preview. */
  thumbnail?: Buffer;
  width?: number;
  height?: number;
  seconds?: number;
  /** Voice-note waveform: up to 64 samples of 0..=100. */
  waveform?: Buffer;
  animated?: boolean;
  /** View once (images and videos). */
  viewOnce?: boolean;
}

/** A stored message (received or sent). Ids are canonical JIDs. */
export interface Message {
  /** Unique per chat and sender. */
  id: string;
  /** The other person for 1:1 chats (even for our own messages), or the group. */
  chat: string;
  /** The author's JID (device-less); ourselves when `fromMe`. */
  sender: string;
  /** The author's other id (LID when `sender` is a phone number, or the reverse), if known. */
  senderAlt: string | null;
  fromMe: boolean;
  /** Server timestamp, seconds since the epoch. */
  timestamp: number;
  pushName: string | null;
  /** The text (or caption), if any. */
  text: string | null;
  messageType: MessageType;
  content: MessageContent;
  /** The message this one replies to. */
  quoted: QuotedMessage | null;
  /** Users it mentions (JIDs). */
  mentions: string[];
  forwarded: boolean;
  forwardingScore: number;
  status: MessageStatus;
}

/** A page of a chat's history, newest first; pass `nextCursor` for the next page. */
export interface MessagePage {
  messages: Message[];
  nextCursor: string | null;
}

/** What kind of chat an id names. */
export type ChatKind = 'user' | 'lid' | 'group' | 'newsletter' | 'status';

/** A chat the session knows (from history sync and from messages sent and received). */
export interface Chat {
  /** The JID its messages are stored under (PN, LID or group). */
  id: string;
  kind: ChatKind;
  /** The user's phone-number JID, when known. */
  pn: string | null;
  /** The user's LID, when known. */
  lid: string | null;
  /** A group's subject, the name history gave, else the contact's push name. */
  name: string | null;
  lastMessage: Message | null;
  /** The newest message's time, seconds since the epoch. */
  lastMessageAt: number | null;
  /** Incoming messages not read yet (`markRead` clears it). */
  unreadCount: number;
  archived: boolean;
  pinned: boolean;
  /** Muted until this time, seconds since the epoch (`18446744073709552000`: for ever). */
  mutedUntil: number | null;
  /** Marked unread by hand on a device of the account (app-state sync). */
  markedUnread: boolean;
  /** The ids of the labels the chat is on (app-state sync). */
  labels: string[];
  updatedAtMs: number;
}

/** A label (WhatsApp Business) chats and messages are filed under. */
export interface Label {
  id: string;
  name: string;
  /** An index into WhatsApp's palette, 0 to 19. */
  color: number;
  deleted: boolean;
}

/** A starred message. */
export interface StarredMessage {
  chat: string;
  messageId: string;
  fromMe: boolean;
  participant: string | null;
  starredAtMs: number;
}

/** A chat setting app-state sync changed. */
export type ChatSetting =
  | { kind: 'archived'; archived: boolean }
  | { kind: 'pinned'; pinned: boolean }
  | { kind: 'muted'; until: number | null }
  | { kind: 'marked_unread'; unread: boolean };

/** A user the session knows: its ids and names. */
export interface Contact {
  /** The JID it is stored under (PN or LID). */
  id: string;
  pn: string | null;
  lid: string | null;
  /** Phone number digits, when known. */
  phone: string | null;
  pushName: string | null;
  /** Address-book name (app-state sync). */
  name: string | null;
}

/** A snapshot of a session. */
export interface SessionInfo {
  id: string;
  state: ConnectionState;
  /** Our device JID once paired (`15551234567:3@s.whatsapp.net`). */
  jid: string | null;
  lid: string | null;
}

/** Fields every event has. */
export interface EventBase {
  /** The session that produced it (empty only for `lagged`). */
  sessionId: string;
  /** Position in the manager's event log, strictly increasing (a cursor). */
  seq: number;
  /** When it was produced, milliseconds since the Unix epoch. */
  timestampMs: number;
}

/** A QR code to show while `waiting_for_qr`; a new one follows when it expires. */
export interface QrEvent extends EventBase {
  type: 'qr';
  code: string;
  timeoutSecs: number;
}
/** The code to type on the phone, after `pairWithCode`. */
export interface PairingCodeEvent extends EventBase {
  type: 'pairing_code';
  code: string;
}
/** The phone accepted this device; later connects log in without a QR. */
export interface PairedEvent extends EventBase {
  type: 'paired';
  jid: string;
  lid: string | null;
  platform: string | null;
  businessName: string | null;
}
/** The connection state changed. */
export interface ConnectionStateEvent extends EventBase {
  type: 'connection_state';
  state: ConnectionState;
  reason: StateReason;
  detail: string | null;
  /** Whether the engine goes on by itself; false: only `connect()` starts it again. */
  willReconnect: boolean;
}
/** A message arrived and was stored. */
export interface MessageReceivedEvent extends EventBase {
  type: 'message_received';
  message: Message;
}
/** A message we sent was accepted by the server. */
export interface MessageSentEvent extends EventBase {
  type: 'message_sent';
  message: Message;
}
/** Whether a phone number is on WhatsApp. */
export interface NumberStatus {
  /** The number as given. */
  input: string;
  exists: boolean;
  /** The account's JID, when on WhatsApp. */
  jid: string | null;
  /** Its LID, when on WhatsApp and known. */
  lid: string | null;
}

/** What someone is doing in a chat. */
export type ChatState = 'typing' | 'recording' | 'paused';

/** A subscribed contact came online or went offline. */
export interface PresenceEvent extends EventBase {
  type: 'presence';
  user: string;
  available: boolean;
  /** When they were last online (seconds), when offline and shown. */
  lastSeen: number | null;
  lastSeenHidden: boolean;
}
/** Someone is typing, recording or stopped in a chat. */
export interface ChatStateEvent extends EventBase {
  type: 'chat_state';
  chat: string;
  sender: string;
  state: ChatState;
}
/** A message was edited (by its author, on any device); the stored message has the new text. */
export interface MessageEditedEvent extends EventBase {
  type: 'message_edited';
  chat: string;
  messageId: string;
  sender: string;
  text: string | null;
  content: MessageContent;
  timestamp: number;
}
/** A message was deleted for everyone; the stored message is now `revoked`. */
export interface MessageRevokedEvent extends EventBase {
  type: 'message_revoked';
  chat: string;
  messageId: string;
  sender: string;
  timestamp: number;
}
/** Someone (ourselves included) voted on a poll, or changed or withdrew (`selected` empty) their vote. */
export interface PollVoteEvent extends EventBase {
  type: 'poll_vote';
  chat: string;
  pollId: string;
  voter: string;
  voterAlt: string | null;
  selected: string[];
  timestamp: number;
}
/** The status of one of our sent messages moved forward. */
export interface MessageStatusEvent extends EventBase {
  type: 'message_status';
  chat: string;
  messageId: string;
  status: MessageStatus;
}
/** A receipt arrived from another device. */
export interface ReceiptEvent extends EventBase {
  type: 'receipt';
  chat: string;
  sender: string;
  messageIds: string[];
  receipt: ReceiptKind;
  timestamp: number;
}
/** We are in a new group (we created it, or were added at its creation). */
export interface GroupJoinedEvent extends EventBase {
  type: 'group_joined';
  group: GroupInfo;
  reason: string | null;
}
/** Members were added, removed, promoted or demoted, or left. */
export interface GroupParticipantsEvent extends EventBase {
  type: 'group_participants';
  group: string;
  actor: string | null;
  actorPn: string | null;
  change: 'added' | 'removed' | 'promoted' | 'demoted' | 'left';
  participants: GroupParticipant[];
  reason: string | null;
}
/** A group's subject, description or settings changed, or its invite link was reset. */
export interface GroupUpdatedEvent extends EventBase {
  type: 'group_updated';
  group: string;
  actor: string | null;
  actorPn: string | null;
  change:
    | { kind: 'subject'; subject: string }
    | { kind: 'description'; description: string | null }
    | { kind: 'setting'; setting: { setting: string; value: unknown } }
    | { kind: 'invite_link_reset' }
    | { kind: 'other'; name: string };
}
/** This subscriber fell behind; replay the missed events with `eventsSince(seq)`. */
export interface LaggedEvent extends EventBase {
  type: 'lagged';
  missed: number;
}
/** A history-sync chunk from our phone was stored (chats, messages, push names, PN↔LID map). */
export interface HistorySyncEvent extends EventBase {
  type: 'history_sync';
  syncType:
    | 'initial_bootstrap'
    | 'initial_status'
    | 'full'
    | 'recent'
    | 'push_name'
    | 'non_blocking_data'
    | 'on_demand'
    | 'unknown';
  chunkOrder: number;
  /** Percent done with chunks of this type, when the phone says. */
  progress: number | null;
  chats: number;
  messages: number;
  contacts: number;
}
/** A chat setting kept by app-state sync changed, on any device of the account. */
export interface ChatUpdatedEvent extends EventBase {
  type: 'chat_updated';
  chat: string;
  setting: ChatSetting;
}
/** A chat was deleted (app-state sync) on a device of the account, this one included. */
export interface ChatDeletedEvent extends EventBase {
  type: 'chat_deleted';
  chat: string;
}
/** A chat was cleared (app-state sync) on a device of the account, this one included. */
export interface ChatClearedEvent extends EventBase {
  type: 'chat_cleared';
  chat: string;
}
/** Our push name was set on our phone (app-state sync); the session uses it from now on. */
export interface PushNameChangedEvent extends EventBase {
  type: 'push_name_changed';
  name: string;
}
/** A contact's address-book name changed (app-state sync). */
export interface ContactUpdatedEvent extends EventBase {
  type: 'contact_updated';
  jid: string;
  fullName: string | null;
  firstName: string | null;
}
/** A label was made, renamed, recoloured or deleted (app-state sync). */
export interface LabelUpdatedEvent extends EventBase {
  type: 'label_updated';
  label: Label;
}
/** A chat or message was put on a label or taken off it (app-state sync). */
export interface LabelAssociationEvent extends EventBase {
  type: 'label_association';
  label: string;
  chat: string;
  messageId: string | null;
  labeled: boolean;
}
/** A message was starred or unstarred (app-state sync). */
export interface MessageStarredEvent extends EventBase {
  type: 'message_starred';
  chat: string;
  messageId: string;
  fromMe: boolean;
  starred: boolean;
}
/** A logged event this build cannot read; replay goes on with the next one. */
export interface UnreadableEvent extends EventBase {
  type: 'unreadable';
  name: string;
  version: number;
  error: string;
}

/** One event of one session; switch on `type`. */
export type Event =
  | QrEvent
  | PairingCodeEvent
  | PairedEvent
  | ConnectionStateEvent
  | MessageReceivedEvent
  | MessageSentEvent
  | MessageEditedEvent
  | MessageRevokedEvent
  | PollVoteEvent
  | PresenceEvent
  | ChatStateEvent
  | MessageStatusEvent
  | ReceiptEvent
  | GroupJoinedEvent
  | GroupParticipantsEvent
  | GroupUpdatedEvent
  | HistorySyncEvent
  | ChatUpdatedEvent
  | ChatDeletedEvent
  | ChatClearedEvent
  | PushNameChangedEvent
  | ContactUpdatedEvent
  | LabelUpdatedEvent
  | LabelAssociationEvent
  | MessageStarredEvent
  | LaggedEvent
  | UnreadableEvent;

export type EventType = Event['type'];

/** The engine's error codes. */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'not_connected'
  | 'not_paired'
  | 'logged_out'
  | 'timeout'
  | 'network'
  | 'protocol'
  | 'crypto'
  | 'store'
  | 'rate_limited'
  | 'server_error'
  | 'banned'
  | 'cancelled'
  | 'unsupported'
  | 'internal'
  | 'permission_denied'
  | 'media_invalid'
  | 'media_expired';

/** Every engine error; arguments of the wrong JS type throw `TypeError` instead. */
export class OpenWAError extends Error {
  constructor(
    message: string,
    options?: { code?: ErrorCode; details?: string | null; retryable?: boolean },
  );
  readonly name: 'OpenWAError';
  /** The engine's stable code. */
  code: ErrorCode;
  /** Extra machine-readable context (a server code, the offending input), or null. */
  details: string | null;
  /** Whether the same call may succeed later. */
  retryable: boolean;
}

/** Every engine error code, in the engine's order. */
export const ERROR_CODES: readonly ErrorCode[];
/** The largest page `eventsSince` returns. */
export const MAX_REPLAY_PAGE: number;

/** Bytes: a hex string, a Buffer / Uint8Array or an array of byte values. */
export type Bytes = string | Uint8Array | number[];

export type StoreBackend =
  | { backend: 'memory' }
  | { backend: 'sqlite'; path: string }
  | { backend: 'postgres'; url: string };

export type AtRestKey = { source: 'bytes'; key: Bytes } | { source: 'file'; path: string };

export interface StoreConfig {
  backend?: StoreBackend;
  /** Required for persistent backends. */
  atRestKey?: AtRestKey | null;
}

/** Per-session settings (fields left out keep the engine's defaults: the real WhatsApp). */
export interface SessionOptions {
  /** `wss://…` (or `ws://…` for the simulator). */
  serverUrl?: string;
  /** The Noise certificate root public key (32 bytes). */
  trustRoot?: Bytes;
  browser?: { os: string; browser: string };
  pushName?: string | null;
  /** Extra PEM certificates trusted for `wss://` (a private CA, the simulator's certificate). */
  tlsExtraRootsPem?: string | null;
  /** `http://[user:pass@]host:port` or `socks5://[user:pass@]host:port`. */
  proxy?: string | null;
  connectTimeoutSecs?: number;
  requestTimeoutSecs?: number;
  autoReconnect?: boolean;
  /** Largest media file sent or downloaded, in bytes (default 100 MiB). */
  maxMediaBytes?: number;
  /** How much of the account's past to keep from history sync (default `recent`). */
  history?: 'none' | 'recent' | 'full';
  /** How fast the session sends (default: no pacing). */
  sendPacing?: Partial<SendPacing>;
  /** How the session reconnects (default: from 1 s, never giving up). */
  reconnect?: Partial<ReconnectPolicy>;
}

/** A manager's settings (fields left out keep the engine's defaults: a store in memory). */
export interface ManagerConfig {
  store?: StoreConfig;
  /** Capacity of the event broadcast; a subscriber further behind gets `lagged`. */
  eventBuffer?: number;
  /** How many persisted sessions connect at once when the manager opens. */
  restoreParallelism?: number;
  defaultSessionOptions?: SessionOptions;
  /** Worker threads of the engine's runtime (0: one per core, at most 4). */
  runtimeThreads?: number;
}

/** A subscription to events. A pending `next()` keeps the process alive; closing the manager
 * (or the stream) ends it. */
export class EventStream implements AsyncIterable<Event> {
  private constructor();
  /** The next event, or `null` once the manager or this stream is closed. */
  next(): Promise<Event | null>;
  /** The next event if one is ready now, else `null`. */
  tryNext(): Event | null;
  /** Stores a durable consumer's position: after a restart it resumes after `seq`. */
  ack(seq: number): Promise<void>;
  /** Ends the stream: a pending `next()` resolves with `null`. */
  close(): void;
  [Symbol.asyncIterator](): AsyncIterator<Event>;
}

/** Listener arguments: every event type, `event` for all of them, `message` for received
 * messages (message first), `error` for what a listener threw. Managers and sessions are
 * EventEmitters whose listeners read a live event stream: the stream opens with the first
 * listener and closes with the last. */
export type EventListeners = {
  [K in EventType]: [event: Extract<Event, { type: K }>];
} & {
  event: [event: Event];
  message: [message: Message, event: MessageReceivedEvent];
  error: [error: unknown];
};

/** One WhatsApp device of a manager. */
export class Session extends EventEmitter<EventListeners> {
  private constructor();
  readonly id: string;
  readonly state: ConnectionState;
  readonly isPaired: boolean;
  info(): SessionInfo;
  /** Our push name: the options' until our phone sets another (`push_name_changed` event). */
  readonly pushName: string | null;
  /** Starts connecting in the background (resolves at once). */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Unlinks this device and deletes its credentials. */
  logout(): Promise<void>;
  /** Pairs by phone-number code: resolves with the code to type on the phone (`XXXX-XXXX`). */
  pairWithCode(phone: string): Promise<string>;
  /** Waits until the session reaches `state`; `timeout` error after `timeoutMs` (60 s). */
  waitForState(state: ConnectionState, timeoutMs?: number): Promise<void>;
  /** Sends a text. The same `idempotencyKey` again resolves with the first message. */
  sendText(chat: string, text: string, options?: SendOptions): Promise<Message>;
  /** Changes how fast this session sends, from now on and after a restart. */
  setSendPacing(pacing: Partial<SendPacing>): Promise<void>;
  /** The pacing in force now. */
  sendPacing(): SendPacing;
  /** Changes how this session reconnects, from the next reconnect on and after a restart. */
  setReconnectPolicy(policy: Partial<ReconnectPolicy>): Promise<void>;
  /** The reconnect policy in force now. */
  reconnectPolicy(): ReconnectPolicy;
  sendLocation(chat: string, location: Location, options?: SendOptions): Promise<Message>;
  sendContacts(chat: string, contacts: ContactCard[], options?: SendOptions): Promise<Message>;
  /** `emoji` `''` removes our reaction. */
  react(chat: string, messageId: string, emoji: string, options?: SendOptions): Promise<Message>;
  /** 2-12 distinct options; `selectableCount` 0 means any number (default 1). */
  sendPoll(
    chat: string,
    name: string,
    options: string[],
    selectableCount?: number,
    sendOptions?: SendOptions,
  ): Promise<Message>;
  /** Option names; `[]` withdraws our vote. */
  votePoll(chat: string, pollId: string, selected: string[], options?: SendOptions): Promise<Message>;
  pollResults(chat: string, pollId: string): Promise<PollResults>;
  /** Edits one of our messages (its text or caption). */
  editMessage(chat: string, messageId: string, text: string, options?: SendOptions): Promise<Message>;
  /** Forwards a stored message of `fromChat` to `chat` (marked forwarded; media is not uploaded again). */
  forwardMessage(chat: string, fromChat: string, messageId: string, options?: SendOptions): Promise<Message>;
  /** Tells contacts we are online or offline (WhatsApp sends presence and typing only to an available session). */
  setPresence(available: boolean): Promise<void>;
  /** Subscribes to a contact's presence: `presence` events follow while connected. */
  subscribePresence(user: string): Promise<void>;
  /** Shows typing, recording or paused (stop showing) in a chat. */
  sendChatState(chat: string, state: ChatState): Promise<void>;
  /** Which of `numbers` (1 to 100) are on WhatsApp, in the order given. */
  checkNumbers(numbers: string[]): Promise<NumberStatus[]>;
  /** Deletes one of our messages for everyone. */
  revokeMessage(chat: string, messageId: string, options?: SendOptions): Promise<Message>;
  /** Sends a media file (image, video, GIF, audio, voice note, document, sticker): checked,
   * encrypted, uploaded, then sent like a text. */
  sendMedia(chat: string, media: OutgoingMedia, options?: SendOptions): Promise<Message>;
  /** The verified, decrypted file of a stored media message. */
  downloadMedia(chat: string, id: string): Promise<Buffer>;
  /** Streams the file to `path` (through `path.part`); resolves with its size. */
  downloadMediaToFile(chat: string, id: string, path: string): Promise<number>;
  markRead(chat: string, messageIds: string[]): Promise<void>;
  messages(chat: string, options?: { cursor?: string | null; limit?: number }): Promise<MessagePage>;
  message(chat: string, id: string): Promise<Message>;
  /** How many messages the stored history of a chat holds. */
  messageCount(chat: string): Promise<number>;
  /** A page of the chats the session knows, newest message first (limit 1 to 500, default 100). */
  listChats(options?: { limit?: number; offset?: number }): Promise<Chat[]>;
  /** One chat by any of its ids (phone number, PN or LID JID, group). */
  getChat(chat: string): Promise<Chat>;
  /** A page of the contacts the session knows (limit 1 to 500, default 100). */
  listContacts(options?: { limit?: number; offset?: number }): Promise<Contact[]>;
  /** One contact by phone number, PN or LID JID. */
  getContact(contact: string): Promise<Contact>;
  /** Archives (default) or unarchives a chat on every device of the account (app-state sync;
   * the chat changes here once the server accepted it). */
  archiveChat(chat: string, archived?: boolean): Promise<void>;
  /** Deletes a chat on every device of the account (app-state sync): once the server accepted
   * it, the chat, its messages, stars and labels are gone here, with a `chat_deleted` event. */
  deleteChat(chat: string): Promise<void>;
  /** Clears a chat on every device of the account (app-state sync): its messages go (its
   * starred messages too unless `keepStarred`), the chat stays; a `chat_cleared` event. */
  clearChat(chat: string, keepStarred?: boolean): Promise<void>;
  /** Pins (default) or unpins a chat (app-state sync). */
  pinChat(chat: string, pinned?: boolean): Promise<void>;
  /** Mutes a chat until `until` (seconds since the epoch; `Infinity` for ever), or unmutes it
   * (`null`) (app-state sync). */
  muteChat(chat: string, until: number | null): Promise<void>;
  /** Marks a chat unread (default) or read again (app-state sync). */
  markChatUnread(chat: string, unread?: boolean): Promise<void>;
  /** Stars (default) or unstars a message (app-state sync). */
  starMessage(chat: string, messageId: string, starred?: boolean): Promise<void>;
  /** Saves a contact's address-book name (app-state sync). */
  setContactName(contact: string, fullName: string, firstName?: string | null): Promise<void>;
  /** Makes a label with the next free id (app-state sync). */
  createLabel(name: string, color?: number): Promise<Label>;
  /** Renames or recolours a label (app-state sync). */
  editLabel(id: string, name: string, color?: number): Promise<void>;
  /** Deletes a label (app-state sync). */
  deleteLabel(id: string): Promise<void>;
  /** Puts a chat on a label (app-state sync). */
  labelChat(label: string, chat: string): Promise<void>;
  /** Takes a chat off a label (app-state sync). */
  unlabelChat(label: string, chat: string): Promise<void>;
  /** Puts a message on a label (default) or takes it off (app-state sync). */
  labelMessage(label: string, chat: string, messageId: string, labeled?: boolean): Promise<void>;
  /** The account's labels (deleted ones left out). */
  listLabels(): Promise<Label[]>;
  /** A page of starred messages, most recently starred first (limit 1 to 500, default 100). */
  listStarred(options?: { limit?: number; offset?: number }): Promise<StarredMessage[]>;
  /** Creates a group; we are its super admin. */
  createGroup(subject: string, participants: string[]): Promise<GroupInfo>;
  /** A group's metadata, fresh from the server. */
  groupInfo(group: string): Promise<GroupInfo>;
  joinedGroups(): Promise<GroupInfo[]>;
  /** One result per member; `permission_denied` when we may not. */
  updateGroupParticipants(
    group: string,
    action: 'add' | 'remove' | 'promote' | 'demote',
    participants: string[],
  ): Promise<ParticipantUpdate[]>;
  setGroupSubject(group: string, subject: string): Promise<void>;
  /** `null` deletes the description. */
  setGroupDescription(group: string, description: string | null): Promise<void>;
  setGroupSetting(group: string, setting: 'announcement' | 'locked' | 'joinApproval', value: boolean): Promise<void>;
  setGroupSetting(group: string, setting: 'memberAddMode', value: 'admin_add' | 'all_member_add'): Promise<void>;
  setGroupSetting(group: string, setting: 'ephemeral', value: number | null): Promise<void>;
  groupInviteCode(group: string): Promise<string>;
  revokeGroupInvite(group: string): Promise<string>;
  groupInviteInfo(code: string): Promise<GroupInfo>;
  joinGroup(code: string): Promise<{ jid: string; pendingApproval: boolean }>;
  leaveGroup(group: string): Promise<void>;
  groupJoinRequests(group: string): Promise<{ jid: string; phoneNumber: string | null; requestedAt: number | null }[]>;
  answerGroupJoinRequests(group: string, approve: boolean, participants: string[]): Promise<ParticipantUpdate[]>;
  events(): EventStream;
  eventsFrom(cursor: number): EventStream;
  eventsSince(cursor: number, limit?: number): Promise<Event[]>;
}

/** A member of a group. */
export interface GroupParticipant {
  jid: string;
  phoneNumber: string | null;
  lid: string | null;
  role: 'member' | 'admin' | 'super_admin';
}

/** A group's metadata. */
export interface GroupInfo {
  jid: string;
  subject: string;
  subjectOwner: string | null;
  subjectTime: number | null;
  description: string | null;
  descriptionId: string | null;
  creator: string | null;
  creation: number | null;
  addressingMode: 'pn' | 'lid';
  participants: GroupParticipant[];
  settings: {
    announcement: boolean;
    locked: boolean;
    joinApproval: boolean;
    memberAddMode: 'admin_add' | 'all_member_add';
    ephemeralSecs: number | null;
  };
}

/** The outcome for one member of a participant change or a join-request answer. */
export interface ParticipantUpdate {
  jid: string;
  phoneNumber: string | null;
  ok: boolean;
  error: number | null;
  inviteCode: string | null;
  inviteExpiration: number | null;
}

/** Runs many WhatsApp sessions on one engine runtime with one store and one event log. */
export class SessionManager extends EventEmitter<EventListeners> {
  private constructor();
  static open(config?: ManagerConfig): Promise<SessionManager>;
  /** Creates a session (not connected); `options` default to the manager's. */
  createSession(id: string, options?: SessionOptions | null): Promise<Session>;
  get(id: string): Promise<Session>;
  list(): Promise<SessionInfo[]>;
  delete(id: string): Promise<void>;
  /** Disconnects every session, ends every event stream and closes the store. */
  close(): Promise<void>;
  events(): EventStream;
  eventsFrom(cursor: number): EventStream;
  eventsSince(cursor: number, limit?: number): Promise<Event[]>;
  /** A named durable consumer: resumes after its last `ack`; `session` narrows it. */
  consumer(name: string, session?: string | null): Promise<EventStream>;
  readonly lastSeq: number;
  /** `await using manager = await SessionManager.open()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The canonical JID of a chat id (`15551234567` → `15551234567@s.whatsapp.net`). */
export function normalizeChatId(chat: string): string;
/** A SQLite store; secrets encrypted with the key in `keyFile` (default `<path>.key`). */
export function sqliteStore(path: string, keyFile?: string): StoreConfig;
/** A PostgreSQL store; `key` is 32 bytes or `{ file }`. */
export function postgresStore(url: string, key: Bytes | { file: string }): StoreConfig;
/** A store in memory (lost on close). */
export function memoryStore(): StoreConfig;

declare const openwa: {
  SessionManager: typeof SessionManager;
  Session: typeof Session;
  EventStream: typeof EventStream;
  OpenWAError: typeof OpenWAError;
  ERROR_CODES: typeof ERROR_CODES;
  MAX_REPLAY_PAGE: typeof MAX_REPLAY_PAGE;
  normalizeChatId: typeof normalizeChatId;
  sqliteStore: typeof sqliteStore;
  postgresStore: typeof postgresStore;
  memoryStore: typeof memoryStore;
};
export default openwa;
