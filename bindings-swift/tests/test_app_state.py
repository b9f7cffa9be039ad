"""App-state sync through the UniFFI-generated Python (the Swift package's library): labels and
starred messages as records, `ChatSetting` as an enum inside `CHAT_UPDATED`, and our changes
reaching the chat and the phone."""

from __future__ import annotations

import asyncio

import openwa_uniffi as ow
from conftest import link_by_qr, next_event, sim_config

K = ow.EventKind


def test_app_state_calls_and_events(sim):
    async def main():
        a, b = sim.account("Alice"), sim.account("Bob")
        sim.admin("POST", f"/admin/accounts/{a}/app-state",
                  {"action": "label", "id": "1", "name": "Clients", "color": 2})
        manager = await ow.SessionManager.open(sim_config(sim))
        alice = await manager.create_session("alice")
        await link_by_qr(sim, alice, a)
        events = alice.events()
        while not await alice.list_labels():
            await asyncio.sleep(0.05)
        assert await alice.list_labels() == [
            ow.Label(id="1", name="Clients", color=2, deleted=False)]

        await alice.archive_chat(b, True)
        updated = await next_event(
            events, K.CHAT_UPDATED,
            lambda k: isinstance(k.setting, ow.ChatSetting.ARCHIVED) and k.setting.archived)
        assert updated.kind.chat == f"{b}@s.whatsapp.net"
        await alice.mute_chat(b, 2**64 - 1)
        await alice.star_message(b, "M1", True)
        await alice.set_contact_name(b, "Bob Builder", None)
        label = await alice.create_label("VIP", 3)
        await alice.label_chat(label.id, b)
        chat = await alice.get_chat(b)
        assert chat.archived and chat.muted_until == 2**64 - 1 and chat.labels == [label.id]
        stars = await alice.list_starred(10, 0)
        assert [s.message_id for s in stars] == ["M1"]
        assert (await alice.get_contact(b)).name == "Bob Builder"
        await alice.mute_chat(b, None)
        await alice.delete_label(label.id)
        view = sim.admin("GET", f"/admin/accounts/{a}/app-state")
        assert view["regular_low"]["entries"][0]["value"]["archived"] is True
        await manager.close()

    asyncio.run(main())
