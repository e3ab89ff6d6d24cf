#!/usr/bin/env bash
# Make sure `python3 -m venv` works on a bare Debian 12/13 (needs python3-venv there).
set -euo pipefail
PY=${1:-python3}
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c "import ensurepip, venv" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  else
    echo "error: $PY with the venv module is needed (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
