#!/usr/bin/env bash
# Builds bindings-swift/OpenWAFFI.xcframework on macOS: the `openwa-swift` static library for
# macOS (arm64 + x86_64, one universal slice), iOS devices (arm64) and the iOS simulator (arm64),
# each with the C headers and the modulemap of module `OpenWAFFI` (bindings-swift/Headers).
# The Swift package (Package.swift) then builds with `swift build` or from Xcode.
#
#   bindings-swift/scripts/build-xcframework.sh            release build
#   PROFILE=dev bindings-swift/scripts/build-xcframework.sh   debug build (faster, larger)
#
# Needs: macOS with Xcode (xcodebuild, lipo) and rustup; the Rust targets are added if missing.
# Checks first that the committed Swift sources match the library (scripts/generate.sh --check).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if [ "$(uname -s)" != Darwin ]; then
  echo "build-xcframework.sh needs macOS (xcodebuild); the generated sources are checked on any OS by bindings-swift/scripts/generate.sh --check" >&2
  exit 1
fi
for tool in xcodebuild lipo rustup cargo; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

profile="${PROFILE:-release}"
case "$profile" in
  release) flag=--release; dir=release ;;
  dev) flag=; dir=debug ;;
  *) echo "PROFILE is release or dev" >&2; exit 2 ;;
esac

targets=(aarch64-apple-darwin x86_64-apple-darwin aarch64-apple-ios aarch64-apple-ios-sim)
rustup target add "${targets[@]}"
for target in "${targets[@]}"; do
  echo "== $target"
  cargo rustc --locked $flag -p openwa-swift --lib --target "$target" --crate-type staticlib
done

bindings-swift/scripts/generate.sh --check

out=bindings-swift/OpenWAFFI.xcframework
work=$(mktemp -d "${TMPDIR:-/tmp}/openwa-xcframework.XXXXXX")
trap 'rm -rf "$work"' EXIT
lib=libopenwa_swift.a
mkdir -p "$work/macos"
lipo -create \
  "$CARGO_TARGET_DIR/aarch64-apple-darwin/$dir/$lib" \
  "$CARGO_TARGET_DIR/x86_64-apple-darwin/$dir/$lib" \
  -output "$work/macos/$lib"

rm -rf "$out"
xcodebuild -create-xcframework \
  -library "$work/macos/$lib" -headers bindings-swift/Headers \
  -library "$CARGO_TARGET_DIR/aarch64-apple-ios/$dir/$lib" -headers bindings-swift/Headers \
  -library "$CARGO_TARGET_DIR/aarch64-apple-ios-sim/$dir/$lib" -headers bindings-swift/Headers \
  -output "$out"
echo "built $out"
