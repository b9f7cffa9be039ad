"""The engine through Python against `openwa-sim` in its own process."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

import openwa
from conftest import link_by_qr, next_event, phone_messages


def test_link_receive_send_idempotent_history_and_replay(sim):
    async def main():
        me, bob = sim.account("Alice"), sim.account("Bob")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("main")
        assert session.id == "main" and session.state == "disconnected"
        assert not session.is_paired
        start = manager.last_seq

        jid = await link_by_qr(sim, session, me)
        assert session.is_paired and session.state == "connected"
        info = session.info()
        assert isinstance(info, openwa.SessionInfo) and info.jid == jid
        assert [s.id for s in await manager.list()] == ["main"]
        assert (await manager.get("main")).id == "main"

        # A text from Bob's simulated phone arrives as a typed event.
        events = session.events()
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{bob}/messages", {"to": me, "text": "hello"}
        )
        received = await next_event(events, "message_received")
        message = received.message
        assert isinstance(message, openwa.Message)
        assert message.text == "hello" and not message.from_me
        assert message.chat == f"{bob}@s.whatsapp.net"
        assert "hello" in repr(received)

        # A text to Bob lands on his phone; the same idempotency key gives the same message.
        sent = await session.send_text(bob, "hi back", idempotency_key="k1")
        assert sent.from_me and sent.text == "hi back"
        again = await session.send_text(bob, "hi back", idempotency_key="k1")
        assert again.id == sent.id
        timeline = await phone_messages(sim, bob, lambda m: m.get("id") == sent.id)
        assert [m["text"] for m in timeline if m.get("id") == sent.id] == ["hi back"]

        # Several tasks at once.
        burst = await asyncio.gather(*(session.send_text(bob, f"n{i}") for i in range(5)))
        assert len({m.id for m in burst}) == 5

        # History and marking read.
        page = await session.messages(bob)
        assert isinstance(page, openwa.MessagePage)
        assert {m.id for m in page.messages} >= {sent.id, message.id}
        assert (await session.message(bob, sent.id)).text == "hi back"
        assert await session.message_count(bob) == len(page.messages)
        await session.mark_read(bob, [message.id])

        # Replay: events_since and events_from give the same events, in seq order.
        logged = await manager.events_since(start)
        seqs = [e.seq for e in logged]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert {"qr", "paired", "connection_state", "message_received"} <= {e.type for e in logged}
        replay = manager.events_from(start)
        replayed = [await replay.next() for _ in logged]
        assert [e.seq for e in replayed] == seqs
        assert replayed == logged
        own = await session.events_since(start, 5)
        assert own == logged[:5]

        await manager.close()

    asyncio.run(main())


def test_queued_sends_pacing_and_reconnect_policy(sim):
    async def main():
        me, bob = sim.account("Alice"), sim.account("Bob")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("queue")
        await link_by_qr(sim, session, me)
        events = session.events()

        # Queued while disconnected: `pending` at once, on Bob's phone once connected.
        await session.disconnect()
        queued = await session.send_text(bob, "queued hi", queued=True)
        assert queued.status == "pending"
        with pytest.raises(openwa.NotConnected):
            await session.send_text(bob, "direct")
        await session.connect()
        sent = await next_event(events, "message_sent")
        assert sent.message.id == queued.id
        timeline = await phone_messages(sim, bob, lambda m: m.get("id") == queued.id)
        assert [m["text"] for m in timeline if m.get("id") == queued.id] == ["queued hi"]

        # Pacing: a dict or keywords; bad values and wrong types are typed errors.
        assert session.send_pacing() == {"min_interval_ms": 0, "jitter_ms": 0, "max_per_hour": 0}
        await session.set_send_pacing(max_per_hour=1)
        assert session.send_pacing()["max_per_hour"] == 1
        await session.send_text(bob, "one this hour")
        with pytest.raises(openwa.RateLimited) as limited:
            await session.send_text(bob, "too many")
        assert int(limited.value.details) > 3000
        with pytest.raises(openwa.InvalidArgument):
            await session.set_send_pacing(min_interval_ms="soon")
        with pytest.raises(openwa.InvalidArgument):
            await session.set_send_pacing({"min_interval_ms": 10**9})
        await session.set_send_pacing({})

        # Reconnect policy.
        assert session.reconnect_policy() == {"base_delay_ms": 1000, "max_attempts": None}
        await session.set_reconnect_policy(base_delay_ms=2000, max_attempts=3)
        assert session.reconnect_policy() == {"base_delay_ms": 2000, "max_attempts": 3}
        with pytest.raises(openwa.InvalidArgument):
            await session.set_reconnect_policy(base_delay_ms=1)
        await manager.close()

    asyncio.run(main())


def test_consumer_resumes_after_ack_across_a_restart(sim, tmp_path):
    async def main():
        me, bob = sim.account("Carol"), sim.account("Dan")
        config = {"store": openwa.sqlite_store(tmp_path / "bot.db"),
                  "default_session_options": sim.options()}
        manager = await openwa.SessionManager.open(config)
        # A second manager on the same database is refused while the first is open.
        with pytest.raises(openwa.Store) as busy:
            await openwa.SessionManager.open(config)
        assert busy.value.code == "store" and "in use" in busy.value.message
        session = await manager.create_session("bot")
        await link_by_qr(sim, session, me)
        consumer = await manager.consumer("echo", "bot")
        for text in ("one", "two"):
            await asyncio.to_thread(
                sim.admin, "POST", f"/admin/accounts/{bob}/messages", {"to": me, "text": text}
            )
        first = await next_event(consumer, "message_received")
        assert first.message.text == "one"
        await consumer.ack(first.seq)
        await manager.close()

        # Same database: the session logs in again without a QR, and the consumer starts
        # right after the acknowledged event.
        manager = await openwa.SessionManager.open(config)
        session = await manager.get("bot")
        assert session.is_paired
        await session.wait_for_state("connected", 60_000)
        consumer = await manager.consumer("echo", "bot")
        resumed = await next_event(consumer, "message_received")
        assert resumed.seq > first.seq and resumed.message.text == "two"
        await manager.close()

    asyncio.run(main())


def test_async_with_closes_the_manager():
    async def main():
        async with await openwa.SessionManager.open() as manager:
            assert isinstance(manager, openwa.SessionManager)
            session = await manager.create_session("a")
            assert await session.disconnect() is None
            assert manager.events().try_next() is None
        with pytest.raises(openwa.Cancelled):  # closed
            await manager.create_session("b")

    asyncio.run(main())


def test_pairing_code_logout_and_delete(sim):
    async def main():
        phone = sim.account("Erin")
        async with await openwa.SessionManager.open(default_session_options=sim.options()) as manager:
            session = await manager.create_session("coded")
            events = session.events()
            await session.connect()
            await session.wait_for_state("waiting_for_qr", 60_000)
            code = await session.pair_with_code(phone)
            assert len(code) == 9 and code[4] == "-"
            assert (await next_event(events, "pairing_code"))["code"] == code
            await asyncio.to_thread(
                sim.admin, "POST", f"/admin/accounts/{phone}/link-code", {"code": code}
            )
            await session.wait_for_state("connected", 60_000)
            logged = await session.events_since(0)
            assert [e["jid"] for e in logged if e.type == "paired"] == [session.info().jid]
            await session.logout()
            assert session.state == "logged_out" and not session.is_paired
            await manager.delete("coded")
            with pytest.raises(openwa.NotFound):
                await manager.get("coded")
            assert await manager.list() == []

    asyncio.run(main())


def test_media_both_ways(sim, tmp_path):
    async def main():
        me, bob = sim.account("Alice"), sim.account("Bob")
        manager = await openwa.SessionManager.open(default_session_options=sim.options())
        session = await manager.create_session("media")
        await link_by_qr(sim, session, me)
        events = session.events()

        # An image from Bob's phone: typed content, downloaded to bytes and to a file.
        picture = os.urandom(5000)
        body = {"to": me, "image": {"data": base64.b64encode(picture).decode(), "caption": "pic"}}
        await asyncio.to_thread(sim.admin, "POST", f"/admin/accounts/{bob}/messages", body)
        message = (await next_event(events, "message_received")).message
        assert message.message_type == "image" and message.text == "pic"
        assert message.content["kind"] == "image"
        assert await session.download_media(bob, message.id) == picture
        target = tmp_path / "pic.jpg"
        assert await session.download_media_to_file(bob, message.id, target) == len(picture)
        assert target.read_bytes() == picture

        # A voice note and a document from a path reach Bob's phone byte for byte.
        note = os.urandom(2000)
        sent = await session.send_media(bob, "voice", note, seconds=1, waveform=bytes([0, 50]))
        assert sent.content["kind"] == "audio" and sent.content["ptt"] is True
        await phone_messages(sim, bob, lambda m: m.get("id") == sent.id)
        once = await session.send_media(bob, "image", os.urandom(500), view_once=True)
        assert once.content["view_once"] is True
        with pytest.raises(openwa.InvalidArgument):
            await session.send_media(bob, "document", b"x", view_once=True)
        assert sim.raw(f"/admin/accounts/{bob}/messages/{sent.id}/media") == note
        doc = tmp_path / "doc.bin"
        doc.write_bytes(os.urandom(30000))
        sent = await session.send_media(
            bob, "document", path=doc, file_name="doc.bin", mimetype="application/zip"
        )
        await phone_messages(sim, bob, lambda m: m.get("id") == sent.id)
        assert sim.raw(f"/admin/accounts/{bob}/messages/{sent.id}/media") == doc.read_bytes()

        # Bad input is InvalidArgument; a missing message NotFound.
        with pytest.raises(openwa.InvalidArgument):
            await session.send_media(bob, "image", b"")
        with pytest.raises(openwa.InvalidArgument):
            await session.send_media(bob, "sticker", b"x", mimetype="image/png")
        with pytest.raises(openwa.InvalidArgument):
            await session.send_media(bob, "hologram", b"x")
        with pytest.raises(openwa.NotFound):
            await session.download_media(bob, "NOPE")
        await manager.close()

    asyncio.run(main())
