"""The rest of the surface through the UniFFI-generated Python: every content kind between two
sessions of one manager (tuple variants such as `MessageContent.LOCATION`, nested records),
presence and typing, number checks, and groups (the boxed `GroupInfo` of `GROUP_JOINED`, the
tuple variants of `GroupSetting`)."""

from __future__ import annotations

import asyncio

import pytest

import openwa_uniffi as ow
from conftest import link_by_qr, next_event, phone_messages, sim_config

K = ow.EventKind
VCARD = "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;waid=15550001:+15550001\nEND:VCARD"
NONE = ow.SendOptions()


def received(message_id):
    return lambda k: k.message.id == message_id


def test_content_kinds_presence_and_numbers(sim):
    async def main():
        a, b = sim.account("Alice"), sim.account("Bob")
        manager = await ow.SessionManager.open(sim_config(sim))
        alice, bob = await manager.create_session("alice"), await manager.create_session("bob")
        await link_by_qr(sim, alice, a)
        await link_by_qr(sim, bob, b)
        inbox = bob.events()

        sent = await alice.send_location(b, ow.Location(latitude=52.37, longitude=4.89,
                                                        name="Dam"), NONE)
        got = (await next_event(inbox, K.MESSAGE_RECEIVED, received(sent.id))).kind.message
        assert isinstance(got.content, ow.MessageContent.LOCATION)
        assert (got.content[0].latitude, got.content[0].name) == (52.37, "Dam")

        cards = [ow.ContactCard(display_name="Carol", vcard=VCARD)]
        sent = await alice.send_contacts(b, cards, NONE)
        got = (await next_event(inbox, K.MESSAGE_RECEIVED, received(sent.id))).kind.message
        assert [c.display_name for c in got.content.contacts] == ["Carol"]

        # A queued send answers `pending` at once; pacing and the reconnect policy are records.
        queued = await alice.send_text(b, "queued", ow.SendOptions(queued=True))
        assert queued.status == ow.MessageStatus.PENDING
        await next_event(inbox, K.MESSAGE_RECEIVED, received(queued.id))
        await alice.set_send_pacing(ow.SendPacing(min_interval_ms=10))
        assert alice.send_pacing() == ow.SendPacing(min_interval_ms=10, jitter_ms=0, max_per_hour=0)
        await alice.set_send_pacing(ow.SendPacing())
        assert alice.reconnect_policy() == ow.ReconnectPolicy(base_delay_ms=1000, max_attempts=None)
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await alice.set_reconnect_policy(ow.ReconnectPolicy(base_delay_ms=1))

        question = await alice.send_text(b, "lunch?", NONE)
        await next_event(inbox, K.MESSAGE_RECEIVED, received(question.id))
        reply = await alice.send_text(b, f"@{b} noon",
                                      ow.SendOptions(quoted=question.id, mentions=[b]))
        got = (await next_event(inbox, K.MESSAGE_RECEIVED, received(reply.id))).kind.message
        assert got.quoted.id == question.id and got.quoted.text == "lunch?"
        assert got.mentions == [f"{b}@s.whatsapp.net"]

        forward = await bob.forward_message(a, a, reply.id, NONE)
        assert forward.forwarded and forward.forwarding_score == 1
        reaction = await alice.react(b, reply.id, "👍", NONE)
        got = (await next_event(inbox, K.MESSAGE_RECEIVED, received(reaction.id))).kind.message
        assert got.content == ow.MessageContent.REACTION(message_id=reply.id, emoji="👍")

        alice_events = alice.events()
        poll = await alice.send_poll(b, "Drink?", ["Tea", "Coffee"], 1, NONE)
        got = (await next_event(inbox, K.MESSAGE_RECEIVED, received(poll.id))).kind.message
        assert got.content == ow.MessageContent.POLL(name="Drink?", options=["Tea", "Coffee"],
                                                    selectable_count=1)
        await bob.vote_poll(a, poll.id, ["Coffee"], NONE)
        vote = await next_event(alice_events, K.POLL_VOTE, lambda k: k.poll_id == poll.id)
        assert vote.kind.selected == ["Coffee"]
        results = await alice.poll_results(b, poll.id)
        assert [len(o.voters) for o in results.options] == [0, 1]
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await bob.vote_poll(a, poll.id, ["Juice"], NONE)
        chats = await alice.list_chats(10, 0)
        assert f"{b}@s.whatsapp.net" in [c.id for c in chats] + [c.pn for c in chats]
        chat = await alice.get_chat(b)
        assert chat.last_message is not None and chat.unread_count >= 1  # Bob's forward
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await alice.list_chats(0, 0)

        await alice.edit_message(b, question.id, "lunch at 1?", NONE)
        edited = await next_event(inbox, K.MESSAGE_EDITED, lambda k: k.message_id == question.id)
        assert edited.kind.text == "lunch at 1?"
        await alice.revoke_message(b, question.id, NONE)
        await next_event(inbox, K.MESSAGE_REVOKED, lambda k: k.message_id == question.id)
        assert (await bob.message(a, question.id)).message_type == ow.MessageType.REVOKED()

        await bob.set_presence(True)
        await alice.send_chat_state(b, ow.ChatState.TYPING)
        typing = await next_event(inbox, K.CHAT_STATE)
        assert typing.kind.state == ow.ChatState.TYPING
        assert typing.kind.sender == f"{a}@s.whatsapp.net"

        checked = await alice.check_numbers([f"+{b}", "15559990000"])
        assert [c.exists for c in checked] == [True, False]
        assert checked[0].jid == f"{b}@s.whatsapp.net"
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await alice.check_numbers(["nope"])
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await alice.send_location(b, ow.Location(latitude=95.0, longitude=0.0), NONE)
        with pytest.raises(TypeError):
            await alice.send_location(b, ow.Location(latitude="north", longitude=0.0), NONE)
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await alice.send_contacts(b, [ow.ContactCard(display_name="X", vcard="no")], NONE)
        with pytest.raises(ow.OpenWaError.NotFound):
            await alice.react(b, "3EB0NOSUCH", "👍", NONE)
        with pytest.raises(ow.OpenWaError.NotFound):
            await alice.send_text(b, "re", ow.SendOptions(quoted="3EB0NOSUCH"))
        await manager.close()

    asyncio.run(main())


