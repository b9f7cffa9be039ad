#!/usr/bin/env bash
# Checks the Swift package without a Swift compiler (none runs on our machines):
# 1. drift: the committed Swift sources, headers and modulemap are what uniffi-bindgen-swift
#    generates from the freshly built library (scripts/generate.sh --check);
# 2. proof: the same library's UniFFI Python bindings (the same scaffolding, the same calls the
#    Swift drives) are generated into a temporary package `openwa_uniffi` and run the shared
#    scenario and the bad-input tests (tests/) against `openwa-sim` in its own process, in a
#    fresh virtual environment holding only pytest (never the PyO3 package `openwa`).
#
# Needs: cargo, python3 (3.9+) with the venv module and pip, access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/openwa-target}"
python="${PYTHON:-python3}"

# One debug build of the library and the generators, then the drift check on it.
bindings-swift/scripts/generate.sh --check

# The simulator the tests talk to (a separate process; the Python package's tests build the same).
cargo build --release --locked --quiet -p openwa-simulator --bin openwa-sim
export OPENWA_SIM="$CARGO_TARGET_DIR/release/openwa-sim"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/openwa-swift-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
package="$tmp/python/openwa_uniffi"
mkdir -p "$package"
case "$(uname -s)" in
  Darwin) lib="$CARGO_TARGET_DIR/debug/libopenwa_swift.dylib" ;;
  *) lib="$CARGO_TARGET_DIR/debug/libopenwa_swift.so" ;;
esac
"$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate --library "$lib" --language python \
  --out-dir "$package" --config bindings-swift/bindgen.toml >/dev/null
cp "$lib" "$package/"
# The generated modules: `openwa` (the engine's types) and `openwa_swift` (the objects).
printf '%s\n' '"""UniFFI Python bindings of the Swift package library (tests only)."""' \
  'from .openwa import *  # noqa: F401,F403' 'from .openwa_swift import *  # noqa: F401,F403' \
  >"$package/__init__.py"

"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip --disable-pip-version-check install --quiet 'pytest>=8,<10'
PYTHONPATH="$tmp/python" "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider \
  bindings-swift/tests "$@"
