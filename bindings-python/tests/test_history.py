"""History sync and chats: a phone with a seeded history links a session, which lists the
phone's chats (newest first, unread counts, last messages, both PN and LID forms) and contacts."""

from __future__ import annotations

import asyncio

import openwa

from conftest import WAIT, link_by_qr, next_event


def test_history_sync_chats_and_contacts(sim):
    async def main() -> None:
        phone = sim.account("Alice")
        sim.admin(
            "POST",
            f"/admin/accounts/{phone}/history",
            {"chats": 4, "messages_per_chat": 30, "unread": 2},
        )
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("alice")
        events = session.events()
        await link_by_qr(sim, session, phone)
        while True:
            event = await next_event(events, "history_sync")
            if event["sync_type"] == "non_blocking_data":
                break
        chats = await session.list_chats()
        assert len(chats) == 4
        assert all(isinstance(c, openwa.Chat) for c in chats)
        first = chats[0]
        assert first.kind == "user" and first.unread_count == 2
        assert first.pn.endswith("@s.whatsapp.net") and first.lid.endswith("@lid")
        assert isinstance(first.last_message, openwa.Message)
        assert first.last_message.text.startswith("message 29 of chat")
        assert [c.id for c in await session.list_chats(limit=2, offset=2)] == [
            c.id for c in chats[2:]
        ]
        assert (await session.get_chat(first.lid)).id == first.id
        page = await session.messages(first.id, limit=100)
        assert len(page.messages) == 30
        contacts = await session.list_contacts()
        assert len(contacts) == 4 and all(isinstance(c, openwa.Contact) for c in contacts)
        contact = await session.get_contact(first.lid)
        assert contact.phone and contact.push_name.startswith("Contact ")
        try:
            await session.get_contact("19999999999")
            raise AssertionError("an unknown contact was found")
        except openwa.NotFound:
            pass
        await manager.close()

    asyncio.run(asyncio.wait_for(main(), WAIT * 2))