def test_groups_create_send_receive_manage(sim):
    async def main():
        me, bob, carol = sim.account("Alice"), sim.account("Bob"), sim.account("Carol")
        manager = await ow.SessionManager.open(sim_config(sim))
        session = await manager.create_session("groups")
        await link_by_qr(sim, session, me)
        events = session.events()

        info = await session.create_group("Team", [bob, carol])
        group = info.jid
        assert group.endswith("@g.us") and info.addressing_mode == ow.AddressingMode.LID
        assert len(info.participants) == 3
        joined = await next_event(events, K.GROUP_JOINED)
        assert joined.kind.group.jid == group

        sent = await session.send_text(group, "hello team", NONE)
        for phone in (bob, carol):
            timeline = await phone_messages(sim, phone, lambda m: m.get("id") == sent.id)
            assert [m["text"] for m in timeline if m.get("id") == sent.id] == ["hello team"]
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{bob}/messages", {"to": group, "text": "hi all"}
        )
        got = (await next_event(events, K.MESSAGE_RECEIVED)).kind.message
        assert got.chat == group and got.text == "hi all"

        await session.set_group_subject(group, "Renamed")
        updated = await next_event(events, K.GROUP_UPDATED)
        assert updated.kind.change == ow.GroupChange.SUBJECT(subject="Renamed")
        await session.set_group_setting(group, ow.GroupSetting.ANNOUNCEMENT(True))
        await session.set_group_setting(group, ow.GroupSetting.EPHEMERAL(86400))
        await session.set_group_description(group, "about")
        fresh = await session.group_info(group)
        assert fresh.subject == "Renamed" and fresh.description == "about"
        assert fresh.settings.announcement and fresh.settings.ephemeral_secs == 86400

        results = await session.update_group_participants(group, ow.ParticipantAction.PROMOTE,
                                                          [bob])
        assert results[0].ok
        code = await session.group_invite_code(group)
        assert code and (await session.revoke_group_invite(group)) != code
        assert any(g.jid == group for g in await session.joined_groups())
        assert await session.group_join_requests(group) == []
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await session.group_info("not a group")
        with pytest.raises(ow.OpenWaError.NotFound):
            await session.group_info("120363099999999999@g.us")

        await session.leave_group(group)
        with pytest.raises(ow.OpenWaError.PermissionDenied):
            await session.send_text(group, "still here?", NONE)
        await manager.close()

    asyncio.run(main())
