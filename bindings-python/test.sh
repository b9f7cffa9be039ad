#!/usr/bin/env bash
# Builds and tests the Python package `openwa-rs` the way a user installs it: a fresh virtual
# environment in a temporary directory, maturin and pytest from PyPI, `pip install
# ./bindings-python` (compiles the extension from source, release, into $CARGO_TARGET_DIR),
# then the pytest suite in bindings-python/tests against an `openwa-sim` process.
#
# Needs: cargo, python3 (3.9+) with the venv module and pip, access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/openwa-target}"
python="${PYTHON:-python3}"

venv=$(mktemp -d "${TMPDIR:-/tmp}/openwa-py-venv.XXXXXX")
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"   # maturin's pip hook runs `maturin` from PATH
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet 'maturin==1.16.*' 'pytest>=8,<10'

# The simulator the tests talk to (a separate process).
cargo build --release --locked --quiet -p openwa-simulator --bin openwa-sim
export OPENWA_SIM="$CARGO_TARGET_DIR/release/openwa-sim"

# Build isolation off: the venv's pinned maturin builds it; --locked: Cargo.lock as committed.
MATURIN_PEP517_ARGS="--locked" "${pip[@]}" install --quiet --no-build-isolation ./bindings-python

"$venv/bin/python" -m pytest -q -p no:cacheprovider bindings-python/tests "$@"
