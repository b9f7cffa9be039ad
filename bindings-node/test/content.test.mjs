// Locations, contact cards, polls, replies with mentions, reactions, edits and revokes between two
// sessions of one manager, through Node: typed content on arrival, typed errors on bad input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { OpenWAError, SessionManager } from 'openwa';
import sim_ from './sim.cjs';

const { Sim, linkByQr, withTimeout } = sim_;
const VCARD = 'BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;waid=15550001:+15550001\nEND:VCARD';

let sim;
before(async () => {
  sim = await Sim.start();
});
after(() => sim?.stop());

// `stream.next()`, not `for await`: leaving a `for await` early closes the stream.
async function next(stream, pred) {
  return withTimeout((async () => {
    for (;;) {
      const event = await stream.next();
      if (event === null) throw new Error('the stream ended');
      if (pred(event)) return event;
    }
  })(), 'a matching event');
}
const received = async (stream, id) =>
  (await next(stream, (e) => e.type === 'message_received' && e.message.id === id)).message;

test('content kinds between two sessions, and bad input', async () => {
  const [a, b] = [await sim.account('Alice'), await sim.account('Bob')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const alice = await manager.createSession('alice');
  const bob = await manager.createSession('bob');
  await linkByQr(sim, alice, a);
  await linkByQr(sim, bob, b);
  const inbox = bob.events();

  const pin = await alice.sendLocation(b, { latitude: 52.37, longitude: 4.89, name: 'Dam' });
  assert.equal(pin.messageType, 'location');
  const got = await received(inbox, pin.id);
  assert.equal(got.content.kind, 'location');
  assert.equal(got.content.latitude, 52.37);
  assert.equal(got.content.name, 'Dam');

  const cards = await alice.sendContacts(b, [{ displayName: 'Carol', vcard: VCARD }]);
  assert.deepEqual((await received(inbox, cards.id)).content, {
    kind: 'contacts',
    contacts: [{ displayName: 'Carol', vcard: VCARD }],
  });

  const question = await alice.sendText(b, 'lunch?');
  await received(inbox, question.id);
  const reply = await alice.sendText(b, `@${b} noon`, { quoted: question.id, mentions: [b] });
  const gotReply = await received(inbox, reply.id);
  assert.equal(gotReply.quoted.id, question.id);
  assert.equal(gotReply.quoted.text, 'lunch?');
  assert.deepEqual(gotReply.mentions, [`${b}@s.whatsapp.net`]);

  const forward = await bob.forwardMessage(a, a, reply.id);
  assert.equal(forward.forwarded, true);
  assert.equal(forward.forwardingScore, 1);

  const reaction = await alice.react(b, reply.id, '👍');
  assert.deepEqual((await received(inbox, reaction.id)).content, {
    kind: 'reaction',
    messageId: reply.id,
    emoji: '👍',
  });

  await alice.editMessage(b, question.id, 'lunch at 1?');
  const edited = await next(inbox, (e) => e.type === 'message_edited' && e.messageId === question.id);
  assert.equal(edited.text, 'lunch at 1?');
  await alice.revokeMessage(b, question.id);
  await next(inbox, (e) => e.type === 'message_revoked' && e.messageId === question.id);
  assert.equal((await bob.message(a, question.id)).messageType, 'revoked');

  await bob.setPresence(true);
  await alice.sendChatState(b, 'recording');
  const state = await next(inbox, (e) => e.type === 'chat_state');
  assert.equal(state.state, 'recording');
  assert.equal(state.sender, `${a}@s.whatsapp.net`);

  const checked = await alice.checkNumbers([`+${b}`, '15559990000']);
  assert.deepEqual(checked.map((c) => c.exists), [true, false]);
  assert.equal(checked[0].jid, `${b}@s.whatsapp.net`);

  const code = (err) => err instanceof OpenWAError && err.code;
  await assert.rejects(alice.checkNumbers(['nope']), (e) => code(e) === 'invalid_argument');
  await assert.rejects(alice.sendChatState(b, 'dancing'), (e) => code(e) === 'invalid_argument');
  await assert.rejects(alice.setPresence('yes'), TypeError);
  await assert.rejects(alice.sendLocation(b, { latitude: 95, longitude: 0 }), (e) => code(e) === 'invalid_argument');
  await assert.rejects(alice.sendLocation(b, { latitude: 'north', longitude: 0 }), (e) => code(e) === 'invalid_argument');
  await assert.rejects(alice.sendLocation(b, 52.37), TypeError);
  await assert.rejects(alice.sendContacts(b, { displayName: 'x' }), TypeError);
  await assert.rejects(alice.sendContacts(b, [{ displayName: 'X', vcard: 'nope' }]), (e) => code(e) === 'invalid_argument');
  await assert.rejects(alice.react(b, '3EB0NOSUCH', '👍'), (e) => code(e) === 'not_found');
  await assert.rejects(alice.sendText(b, 're', { quoted: '3EB0NOSUCH' }), (e) => code(e) === 'not_found');
  await assert.rejects(alice.react(b, 42, '👍'), TypeError);
  await manager.close();
});

test('polls between two sessions', async () => {
  const [a, b] = [await sim.account('Alice'), await sim.account('Bob')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const alice = await manager.createSession('alice');
  const bob = await manager.createSession('bob');
  await linkByQr(sim, alice, a);
  await linkByQr(sim, bob, b);
  const [aliceEvents, inbox] = [alice.events(), bob.events()];

  const poll = await alice.sendPoll(b, 'Drink?', ['Tea', 'Coffee'], 0);
  assert.equal(poll.messageType, 'poll');
  const got = await received(inbox, poll.id);
  assert.deepEqual(got.content, {
    kind: 'poll', name: 'Drink?', options: ['Tea', 'Coffee'], selectableCount: 0,
  });
  const vote = await bob.votePoll(a, poll.id, ['Tea', 'Coffee']);
  assert.equal(vote.messageType, 'poll_vote');
  const event = await next(aliceEvents, (e) => e.type === 'poll_vote' && e.pollId === poll.id);
  assert.deepEqual(event.selected, ['Tea', 'Coffee']);
  const results = await alice.pollResults(b, poll.id);
  assert.deepEqual(results.options.map((o) => o.voters.length), [1, 1]);

  await assert.rejects(bob.votePoll(a, poll.id, ['Juice']), (e) => e.code === 'invalid_argument');
  await assert.rejects(alice.sendPoll(b, 'Q', 'a,b'), (e) => e instanceof TypeError);
  await assert.rejects(alice.pollResults(b, '3EB0NOSUCH'), (e) => e.code === 'not_found');
  await manager.close();
});
