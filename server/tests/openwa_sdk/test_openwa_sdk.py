"""OpenWA's own Python SDK (rmyndharis-openwa, unmodified, from PyPI) against openwa-server.

Run by server/tests/openwa-sdk.sh, which starts `openwa-server --sandbox` and passes its URL, the
master key and the simulator's admin URL and phone numbers in the environment. The test uses the
SDK's calls as an application written for OpenWA would; the simulator's admin API stands in for
the phones (scanning the QR code, sending, showing what arrived).
"""

import http.server
import json
import os
import queue
import threading
import time

import httpx
import pytest
from openwa import (
    OpenWAAuthError,
    OpenWAClient,
    OpenWANotFoundError,
    verify_webhook_signature,
)

BASE = os.environ["OPENWA_BASE"]
KEY = os.environ["OPENWA_KEY"]
SIM = os.environ["OPENWA_SIM_ADMIN"]
ACCOUNT = os.environ["OPENWA_ACCOUNT"]
PEER = os.environ["OPENWA_PEER"]
PEER_CHAT = f"{PEER}@c.us"
SECRET = "a-webhook-secret-of-32-characters"


def wait_for(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: every delivery goes into `deliveries` with its headers and raw body."""

    deliveries: "queue.Queue[tuple[dict, bytes]]" = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Receiver.deliveries.put(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def client():
    with OpenWAClient(base_url=BASE, api_key=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture(scope="module")
def session(client):
    """A session created, started and linked to the simulated phone ACCOUNT by its QR code."""
    created = client.sessions.create({"name": "sdk-bot"})
    sid = created["id"]
    assert created["name"] == "sdk-bot"
    assert created["status"] == "created"
    client.sessions.start(sid)
    qr = wait_for("a QR code", lambda: _qr(client, sid))
    assert qr["qrCode"].startswith("data:image/png;base64,")
    # The SDK's raw escape hatch reads the string the phone scans.
    raw = client.request("GET", f"/api/sessions/{sid}/qr", query={"format": "raw"})
    httpx.post(f"{SIM}/admin/accounts/{ACCOUNT}/link", json={"qr": raw["value"]}).raise_for_status()
    wait_for("ready", lambda: client.sessions.get(sid)["status"] == "ready")
    yield sid


def _qr(client, sid):
    try:
        return client.sessions.get_qr_code(sid)
    except Exception:
        return None


def test_health_and_the_key(client):
    assert client.health.check()["status"] == "ok"
    assert client.health.ready()["status"] == "ok"
    assert client.auth()["valid"] is True
    with OpenWAClient(base_url=BASE, api_key="not-a-key") as wrong:
        with pytest.raises(OpenWAAuthError):
            wrong.sessions.list()


def test_sessions(client, session):
    listed = client.sessions.list()
    assert [s["id"] for s in listed] == [session]
    got = client.sessions.get(session)
    assert got["phone"] == ACCOUNT
    assert got["status"] == "ready"
    stats = client.sessions.stats()
    assert stats["total"] == 1 and stats["ready"] == 1 and stats["byStatus"] == {"ready": 1}
    with pytest.raises(OpenWANotFoundError):
        client.sessions.get("no-such-session")


def test_send_text_idempotent_and_received_by_the_phone(client, session):
    body = {"chatId": PEER_CHAT, "text": "hello from the OpenWA SDK"}
    first = client.messages.send_text(session, body, idempotency_key="sdk-send-1")
    again = client.messages.send_text(session, body, idempotency_key="sdk-send-1")
    assert again["messageId"] == first["messageId"]
    assert isinstance(first["timestamp"], int)

    def arrived():
        timeline = httpx.get(f"{SIM}/admin/accounts/{PEER}/messages").json()
        return [m for m in timeline if m.get("text") == body["text"]]

    assert len(wait_for("the text on the phone", arrived)) == 1


def test_received_text_in_history_and_a_signed_webhook(client, session, receiver):
    hook = client.webhooks.create(
        session, {"url": receiver, "events": ["message.received"], "secret": SECRET}
    )
    assert "secret" not in hook
    assert [h["id"] for h in client.webhooks.list(session)] == [hook["id"]]

    httpx.post(
        f"{SIM}/admin/accounts/{PEER}/messages", json={"to": ACCOUNT, "text": "hi, SDK"}
    ).raise_for_status()

    headers, raw = Receiver.deliveries.get(timeout=30)
    assert verify_webhook_signature(raw, headers.get("x-openwa-signature"), SECRET)
    event = json.loads(raw)
    assert event["event"] == "message.received"
    assert event["data"]["body"] == "hi, SDK"

    # Newest first; both texts may carry the same second, so neither order is assumed.
    history = client.messages.history(session, PEER_CHAT)
    assert any(m["body"] == "hi, SDK" and m["fromMe"] is False for m in history)
    assert any(m["body"] == "hello from the OpenWA SDK" and m["fromMe"] for m in history)
    stamps = [m["timestamp"] for m in history]
    assert stamps == sorted(stamps, reverse=True)
    page = client.messages.list(session, {"chatId": PEER_CHAT})
    assert [m["id"] for m in page["messages"]] == [m["id"] for m in history]

    client.webhooks.delete(session, hook["id"])
    assert client.webhooks.list(session) == []


def test_number_check_and_groups(client, session):
    found = client.contacts.check(session, PEER)
    assert found["exists"] is True
    assert found["whatsappId"] == PEER_CHAT
    assert client.groups.list(session) == []


def test_stop_start_without_qr_then_logout_and_delete(client, session):
    client.sessions.stop(session)
    assert client.sessions.get(session)["status"] == "disconnected"
    client.sessions.start(session)
    wait_for("ready again", lambda: client.sessions.get(session)["status"] == "ready")
    client.sessions.force_kill(session)
    assert client.sessions.get(session)["status"] != "ready"
    client.sessions.start(session)
    wait_for("ready after force-kill", lambda: client.sessions.get(session)["status"] == "ready")
    client.sessions.logout(session)
    client.sessions.delete(session)
    assert client.sessions.list() == []
