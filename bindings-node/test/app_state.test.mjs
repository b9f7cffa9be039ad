// App-state sync through Node: a phone's label and pin reach a fresh session; the session's own
// changes (archive, mute, unread mark, star, contact name, labels, clearing and deleting the chat)
// reach its lists and the phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SessionManager } from 'openwa';
import sim_ from './sim.cjs';

const { Sim, nextEvent, linkByQr } = sim_;

let sim;

before(async () => {
  sim = await Sim.start();
});

after(() => sim?.stop());

const until = async (check) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
};

test('app state both ways', async () => {
  const phone = await sim.account('Alice');
  const bob = await sim.account('Bob');
  await sim.admin('POST', `/admin/accounts/${phone}/app-state`, {
    action: 'label', id: '1', name: 'Clients', color: 2,
  });
  await sim.admin('POST', `/admin/accounts/${phone}/app-state`, {
    action: 'pin', chat: bob, pinned: true,
  });
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('alice');
  await linkByQr(sim, session, phone);
  const events = session.events();
  await until(async () => (await session.listLabels()).length === 1);
  assert.deepEqual(await session.listLabels(), [{ id: '1', name: 'Clients', color: 2, deleted: false }]);
  // The collections sync one after another: the pin (and the chat) may come later.
  await until(async () => (await session.getChat(bob).catch(() => null))?.pinned);

  await session.archiveChat(bob);
  await session.muteChat(bob, 4102444800);
  await session.markChatUnread(bob);
  await session.starMessage(bob, 'M1');
  await session.setContactName(bob, 'Bob Builder', 'Bob');
  const label = await session.createLabel('VIP', 3);
  assert.equal(label.id, '2');
  await session.labelChat(label.id, bob);
  const chat = await session.getChat(bob);
  assert.equal(chat.archived, true);
  assert.equal(chat.markedUnread, true);
  assert.equal(chat.mutedUntil, 4102444800);
  assert.deepEqual(chat.labels, ['2']);
  assert.equal((await session.getContact(bob)).name, 'Bob Builder');
  const starred = await session.listStarred();
  assert.deepEqual(starred.map((s) => s.messageId), ['M1']);
  for (;;) {
    const event = await nextEvent(events, 'chat_updated');
    if (event.setting.kind === 'archived' && event.setting.archived) break;
  }
  await session.unlabelChat(label.id, bob);
  await session.labelMessage(label.id, bob, 'M1');
  await session.editLabel(label.id, 'Gold', 4);
  await session.deleteLabel(label.id);
  await session.pinChat(bob, false);
  await session.muteChat(bob, null);
  assert.deepEqual((await session.listLabels()).map((l) => l.name), ['Clients']);
  // Clearing keeps the chat (and here its stars); deleting takes it, with an event.
  await session.clearChat(bob, true);
  assert.equal((await session.getChat(bob)).archived, true);
  assert.deepEqual((await session.listStarred()).map((s) => s.messageId), ['M1']);
  await session.deleteChat(bob);
  for (;;) {
    const event = await nextEvent(events, 'chat_deleted');
    if (event.chat.split('@')[0] === bob.split('@')[0]) break;
  }
  await assert.rejects(session.getChat(bob));
  const view = await sim.admin('GET', `/admin/accounts/${phone}/app-state`);
  assert.deepEqual(
    view.critical_unblock_low.entries.map((e) => e.value.contact.full_name),
    ['Bob Builder'],
  );
  await manager.close();
});
