#!/usr/bin/env python3
"""The echo bot in Python, with the command-line contract of the Rust one (examples/echo-bot).

Links a device (QR or pairing code), prints ``QR: <code>``, ``Pairing code: <code>`` and
``Connected as <jid>``, and answers every incoming text with the same text. Echoes go through a
durable consumer, acknowledged only once the echo was accepted, with the incoming message's id
as idempotency key: a kill -9 at any moment loses no echo and doubles none.

    pip install <checkout>/bindings-python
    python echo_bot.py --server ws://... --trust-root HEX
"""

import argparse
import asyncio
import re
import signal
import sys

import openwa

# Codes for which retrying the same echo cannot help: the message is skipped.
HOPELESS = {"invalid_argument", "not_found", "unsupported"}


def parse_args():
    parser = argparse.ArgumentParser(prog="echo_bot.py")
    parser.add_argument("--server", help="WhatsApp (or openwa-sim) WebSocket URL")
    parser.add_argument("--trust-root", help="hex of the Noise certificate root to trust")
    parser.add_argument("--tls-cert", help="PEM file of an extra TLS root (openwa-sim's)")
    parser.add_argument("--db", default="echo-bot.db", help="SQLite file or postgres:// URL")
    parser.add_argument("--key", help="at-rest key file (default: <db>.key or echo-bot.key)")
    parser.add_argument("--session", default="echo-bot", help="session id")
    parser.add_argument("--pair-code", metavar="PHONE", help="link by pairing code, not QR")
    return parser.parse_args()


def manager_config(args):
    options = {}
    if args.server:
        options["server_url"] = args.server
    if args.trust_root:
        options["trust_root"] = args.trust_root
    if args.tls_cert:
        with open(args.tls_cert, encoding="utf-8") as pem:
            options["tls_extra_roots_pem"] = pem.read()
    if re.match(r"^postgres(ql)?://", args.db):
        store = {
            "backend": {"backend": "postgres", "url": args.db},
            "at_rest_key": {"source": "file", "path": args.key or "echo-bot.key"},
        }
    else:
        store = openwa.sqlite_store(args.db, args.key)
    return {"store": store, "default_session_options": options}


def say(line):
    print(line, flush=True)


async def watch(session, args, stop):
    """Prints the QR codes, the pairing code and each connection; asks for a pairing code."""
    code_requested = False
    async for event in session.events():
        if event.type == "qr" and not args.pair_code:
            say(f"QR: {event['code']}")
        elif event.type == "pairing_code":
            say(f"Pairing code: {event['code']}")
        elif event.type == "paired":
            say(f"Linked as {event['jid']}")
        elif event.type == "connection_state":
            state = event["state"]
            if state == "connected":
                say(f"Connected as {session.info().jid or ''}")
            elif state == "waiting_for_qr" and args.pair_code and not code_requested:
                code_requested = True
                try:
                    await session.pair_with_code(args.pair_code)
                except openwa.OpenWAError as err:
                    print(f"echo_bot: {err}", file=sys.stderr)
            elif not event.data.get("will_reconnect", True):
                print(f"echo_bot: stopped: {state} ({event.data.get('reason')})", file=sys.stderr)
                stop.set()


async def echo(session, message):
    backoff = 0.2
    while True:
        try:
            sent = await session.send_text(message.chat, message.text, idempotency_key=message.id)
            say(f"Echoed to {message.chat}: {sent.id}")
            return
        except openwa.OpenWAError as err:
            if err.code in HOPELESS:
                print(f"echo_bot: {message.id} in {message.chat} cannot be echoed, skipped: {err}",
                      file=sys.stderr)
                return
            if not err.retryable:
                raise
            if err.code == "not_connected":
                try:
                    await session.wait_for_state("connected", int(backoff * 1000))
                except openwa.OpenWAError:
                    pass
            else:
                await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


async def serve(consumer, session):
    async for event in consumer:
        message = event.message if event.type == "message_received" else None
        if message is not None and not message.from_me and message.text:
            say(f"Received from {message.sender}: {message.text}")
            await echo(session, message)
        # A failed ack only means the event is read again after a restart; the key keeps it
        # single.
        try:
            await consumer.ack(event.seq)
        except openwa.OpenWAError as err:
            print(f"echo_bot: ack {event.seq}: {err}", file=sys.stderr)


async def main():
    args = parse_args()
    manager = await openwa.SessionManager.open(manager_config(args))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        # The stored session if it is paired, else a fresh one.
        try:
            session = await manager.get(args.session)
            if not session.is_paired:
                await manager.delete(args.session)
                session = None
        except openwa.NotFound:
            session = None
        if session is None:
            session = await manager.create_session(args.session)
        watcher = asyncio.create_task(watch(session, args, stop))
        # A consumer named after the session: it resumes after the last acknowledged event.
        consumer = await manager.consumer(args.session, args.session)
        await session.connect()
        if session.state == "connected":
            say(f"Connected as {session.info().jid or ''}")
        server = asyncio.create_task(serve(consumer, session))
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({server, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (watcher, server, stopped):
            task.cancel()
        for task in done:
            if task is server and not task.cancelled() and task.exception():
                raise task.exception()
    finally:
        await manager.close()


if __name__ == "__main__":
    asyncio.run(main())
