#!/usr/bin/env bash
# OpenWA's own Python SDK (rmyndharis-openwa from PyPI, unmodified) drives the main flows of a
# debug `openwa-server --sandbox`: server/tests/openwa_sdk/test_openwa_sdk.py. The venv is kept in
# the target dir between runs. Needs what sandbox-server.sh needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
. server/tests/sandbox-server.sh
venv="$target/openwa-sdk-venv"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'rmyndharis-openwa==0.6.0' 'pytest==8.4.2'
fi
OPENWA_BASE="$base" OPENWA_KEY="$key" OPENWA_SIM_ADMIN="$admin" OPENWA_ACCOUNT="$account" \
  OPENWA_PEER="$peer" "$venv/bin/pytest" -q -p no:cacheprovider server/tests/openwa_sdk
