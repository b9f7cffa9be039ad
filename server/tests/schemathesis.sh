#!/usr/bin/env bash
# schemathesis (from PyPI) over the server's own OpenAPI document: every operation, with valid
# and invalid data, the coverage, fuzzing and stateful phases; no answer may be a 5xx but the
# documented 501 `unsupported` problem (schemathesis_hooks.py: `no_server_error`). It runs
# against a debug `openwa-server --sandbox` whose session `fuzz` is linked to a simulated
# account, so requests that name it reach the engine and the simulator.
#
# Needs: python3 with venv, curl, the built server (OPENWA_SERVER, default
# $CARGO_TARGET_DIR/debug/openwa-server). The venv is kept in the target dir between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
. server/tests/sandbox-server.sh
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

api() { curl -sf -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@"; }
api -X POST "$base/api/sessions" -d '{"name":"fuzz"}' >/dev/null
api -X POST "$base/api/sessions/fuzz/start" >/dev/null
qr=""
for _ in $(seq 1 100); do
  qr=$(api "$base/api/sessions/fuzz/qr?format=raw" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])' 2>/dev/null || true)
  [ -n "$qr" ] && break
  sleep 0.2
done
[ -n "$qr" ] || { echo "no QR for the fuzz session" >&2; cat "$work/server.log" >&2; exit 1; }
curl -sf -X POST "$admin/admin/accounts/$account/link" -H 'Content-Type: application/json' \
  -d "{\"qr\":\"$qr\"}" >/dev/null
for _ in $(seq 1 100); do
  api "$base/api/sessions/fuzz" | grep -q '"status":"ready"' && break
  sleep 0.2
done

cat >"$work/schemathesis.toml" <<EOF
[parameters]
"path.id" = "fuzz"
EOF

hooks="$PWD/server/tests/schemathesis_hooks.py"
cd "$work"
# One worker: with two, schemathesis 4.32 sometimes fails importing its own modules from two
# threads at once ("Runtime Error", not a finding).
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$(dirname "$hooks")" \
  "$venv/bin/st" run "$base/api/openapi.json" \
  --header "X-API-Key: $key" \
  --checks no_server_error \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" \
  --workers 1 \
  --no-color
