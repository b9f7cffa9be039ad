#!/usr/bin/env bash
# The REST gateway end to end with curl and jq, against `openwa-server --sandbox`:
#   cargo run --release -p openwa-server -- --sandbox      # in another terminal, same directory
#   examples/curl/sandbox.sh
# Creates a session, links it to the simulated account 15550000001 by QR through the
# simulator's admin API, sends a text to 15550000002, lets that phone answer, and lists the chat.
# API (default http://127.0.0.1:2785), ADMIN (the simulator, default http://127.0.0.1:2787) and
# KEY (default: data/.api-key) can be set in the environment.
set -euo pipefail

API="${API:-http://127.0.0.1:2785}"
ADMIN="${ADMIN:-http://127.0.0.1:2787}"
KEY="${KEY:-$(cat data/.api-key)}"
NAME="${NAME:-demo-$RANDOM}"
ALICE=15550000001
BOB=15550000002

api() { curl -sS -H "X-API-Key: $KEY" -H 'Content-Type: application/json' "$@"; }
wait_for() { # wait_for <description> <command…>: retries the command for up to 60 s
  local what=$1; shift
  for _ in $(seq 120); do "$@" && return 0; sleep 0.5; done
  echo "timed out waiting for $what" >&2; exit 1
}

echo "== create and start session $NAME"
ID=$(api -X POST "$API/api/sessions" -d "{\"name\":\"$NAME\"}" | jq -r .id)
api -X POST "$API/api/sessions/$ID/start" | jq -c '{id, status}'

echo "== link it to $ALICE by QR"
qr() { QR=$(api "$API/api/sessions/$ID/qr?format=raw" | jq -r '.value // empty'); [ -n "$QR" ]; }
wait_for "a QR code" qr
curl -sS -X POST "$ADMIN/admin/accounts/$ALICE/link" -H 'Content-Type: application/json' \
  -d "$(jq -n --arg qr "$QR" '{qr: $qr}')" | jq -c .
ready() { [ "$(api "$API/api/sessions/$ID" | jq -r .status)" = ready ]; }
wait_for "the session to be ready" ready
api "$API/api/sessions/$ID" | jq -c '{status, phone, lid, connectedAt}'

echo "== send to $BOB (twice with one Idempotency-Key: one message)"
for _ in 1 2; do
  api -X POST "$API/api/sessions/$ID/messages/send-text" -H 'Idempotency-Key: hello-1' \
    -d "{\"chatId\":\"$BOB@c.us\",\"text\":\"hello from curl\"}" -D - -o /tmp/openwa-sent.json \
    | grep -i '^idempotent-replayed' || true
  jq -c . /tmp/openwa-sent.json
done

echo "== $BOB answers; the chat's history"
curl -sS -X POST "$ADMIN/admin/accounts/$BOB/messages" -H 'Content-Type: application/json' \
  -d "{\"to\":\"$ALICE\",\"text\":\"hi back\"}" | jq -c '{id}'
answered() { api "$API/api/sessions/$ID/messages?chatId=$BOB&limit=10" | jq -e '.messages[] | select(.body == "hi back")' >/dev/null; }
wait_for "the answer" answered
api "$API/api/sessions/$ID/messages?chatId=$BOB&limit=10" \
  | jq -c '.messages[] | {id, fromMe, body, status}'
