// Compiled (never run) by test.sh with `tsc --strict`: the public types as a bot uses them.
import openwa, {
  type Event,
  type Label,
  type Message,
  type StarredMessage,
  OpenWAError,
  SessionManager,
  sqliteStore,
} from 'openwa';

export async function bot(): Promise<void> {
  const manager = await SessionManager.open({
    store: sqliteStore('bot.db'),
    defaultSessionOptions: { serverUrl: 'ws://127.0.0.1:1/ws/chat', trustRoot: new Uint8Array(32) },
  });
  const session = await manager.createSession('main');
  session.on('qr', (event) => console.log(`QR: ${event.code} (${event.timeoutSecs} s)`));
  session.on('message', (message: Message, event) => console.log(message.text, event.seq));
  session.on('connection_state', (event) => console.log(event.state, event.willReconnect));
  await session.connect();
  const consumer = await manager.consumer('echo', session.id);
  for await (const event of consumer) {
    switch (event.type) {
      case 'message_received': {
        const { message } = event;
        if (message.content.kind === 'text' && !message.fromMe) {
          const sent = await session.sendText(message.chat, message.content.text, {
            idempotencyKey: message.id,
          });
          console.log(sent.id, sent.status);
        }
        break;
      }
      case 'lagged':
        console.log(event.missed);
        break;
      default:
        break;
    }
    await consumer.ack(event.seq);
  }
  await session.archiveChat('15551234567');
  await session.muteChat('15551234567', Infinity);
  await session.muteChat('15551234567', null);
  const label: Label = await session.createLabel('VIP', 3);
  await session.labelChat(label.id, '15551234567');
  const stars: StarredMessage[] = await session.listStarred({ limit: 10 });
  const labels: string[] = (await session.getChat('15551234567')).labels;
  console.log(stars.length, labels, (await session.listLabels()).length);
  session.on('chat_updated', (event) => {
    if (event.setting.kind === 'muted') console.log(event.chat, event.setting.until);
  });
  const page = await session.messages('15551234567', { limit: 10 });
  const next: string | null = page.nextCursor;
  const events: Event[] = await manager.eventsSince(0, openwa.MAX_REPLAY_PAGE);
  console.log(next, events.length, manager.lastSeq, session.info().state);
  try {
    await manager.get('nobody');
  } catch (err) {
    if (err instanceof OpenWAError && err.code === 'not_found') console.log(err.retryable);
  }
  await manager.close();
}
