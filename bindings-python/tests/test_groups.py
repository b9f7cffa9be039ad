"""Groups through Python against `openwa-sim`: create with two simulated phones, send (both
phones decrypt), receive a phone's group message, manage the group, typed errors."""

from __future__ import annotations

import asyncio

import pytest

import openwa
from conftest import link_by_qr, next_event, phone_messages


def test_groups_create_send_receive_manage(sim):
    async def main():
        me, bob, carol = sim.account("Alice"), sim.account("Bob"), sim.account("Carol")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("groups")
        await link_by_qr(sim, session, me)
        events = session.events()

        info = await session.create_group("Team", [bob, carol])
        group = info["jid"]
        assert group.endswith("@g.us") and info["addressing_mode"] == "lid"
        assert len(info["participants"]) == 3
        joined = await next_event(events, "group_joined")
        assert joined["group"]["jid"] == group

        sent = await session.send_text(group, "hello team")
        assert sent.chat == group
        for phone in (bob, carol):
            timeline = await phone_messages(sim, phone, lambda m: m.get("id") == sent.id)
            assert [m["text"] for m in timeline if m.get("id") == sent.id] == ["hello team"]

        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{bob}/messages", {"to": group, "text": "hi all"}
        )
        received = await next_event(events, "message_received")
        assert received.message.chat == group and received.message.text == "hi all"

        await session.set_group_subject(group, "Renamed")
        updated = await next_event(events, "group_updated")
        assert updated["change"] == {"kind": "subject", "subject": "Renamed"}
        await session.set_group_setting(group, "announcement", True)
        await session.set_group_setting(group, "ephemeral", 86400)
        await session.set_group_description(group, "about")
        fresh = await session.group_info(group)
        assert fresh["subject"] == "Renamed" and fresh["description"] == "about"
        assert fresh["settings"]["announcement"] and fresh["settings"]["ephemeral_secs"] == 86400

        results = await session.update_group_participants(group, "promote", [bob])
        assert results[0]["ok"]
        code = await session.group_invite_code(group)
        assert code and (await session.revoke_group_invite(group)) != code
        assert any(g["jid"] == group for g in await session.joined_groups())
        assert await session.group_join_requests(group) == []

        with pytest.raises(openwa.InvalidArgument):
            await session.group_info("not a group")
        with pytest.raises(openwa.InvalidArgument):
            await session.set_group_setting(group, "loud", True)
        with pytest.raises(openwa.InvalidArgument):
            await session.update_group_participants(group, "befriend", [bob])
        with pytest.raises(openwa.NotFound):
            await session.group_info("120363099999999999@g.us")

        await session.leave_group(group)
        with pytest.raises(openwa.PermissionDenied):
            await session.send_text(group, "still here?")
        await manager.close()

    asyncio.run(main())
