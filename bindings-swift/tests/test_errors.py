"""Bad input through the UniFFI-generated bindings: the typed error of its code (or Python's
own TypeError for a value of the wrong type), never a crash or a hang of the process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

import openwa_uniffi as ow


def test_one_error_case_per_code():
    cases = [getattr(ow.OpenWaError, name) for name in dir(ow.OpenWaError)]
    cases = [case for case in cases if isinstance(case, type) and issubclass(case, ow.OpenWaError)]
    assert len(cases) == 20  # the engine's ErrorCode list


def test_wrong_types_bad_ids_and_a_closed_manager(tmp_path):
    async def main():
        # A record of the wrong type fails UniFFI's Python-side check (an AttributeError on the
        # missing field); Swift's compiler refuses it before it runs.
        with pytest.raises((TypeError, AttributeError)):
            await ow.SessionManager.open("not a config")
        config = ow.default_manager_config()
        config.event_buffer = 0
        with pytest.raises(ow.OpenWaError.InvalidArgument) as bad:
            await ow.SessionManager.open(config)
        assert bad.value.retryable is False and "event_buffer" in bad.value.message
        config.event_buffer = -1
        with pytest.raises((TypeError, ValueError, OverflowError)):
            await ow.SessionManager.open(config)

        config = ow.default_manager_config()
        config.store = ow.sqlite_store(str(tmp_path / "one.db"))
        manager = await ow.SessionManager.open(config)
        with pytest.raises(ow.OpenWaError.Store) as busy:  # a second manager, same database
            await ow.SessionManager.open(config)
        assert "in use" in busy.value.message

        with pytest.raises(TypeError):
            await manager.create_session(123)
        with pytest.raises(ow.OpenWaError.InvalidArgument) as bad:
            await manager.create_session("no spaces allowed")
        assert bad.value.details == "no spaces allowed"
        options = ow.default_session_options()
        options.trust_root = b"\xab\xcd"
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await manager.create_session("x", options)
        with pytest.raises(ow.OpenWaError.NotFound):
            await manager.get("nobody")
        session = await manager.create_session("s")
        with pytest.raises(ow.OpenWaError.AlreadyExists):
            await manager.create_session("s")
        with pytest.raises(TypeError):
            await session.send_text(15551234567, "hi", ow.SendOptions())
        with pytest.raises(TypeError):
            await session.send_text("15551234567", None, ow.SendOptions())
        with pytest.raises(ValueError):  # UniFFI's check of an enum value
            await session.wait_for_state("connected")
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await session.send_text("not a chat!", "hi", ow.SendOptions())
        with pytest.raises((ow.OpenWaError.NotConnected, ow.OpenWaError.NotPaired)):
            await session.send_text("15551234567", "hi", ow.SendOptions())
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await session.send_text("15551234567", "hi", ow.SendOptions(idempotency_key=""))
        with pytest.raises(ow.OpenWaError.Timeout):
            await session.wait_for_state(ow.ConnectionState.CONNECTED, 50)
        with pytest.raises((TypeError, ValueError, OverflowError)):
            manager.events_from(-1)
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            await manager.events().ack(1)
        with pytest.raises(ow.OpenWaError.InvalidArgument):
            ow.normalize_chat_id("@@")
        assert ow.normalize_chat_id("15551234567") == "15551234567@s.whatsapp.net"
        assert ow.chat_kind_of("123@g.us") == ow.ChatKind.GROUP

        stream = session.events()
        await manager.close()
        await manager.close()  # closing again does nothing
        # A closed manager refuses every call with Cancelled (not retryable); its streams end.
        for call in (manager.create_session("late"), manager.consumer("late"), manager.list(),
                     session.connect(),
                     session.send_text("15551234567", "late", ow.SendOptions())):
            with pytest.raises(ow.OpenWaError.Cancelled) as refused:
                await asyncio.wait_for(call, 10)
            assert refused.value.retryable is False
        assert await asyncio.wait_for(stream.next(), 10) is None

        # The database is free again: a new manager opens it.
        await (await ow.SessionManager.open(config)).close()

    asyncio.run(main())


def test_exit_with_an_open_manager_and_pending_calls_does_not_hang():
    script = textwrap.dedent(
        """
        import asyncio, openwa_uniffi as ow
        async def main():
            manager = await ow.SessionManager.open(ow.default_manager_config())
            session = await manager.create_session("left-open")
            asyncio.ensure_future(manager.events().next())  # still waiting at exit
            asyncio.ensure_future(session.wait_for_state(ow.ConnectionState.CONNECTED, 5))
            print("ready", flush=True)
        asyncio.run(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ready"
