"""Locations, contact cards, polls, replies with mentions, reactions, edits and revokes between two
sessions of one manager, through Python: typed content on arrival, typed errors on bad input."""

from __future__ import annotations

import asyncio

import pytest

import openwa
from conftest import link_by_qr

VCARD = "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;waid=15550001:+15550001\nEND:VCARD"


async def received(stream: openwa.EventStream, message_id: str) -> openwa.Message:
    async def find() -> openwa.Message:
        async for event in stream:
            if event.type == "message_received" and event.message.id == message_id:
                return event.message
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 30)


async def change(stream: openwa.EventStream, kind: str, message_id: str) -> openwa.Event:
    async def find() -> openwa.Event:
        async for event in stream:
            if event.type == kind and event["message_id"] == message_id:
                return event
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 30)


def test_content_kinds_between_two_sessions(sim):
    async def main():
        a, b = sim.account("Alice"), sim.account("Bob")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        alice, bob = await manager.create_session("alice"), await manager.create_session("bob")
        await link_by_qr(sim, alice, a)
        await link_by_qr(sim, bob, b)
        inbox = bob.events()

        sent = await alice.send_location(b, 52.37, 4.89, name="Dam")
        assert sent.message_type == "location"
        got = await received(inbox, sent.id)
        assert got.content["kind"] == "location"
        assert (got.content["latitude"], got.content["name"]) == (52.37, "Dam")

        sent = await alice.send_contacts(b, [("Carol", VCARD), {"display_name": "C2", "vcard": VCARD}])
        got = await received(inbox, sent.id)
        assert [c["display_name"] for c in got.content["contacts"]] == ["Carol", "C2"]

        question = await alice.send_text(b, "lunch?")
        await received(inbox, question.id)
        reply = await alice.send_text(b, f"@{b} noon", quoted=question.id, mentions=[b])
        got = await received(inbox, reply.id)
        assert got.quoted["id"] == question.id and got.quoted["text"] == "lunch?"
        assert got.mentions == [f"{b}@s.whatsapp.net"]

        forward = await bob.forward_message(a, a, reply.id)
        assert forward.forwarded and forward.forwarding_score == 1
        reaction = await alice.react(b, reply.id, "👍")
        got = await received(inbox, reaction.id)
        assert got.content == {"kind": "reaction", "message_id": reply.id, "emoji": "👍"}

        await alice.edit_message(b, question.id, "lunch at 1?")
        edited = await change(inbox, "message_edited", question.id)
        assert edited["text"] == "lunch at 1?"
        await alice.revoke_message(b, question.id)
        await change(inbox, "message_revoked", question.id)
        assert (await bob.message(a, question.id)).message_type == "revoked"

        await bob.set_presence(True)
        await alice.send_chat_state(b, "typing")
        async def typing():
            async for event in inbox:
                if event.type == "chat_state":
                    return event
        state = await asyncio.wait_for(typing(), 30)
        assert state["state"] == "typing" and state["sender"] == f"{a}@s.whatsapp.net"
        with pytest.raises(openwa.InvalidArgument):
            await alice.send_chat_state(b, "dancing")
        with pytest.raises(TypeError):
            await alice.set_presence("yes")

        checked = await alice.check_numbers([f"+{b}", "15559990000"])
        assert [c["exists"] for c in checked] == [True, False]
        assert checked[0]["jid"] == f"{b}@s.whatsapp.net"
        with pytest.raises(openwa.InvalidArgument):
            await alice.check_numbers(["nope"])

        with pytest.raises(openwa.InvalidArgument):
            await alice.send_location(b, 95.0, 0.0)
        with pytest.raises(TypeError):
            await alice.send_location(b, "north", 0.0)
        with pytest.raises(openwa.InvalidArgument):
            await alice.send_contacts(b, [("X", "not a vcard")])
        with pytest.raises(openwa.InvalidArgument):
            await alice.send_contacts(b, [{"name": "missing fields"}])
        with pytest.raises(openwa.NotFound):
            await alice.react(b, "3EB0NOSUCH", "👍")
        with pytest.raises(openwa.NotFound):
            await alice.send_text(b, "re", quoted="3EB0NOSUCH")
        with pytest.raises(TypeError):
            await alice.send_text(b, "hi", mentions="15550001")
        await manager.close()

    asyncio.run(main())


def test_polls_between_two_sessions(sim):
    async def main():
        a, b = sim.account("Alice"), sim.account("Bob")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        alice, bob = await manager.create_session("alice"), await manager.create_session("bob")
        await link_by_qr(sim, alice, a)
        await link_by_qr(sim, bob, b)
        alice_events, inbox = alice.events(), bob.events()

        poll = await alice.send_poll(b, "Drink?", ["Tea", "Coffee"], selectable_count=1)
        assert poll.message_type == "poll"
        got = await received(inbox, poll.id)
        assert got.content == {
            "kind": "poll", "name": "Drink?", "options": ["Tea", "Coffee"], "selectable_count": 1
        }
        vote = await bob.vote_poll(a, poll.id, ["Coffee"])
        assert vote.message_type == "poll_vote"

        async def voted():
            async for event in alice_events:
                if event.type == "poll_vote" and event["poll_id"] == poll.id:
                    return event
        event = await asyncio.wait_for(voted(), 30)
        assert event["selected"] == ["Coffee"]
        results = await alice.poll_results(b, poll.id)
        assert [(o["name"], len(o["voters"])) for o in results["options"]] == [("Tea", 0), ("Coffee", 1)]

        with pytest.raises(openwa.InvalidArgument):
            await bob.vote_poll(a, poll.id, ["Juice"])
        with pytest.raises(openwa.InvalidArgument):
            await alice.send_poll(b, "Q", ["only one"])
        with pytest.raises(TypeError):
            await alice.send_poll(b, "Q", "a,b")
        with pytest.raises(openwa.NotFound):
            await alice.poll_results(b, "3EB0NOSUCH")
        await manager.close()

    asyncio.run(main())
