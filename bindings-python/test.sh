#!/usr/bin/env bash
# Builds and tests the Python package `openwa-rs` the two ways a user installs it:
# 1. from source: a fresh virtual environment in a temporary directory, maturin and pytest from
#    PyPI, `pip install ./bindings-python` (compiles the extension, release, into
#    $CARGO_TARGET_DIR), then the pytest suite in bindings-python/tests against `openwa-sim`;
# 2. from the wheel: `maturin build --release` makes the abi3 wheel, a second fresh virtual
#    environment installs it with no build step allowed (--no-index --only-binary), and the same
#    suite runs again. The wheel's size is printed;
# 3. examples/python/echo_bot.py, with the wheel's install, through the Rust echo bot's kill -9
#    burst (examples/echo-bot/tests/kill_burst.rs with OPENWA_ECHO_BOT, SQLite and PostgreSQL).
#
# Needs: cargo, python3 (3.9+) with the venv module and pip, access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/openwa-target}"
python="${PYTHON:-python3}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/openwa-py-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
venv="$tmp/source-venv"
"$python" -m venv "$venv"
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"   # maturin's pip hook runs `maturin` from PATH
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet 'maturin==1.16.*' 'pytest>=8,<10'

# The simulator the tests talk to (a separate process).
cargo build --release --locked --quiet -p openwa-simulator --bin openwa-sim
export OPENWA_SIM="$CARGO_TARGET_DIR/release/openwa-sim"

# Build isolation off: the venv's pinned maturin builds it; --locked: Cargo.lock as committed.
MATURIN_PEP517_ARGS="--locked" "${pip[@]}" install --quiet --no-build-isolation ./bindings-python

echo "== installed from source"
"$venv/bin/python" -m pytest -q -p no:cacheprovider bindings-python/tests "$@"

maturin build --release --locked --quiet -m bindings-python/Cargo.toml -o "$tmp/wheels"
wheel=$(ls "$tmp"/wheels/openwa_rs-*-abi3-*.whl)
echo "== installed from the wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"
"$python" -m venv "$tmp/wheel-venv"
"$tmp/wheel-venv/bin/python" -m pip --disable-pip-version-check install --quiet 'pytest>=8,<10'
"$tmp/wheel-venv/bin/python" -m pip --disable-pip-version-check install --quiet \
  --no-index --only-binary :all: "$wheel"
"$tmp/wheel-venv/bin/python" -m pytest -q -p no:cacheprovider bindings-python/tests "$@"

echo "== examples/python/echo_bot.py through the kill -9 burst of examples/echo-bot (SQLite, PostgreSQL)"
OPENWA_ECHO_BOT="$tmp/wheel-venv/bin/python $PWD/examples/python/echo_bot.py" \
  cargo test --locked --quiet -p openwa-echo-bot --test kill_burst
