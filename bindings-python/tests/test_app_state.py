"""App-state sync: a phone's label and pin reach a fresh session; the session's own changes
(archive, mute, unread mark, star, contact name, labels, clearing and deleting the chat) reach
the phone and its lists."""

from __future__ import annotations

import asyncio

import openwa

from conftest import WAIT, link_by_qr, next_event


def test_app_state_both_ways(sim):
    async def main() -> None:
        phone = sim.account("Alice")
        bob = sim.account("Bob")
        for change in (
            {"action": "label", "id": "1", "name": "Clients", "color": 2},
            {"action": "pin", "chat": bob, "pinned": True},
        ):
            sim.admin("POST", f"/admin/accounts/{phone}/app-state", change)
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("alice")
        await link_by_qr(sim, session, phone)
        events = session.events()
        while not (await session.list_labels()):
            await asyncio.sleep(0.05)
        labels = await session.list_labels()
        assert labels == [openwa.Label(id="1", name="Clients", color=2)]
        # The collections sync one after another: the pin (and the chat) may come later.
        while True:
            try:
                if (await session.get_chat(bob)).pinned:
                    break
            except openwa.NotFound:
                pass
            await asyncio.sleep(0.05)

        await session.archive_chat(bob)
        await session.mute_chat(bob, 4102444800)
        await session.mark_chat_unread(bob)
        await session.star_message(bob, "M1")
        await session.set_contact_name(bob, "Bob Builder", first_name="Bob")
        label = await session.create_label("VIP", color=3)
        assert isinstance(label, openwa.Label) and label.id == "2"
        await session.label_chat(label.id, bob)
        chat = await session.get_chat(bob)
        assert chat.archived and chat.marked_unread and chat.muted_until == 4102444800
        assert chat.labels == ["2"]
        assert (await session.get_contact(bob)).name == "Bob Builder"
        starred = await session.list_starred()
        assert [s.message_id for s in starred] == ["M1"]
        assert isinstance(starred[0], openwa.StarredMessage)
        # Our own change is reported like one from another device.
        while (await next_event(events, "chat_updated"))["setting"] != {
            "kind": "archived",
            "archived": True,
        }:
            pass
        await session.unlabel_chat(label.id, bob)
        await session.label_message(label.id, bob, "M1")
        await session.edit_label(label.id, "Gold", color=4)
        await session.delete_label(label.id)
        await session.pin_chat(bob, False)
        await session.mute_chat(bob, None)
        assert [l.name for l in await session.list_labels()] == ["Clients"]
        # Clearing keeps the chat (and here its stars); deleting takes it, with an event.
        await session.clear_chat(bob, keep_starred=True)
        assert (await session.get_chat(bob)).archived
        assert [s.message_id for s in await session.list_starred()] == ["M1"]
        await session.delete_chat(bob)
        user = bob.split("@")[0]
        while (await next_event(events, "chat_deleted"))["chat"].split("@")[0] != user:
            pass
        try:
            await session.get_chat(bob)
            raise AssertionError("the deleted chat is still there")
        except openwa.NotFound:
            pass
        view = sim.admin("GET", f"/admin/accounts/{phone}/app-state")
        names = [e["value"]["contact"]["full_name"] for e in view["critical_unblock_low"]["entries"]]
        assert names == ["Bob Builder"]
        # The push name set on the phone becomes ours.
        sim.admin(
            "POST",
            f"/admin/accounts/{phone}/app-state",
            {"action": "push_name", "name": "Alice Cooper"},
        )
        while (await next_event(events, "push_name_changed"))["name"] != "Alice Cooper":
            pass
        assert session.push_name == "Alice Cooper"
        await manager.close()

    asyncio.run(asyncio.wait_for(main(), WAIT * 2))
