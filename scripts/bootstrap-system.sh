#!/usr/bin/env bash
# System packages a bare Debian 12/13 lacks for `make`: python3-venv (venv + ensurepip) and, for the
# Redis-over-TLS tests, redis-tools (Debian's Redis build with TLS; the PyPI redis-server builds have none).
set -euo pipefail
PY=${1:-python3}
missing=()
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-pip)
fi
if [ ! -x /usr/bin/redis-check-rdb ] && [ -z "${REDIS_TLS_SERVER:-}" ]; then
  missing+=(redis-tools)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: install these Debian packages first (as root): ${missing[*]}" >&2
  exit 1
fi
