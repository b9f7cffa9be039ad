# Sourced by the server's external-client tests (schemathesis.sh, openwa-sdk.sh): starts a debug
# `openwa-server --sandbox` on free loopback ports with a fresh data dir and a master key, waits
# until it prints its simulator (webhooks to loopback allowed, no rate limits), and sets:
#   base (server URL), key (master API key), admin (simulator admin URL), account and peer (the
#   two simulated phone numbers), work (a temporary directory, removed on exit).
# Needs: python3, curl; OPENWA_SERVER or $CARGO_TARGET_DIR/debug/openwa-server.
target="${CARGO_TARGET_DIR:-target}"
server="${OPENWA_SERVER:-$target/debug/openwa-server}"
work=$(mktemp -d "${TMPDIR:-/tmp}/openwa-server-test.XXXXXX")
server_pid=""
stop_sandbox_server() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_sandbox_server EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
key="test-master-key-$RANDOM$RANDOM"
DATA_DIR="$work/data" API_KEY="$key" HOST=127.0.0.1 PORT="$port" OPENWA_SANDBOX_PORT="$(free_port)" \
  RATE_LIMIT_ENABLED=false WEBHOOK_ALLOW_PRIVATE=true RUST_LOG=warn "$server" --sandbox >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  grep -qs '^Simulated accounts' "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
admin=$(sed -n 's/^Sandbox simulator admin API: //p' "$work/server.log")
account=$(sed -n 's/^Simulated accounts: \([0-9]*\) .*/\1/p' "$work/server.log")
peer=$(sed -n 's/^Simulated accounts: [0-9]* ([^)]*), \([0-9]*\) .*/\1/p' "$work/server.log")
[ -n "$admin" ] && [ -n "$account" ] && [ -n "$peer" ] || { cat "$work/server.log"; exit 1; }
