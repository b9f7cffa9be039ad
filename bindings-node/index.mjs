// The ES module entry point: the same objects as the CommonJS one (index.js).
import openwa from './index.js';

export const {
  SessionManager,
  Session,
  EventStream,
  OpenWAError,
  ERROR_CODES,
  MAX_REPLAY_PAGE,
  normalizeChatId,
  sqliteStore,
  postgresStore,
  memoryStore,
} = openwa;
export default openwa;
