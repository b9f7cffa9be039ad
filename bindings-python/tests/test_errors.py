"""Bad input gives typed exceptions, never a crash or a hang."""

from __future__ import annotations

import ast
import asyncio
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import openwa
from openwa import _native


def test_one_exception_class_per_code():
    assert len(openwa.ERROR_CODES) == len(_native.ERROR_CODES) >= 17
    for code in openwa.ERROR_CODES:
        name = "".join(part.capitalize() for part in code.split("_"))
        cls = getattr(openwa, name)
        assert issubclass(cls, openwa.OpenWAError) and cls.code == code
    assert issubclass(openwa.InvalidArgument, ValueError)
    assert issubclass(openwa.Timeout, TimeoutError)


def test_wrong_types_and_bad_ids():
    async def main():
        with pytest.raises(TypeError):
            await openwa.SessionManager.open("not a dict")
        with pytest.raises(TypeError):
            await openwa.SessionManager.open(event_buffer=object())
        with pytest.raises(openwa.InvalidArgument):
            await openwa.SessionManager.open(event_buffer=0)
        with pytest.raises(openwa.InvalidArgument):
            await openwa.SessionManager.open(event_buffer="many")
        manager = await openwa.SessionManager.open()
        with pytest.raises(TypeError):
            await manager.create_session(123)
        with pytest.raises(openwa.InvalidArgument) as bad:
            await manager.create_session("no spaces allowed")
        err = bad.value
        assert err.code == "invalid_argument" and err.retryable is False
        assert err.details == "no spaces allowed" and "session id" in err.message
        with pytest.raises(openwa.InvalidArgument):
            await manager.create_session("x", {"trust_root": "abcd"})
        with pytest.raises(openwa.NotFound):
            await manager.get("nobody")
        session = await manager.create_session("s")
        with pytest.raises(openwa.AlreadyExists):
            await manager.create_session("s")
        with pytest.raises(TypeError):
            await session.send_text(15551234567, "hi")
        with pytest.raises(TypeError):
            await session.send_text("15551234567", None)
        with pytest.raises(openwa.InvalidArgument):
            await session.send_text("not a chat!", "hi")
        with pytest.raises(openwa.OpenWAError) as not_connected:
            await session.send_text("15551234567", "hi")
        assert not_connected.value.code in ("not_connected", "not_paired")
        with pytest.raises(openwa.InvalidArgument):
            await session.wait_for_state("sleeping")
        with pytest.raises(openwa.Timeout):
            await session.wait_for_state("connected", 50)
        with pytest.raises(TypeError):
            manager.events_from("0")
        with pytest.raises(OverflowError):  # Python's own error for a negative unsigned
            manager.events_from(-1)
        with pytest.raises(openwa.InvalidArgument):
            await manager.events().ack(1)
        with pytest.raises(openwa.InvalidArgument):
            openwa.normalize_chat_id("@@")
        assert openwa.normalize_chat_id("15551234567") == "15551234567@s.whatsapp.net"
        stream = session.events()
        assert await manager.close() is None
        assert await manager.close() is None  # closing again does nothing
        # A closed manager refuses every call with `Cancelled` (not retryable), never a hang,
        # and its streams end.
        for call in (
            manager.create_session("late"),
            manager.consumer("late"),
            manager.list(),
            session.connect(),
            session.send_text("15551234567", "late"),
        ):
            with pytest.raises(openwa.Cancelled) as refused:
                await asyncio.wait_for(call, 10)
            assert refused.value.retryable is False
        assert await asyncio.wait_for(stream.next(), 10) is None

    asyncio.run(main())


def test_interpreter_exit_with_an_open_manager_does_not_hang(sim):
    script = textwrap.dedent(
        f"""
        import asyncio, openwa
        async def main():
            manager = await openwa.SessionManager.open(
                default_session_options={{"server_url": {sim.ws_url!r}, "trust_root": {sim.root!r}}})
            session = await manager.create_session("left-open")
            stream = session.events()
            await session.connect()
            await stream.next()
            asyncio.ensure_future(manager.events().next())  # still waiting at exit
            print("ready", flush=True)
        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ready"


@pytest.mark.parametrize("delay_ms", [0, 1, 2, 5])
def test_results_arriving_during_interpreter_exit_do_not_crash(delay_ms):
    """Engine calls that finish while the interpreter shuts down (no asyncio.run to cancel
    them, no close): the process exits cleanly, several times in a row."""
    script = textwrap.dedent(
        f"""
        import asyncio, openwa
        loop = asyncio.new_event_loop()
        async def setup():
            manager = await openwa.SessionManager.open()
            session = await manager.create_session("x")
            pending = [asyncio.ensure_future(session.wait_for_state("connected", {delay_ms})),
                       asyncio.ensure_future(manager.events().next())]
            return manager, session, pending
        kept = loop.run_until_complete(setup())
        print("exiting", flush=True)
        """
    )
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, (done.returncode, done.stderr)
        assert done.stdout.strip() == "exiting"


def test_ctrl_c_while_waiting_for_events_exits():
    script = textwrap.dedent(
        """
        import asyncio, openwa
        async def main():
            manager = await openwa.SessionManager.open()
            await manager.create_session("x")
            print("ready", flush=True)
            async for _ in manager.events():
                pass
        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode in (-signal.SIGINT, 1, 130), (child.returncode, err)
    assert "KeyboardInterrupt" in err


def test_stubs_match_the_module():
    """A small stubtest: every public name and method of the module is in the stubs."""
    root = Path(openwa.__file__).parent
    stub = ast.parse((root / "__init__.pyi").read_text())
    names = {n.name for n in stub.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    names |= {a.asname or a.name for n in stub.body if isinstance(n, ast.ImportFrom) for a in n.names}
    names |= {n.target.id for n in stub.body if isinstance(n, ast.AnnAssign)}
    assert set(openwa.__all__) <= names, set(openwa.__all__) - names
    native = ast.parse((root / "_native.pyi").read_text())
    classes = {n.name: n for n in native.body if isinstance(n, ast.ClassDef)}
    for name in ("SessionManager", "Session", "EventStream"):
        stubbed = {f.name for f in classes[name].body if isinstance(f, ast.FunctionDef)}
        actual = {m for m in dir(getattr(_native, name)) if not m.startswith("_") or m in
                  ("__aiter__", "__anext__", "__aenter__", "__aexit__")}
        assert actual == stubbed, (name, actual ^ stubbed)
