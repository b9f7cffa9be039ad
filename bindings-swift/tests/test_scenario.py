"""The shared scenario of every language, through the Python that UniFFI generates from the
library of the Swift package, against `openwa-sim` in its own process: what passes here is
what the generated Swift drives (the same scaffolding, the same calls)."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

import openwa_uniffi as ow
from conftest import link_by_qr, next_event, phone_messages, sim_config

K = ow.EventKind


def test_shared_scenario(sim, tmp_path):
    async def main():
        me, coded, bob = sim.account("Alice"), sim.account("Erin"), sim.account("Bob")
        config = sim_config(sim, tmp_path / "openwa.db")
        manager = await ow.SessionManager.open(config)
        start = manager.last_seq()

        # Link one session by QR through the admin API, another by pairing code.
        session = await manager.create_session("main")
        assert session.id() == "main" and not session.is_paired()
        assert session.state() == ow.ConnectionState.DISCONNECTED
        jid = await link_by_qr(sim, session, me)
        assert session.is_paired() and session.info().jid == jid

        paired = await manager.create_session("coded")
        paired_events = paired.events()
        await paired.connect()
        await paired.wait_for_state(ow.ConnectionState.WAITING_FOR_QR, 60_000)
        code = await paired.pair_with_code(coded)
        assert len(code) == 9 and code[4] == "-"
        assert (await next_event(paired_events, K.PAIRING_CODE)).kind.code == code
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{coded}/link-code", {"code": code}
        )
        await paired.wait_for_state(ow.ConnectionState.CONNECTED, 60_000)
        assert [s.id for s in await manager.list()] == ["coded", "main"]
        assert all(s.state == ow.ConnectionState.CONNECTED for s in await manager.list())

        # A durable consumer of the main session, and a cursor saved before the traffic.
        consumer = await manager.consumer("echo", "main")
        cursor = manager.last_seq()
        events = session.events()

        # A text and an image from Bob's simulated phone; the image downloads byte for byte.
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{bob}/messages", {"to": me, "text": "hello"}
        )
        text = (await next_event(events, K.MESSAGE_RECEIVED)).kind.message
        assert text.text == "hello" and not text.from_me and text.chat == f"{bob}@s.whatsapp.net"
        assert isinstance(text.content, ow.MessageContent.TEXT)
        picture = os.urandom(5000)
        body = {"to": me, "image": {"data": base64.b64encode(picture).decode(), "caption": "pic"}}
        await asyncio.to_thread(sim.admin, "POST", f"/admin/accounts/{bob}/messages", body)
        image = (await next_event(events, K.MESSAGE_RECEIVED)).kind.message
        assert isinstance(image.content, ow.MessageContent.IMAGE)
        assert image.content.caption == "pic" and image.text == "pic"
        assert image.message_type == ow.MessageType.IMAGE()
        assert await session.download_media(bob, image.id) == picture
        target = tmp_path / "pic.jpg"
        assert await session.download_media_to_file(bob, image.id, str(target)) == len(picture)
        assert target.read_bytes() == picture

        # The consumer saw the text first; acknowledge it.
        first = await next_event(consumer, K.MESSAGE_RECEIVED)
        assert first.kind.message.id == text.id
        await consumer.ack(first.seq)

        # A text and an image to Bob; an idempotency key makes the repeat a no-op.
        sent = await session.send_text(bob, "hi back", ow.SendOptions(idempotency_key="k1"))
        assert sent.from_me and sent.text == "hi back"
        again = await session.send_text(bob, "hi back", ow.SendOptions(idempotency_key="k1"))
        assert again.id == sent.id
        burst = await asyncio.gather(
            *(session.send_text(bob, f"n{i}", ow.SendOptions()) for i in range(5)))
        assert len({m.id for m in burst}) == 5  # several tasks at once
        photo = os.urandom(7000)
        media = ow.OutgoingMedia(kind=ow.MediaKind.IMAGE,
                                 source=ow.MediaSource.BYTES(data=photo), caption="mine")
        sent_image = await session.send_media(bob, media, ow.SendOptions())
        assert isinstance(sent_image.content, ow.MessageContent.IMAGE)
        await phone_messages(sim, bob, lambda m: m.get("id") == sent_image.id)
        media_path = f"/admin/accounts/{bob}/messages/{sent_image.id}/media"
        assert await asyncio.to_thread(sim.raw, media_path) == photo

        # Delivered when Bob's phone gets it, read when Bob reads it.
        def status_of(message_id, status):
            return lambda k: k.message_id == message_id and k.status == status

        await next_event(events, K.MESSAGE_STATUS, status_of(sent.id, ow.MessageStatus.DELIVERED))
        await asyncio.to_thread(
            sim.admin, "POST", f"/admin/accounts/{bob}/messages/{sent.id}/read"
        )
        await next_event(events, K.MESSAGE_STATUS, status_of(sent.id, ow.MessageStatus.READ))
        assert (await session.message(bob, sent.id)).status == ow.MessageStatus.READ
        page = await session.messages(bob)
        assert {sent.id, text.id, image.id} <= {m.id for m in page.messages}

        # Replay from the saved cursor: events_since and events_from agree, in seq order.
        logged = await manager.events_since(cursor)
        seqs = [e.seq for e in logged]
        assert seqs == sorted(seqs) and seqs[0] > cursor
        assert sum(isinstance(e.kind, K.MESSAGE_RECEIVED) for e in logged) == 2
        replay = manager.events_from(cursor)
        assert [await replay.next() for _ in logged] == logged
        assert await session.events_since(cursor, 2) == [e for e in logged
                                                         if e.session_id == "main"][:2]
        assert {ow.event_name(e.kind) for e in await manager.events_since(start)} >= {
            "qr", "pairing_code", "paired", "connection_state", "message_received",
            "message_status"}

        # Restart: a new manager on the same database resumes both sessions without a QR,
        # and the durable consumer starts right after the acknowledged event.
        await manager.close()

        async def drain(stream):  # a closed manager's streams end after what they hold
            while await stream.next() is not None:
                pass

        await asyncio.wait_for(drain(consumer), 10)
        before = manager.last_seq()
        manager = await ow.SessionManager.open(config)
        session = await manager.get("main")
        assert session.is_paired()
        await session.wait_for_state(ow.ConnectionState.CONNECTED, 60_000)
        await (await manager.get("coded")).wait_for_state(ow.ConnectionState.CONNECTED, 60_000)
        after_restart = await manager.events_since(before)
        assert not any(isinstance(e.kind, (K.QR, K.PAIRED)) for e in after_restart)
        consumer = await manager.consumer("echo", "main")
        resumed = await next_event(consumer, K.MESSAGE_RECEIVED)
        assert resumed.seq > first.seq and resumed.kind.message.id == image.id
        assert [e.seq for e in await manager.events_since(cursor)][: len(seqs)] == seqs

        # Log out the coded session: logged out, credentials gone, then deleted.
        paired = await manager.get("coded")
        await paired.logout()
        assert paired.state() == ow.ConnectionState.LOGGED_OUT and not paired.is_paired()
        await manager.delete("coded")
        assert [s.id for s in await manager.list()] == ["main"]
        with pytest.raises(ow.OpenWaError):  # a deleted session: a typed error
            await paired.send_text(bob, "late", ow.SendOptions())
        await manager.close()

    asyncio.run(main())
