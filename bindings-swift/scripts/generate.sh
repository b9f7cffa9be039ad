#!/usr/bin/env bash
# Generates the Swift side of the package from the built library with the workspace's
# uniffi-bindgen-swift (tools/uniffi-bindgen):
#   Sources/OpenWA/openwa.swift, Sources/OpenWA/openwa_swift.swift   (the Swift API)
#   Headers/openwaFFI.h, Headers/openwa_swiftFFI.h, Headers/module.modulemap   (C module OpenWAFFI)
#
#   bindings-swift/scripts/generate.sh           regenerate the committed files
#   bindings-swift/scripts/generate.sh --check   regenerate into a temporary directory and diff
#                                                against the committed files; exit 1 on drift
#
# Builds `openwa-swift` and the generators in debug (both are cached by later runs). Set
# OPENWA_SWIFT_LIB to use an already built library (any profile: the generated code is the same).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/openwa-target}"

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: bindings-swift/scripts/generate.sh [--check]" >&2; exit 2 ;;
esac

case "$(uname -s)" in
  Darwin) libname=libopenwa_swift.dylib ;;
  *) libname=libopenwa_swift.so ;;
esac
cargo build --locked --quiet -p openwa-swift -p openwa-uniffi-bindgen
lib="${OPENWA_SWIFT_LIB:-$CARGO_TARGET_DIR/debug/$libname}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/openwa-swift-gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$CARGO_TARGET_DIR/debug/uniffi-bindgen-swift" "$lib" "$tmp" \
  --swift-sources --headers --modulemap --module-name OpenWAFFI \
  --modulemap-filename module.modulemap --config bindings-swift/bindgen.toml
mkdir -p "$tmp/Sources/OpenWA" "$tmp/Headers"
mv "$tmp"/*.swift "$tmp/Sources/OpenWA/"
mv "$tmp"/*.h "$tmp/module.modulemap" "$tmp/Headers/"

generated=(Sources/OpenWA/openwa.swift Sources/OpenWA/openwa_swift.swift
           Headers/openwaFFI.h Headers/openwa_swiftFFI.h Headers/module.modulemap)
# Anything else the generator writes is new: it must be added to the list above (and committed).
extra=$(cd "$tmp" && find . -type f | sed 's|^\./||' | sort | grep -vxF -f <(printf '%s\n' "${generated[@]}") || true)
if [ -n "$extra" ]; then
  echo "uniffi-bindgen-swift wrote files this script does not know: $extra" >&2
  exit 1
fi

if $check; then
  drift=0
  for file in "${generated[@]}"; do
    if ! diff -u "bindings-swift/$file" "$tmp/$file" >"$tmp/diff" 2>&1; then
      head -n 40 "$tmp/diff" >&2
      drift=1
    fi
  done
  if [ "$drift" = 1 ]; then
    echo "the generated Swift sources are out of date: run bindings-swift/scripts/generate.sh" >&2
    exit 1
  fi
  echo "generated Swift sources up to date"
else
  for file in "${generated[@]}"; do
    mkdir -p "bindings-swift/$(dirname "$file")"
    cp "$tmp/$file" "bindings-swift/$file"
  done
  echo "wrote ${generated[*]/#/bindings-swift/}"
fi
