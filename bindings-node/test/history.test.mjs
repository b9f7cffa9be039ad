// History sync and chats through Node: a phone with a seeded history links a session, which
// lists the phone's chats (newest first, unread counts, last messages, PN and LID forms) and
// contacts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { OpenWAError, SessionManager } from 'openwa';
import sim_ from './sim.cjs';

const { Sim, nextEvent, linkByQr } = sim_;

let sim;

before(async () => {
  sim = await Sim.start();
});

after(() => sim?.stop());

test('history sync, chats and contacts', async () => {
  const phone = await sim.account('Alice');
  await sim.admin('POST', `/admin/accounts/${phone}/history`, {
    chats: 4,
    messages_per_chat: 30,
    unread: 2,
  });
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('alice');
  const events = session.events();
  await linkByQr(sim, session, phone);
  for (;;) {
    const event = await nextEvent(events, 'history_sync');
    if (event.syncType === 'non_blocking_data') break;
  }
  const chats = await session.listChats();
  assert.equal(chats.length, 4);
  const [first] = chats;
  assert.equal(first.kind, 'user');
  assert.equal(first.unreadCount, 2);
  assert.match(first.pn, /@s\.whatsapp\.net$/);
  assert.match(first.lid, /@lid$/);
  assert.match(first.lastMessage.text, /^message 29 of chat/);
  assert.deepEqual(
    (await session.listChats({ limit: 2, offset: 2 })).map((c) => c.id),
    chats.slice(2).map((c) => c.id),
  );
  assert.equal((await session.getChat(first.lid)).id, first.id);
  const contacts = await session.listContacts();
  assert.equal(contacts.length, 4);
  const contact = await session.getContact(first.lid);
  assert.match(contact.pushName, /^Contact /);
  await assert.rejects(session.getContact('19999999999'), (err) => {
    assert.ok(err instanceof OpenWAError);
    assert.equal(err.code, 'not_found');
    return true;
  });
  await manager.close();
});
