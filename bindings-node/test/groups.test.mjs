// Groups through Node against `openwa-sim`: create with two simulated phones, send (both
// phones decrypt), receive a phone's group message, manage the group, typed errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SessionManager } from 'openwa';
import sim_ from './sim.cjs';

const { Sim, nextEvent, linkByQr, phoneMessages } = sim_;

let sim;

before(async () => {
  sim = await Sim.start();
});

after(() => sim?.stop());

const code = (expected) => (err) => {
  assert.equal(err.code, expected, err.message);
  return true;
};

test('create a group, send and receive, manage it', async () => {
  const [me, bob, carol] = [await sim.account('Alice'), await sim.account('Bob'), await sim.account('Carol')];
  const manager = await SessionManager.open({ defaultSessionOptions: sim.options() });
  const session = await manager.createSession('groups');
  await linkByQr(sim, session, me);
  const events = session.events();

  const info = await session.createGroup('Team', [bob, carol]);
  const group = info.jid;
  assert.match(group, /@g\.us$/);
  assert.equal(info.addressingMode, 'lid');
  assert.equal(info.participants.length, 3);
  const joined = await nextEvent(events, 'group_joined');
  assert.equal(joined.group.jid, group);

  const sent = await session.sendText(group, 'hello team');
  assert.equal(sent.chat, group);
  for (const phone of [bob, carol]) {
    const timeline = await phoneMessages(sim, phone, (m) => m.id === sent.id);
    assert.deepEqual(timeline.filter((m) => m.id === sent.id).map((m) => m.text), ['hello team']);
  }
  await sim.admin('POST', `/admin/accounts/${bob}/messages`, { to: group, text: 'hi all' });
  const received = await nextEvent(events, 'message_received');
  assert.equal(received.message.chat, group);
  assert.equal(received.message.text, 'hi all');

  await session.setGroupSubject(group, 'Renamed');
  const updated = await nextEvent(events, 'group_updated');
  assert.deepEqual(updated.change, { kind: 'subject', subject: 'Renamed' });
  await session.setGroupSetting(group, 'joinApproval', true);
  await session.setGroupSetting(group, 'memberAddMode', 'all_member_add');
  await session.setGroupDescription(group, 'about');
  const fresh = await session.groupInfo(group);
  assert.equal(fresh.subject, 'Renamed');
  assert.equal(fresh.description, 'about');
  assert.equal(fresh.settings.joinApproval, true);
  assert.equal(fresh.settings.memberAddMode, 'all_member_add');

  const results = await session.updateGroupParticipants(group, 'promote', [bob]);
  assert.equal(results[0].ok, true);
  const inviteCode = await session.groupInviteCode(group);
  assert.notEqual(await session.revokeGroupInvite(group), inviteCode);
  assert.ok((await session.joinedGroups()).some((g) => g.jid === group));
  assert.deepEqual(await session.groupJoinRequests(group), []);

  await assert.rejects(session.groupInfo('not a group'), code('invalid_argument'));
  await assert.rejects(session.setGroupSetting(group, 'loud', true), code('invalid_argument'));
  await assert.rejects(session.groupInfo('120363099999999999@g.us'), code('not_found'));
  await session.leaveGroup(group);
  await assert.rejects(session.sendText(group, 'still here?'), code('permission_denied'));
  await manager.close();
});
