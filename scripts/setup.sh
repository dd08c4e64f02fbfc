#!/usr/bin/env bash
# Install zhian into ./.venv (idempotent). Usage: scripts/setup.sh [test]
# With "test", also the test tools, Debian's Chromium for the browser test, and the local
# PostgreSQL and NATS servers started if they are down.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# SQLite's side of the hash chain (src/zhian/core/_hashchain_sqlite.c, see setup.py) is built
# by the install below with a C compiler and SQLite's and OpenSSL's headers.
if ! command -v cc >/dev/null 2>&1 || [ ! -f /usr/include/sqlite3ext.h ] \
  || [ ! -f /usr/include/openssl/evp.h ]; then
  echo "installing Debian's gcc, libsqlite3-dev and libssl-dev for the hash chain's C part" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq gcc libsqlite3-dev libssl-dev \
    >/dev/null
fi

extras=""
[ "${1:-}" = "test" ] && extras="[test]"
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras}"

# The door-plate PDFs embed a subset of this CJK TrueType font (found by path at run time).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  echo "installing Debian's fonts-wqy-microhei for the door-plate PDFs" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi

[ "${1:-}" = "test" ] || exit 0

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "starting PostgreSQL" >&2
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
fi

if ! port_open 4222; then
  echo "starting nats-server with JetStream" >&2
  if [ ! -x /usr/sbin/nats-server ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nats-server >/dev/null
  fi
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi

for _ in $(seq 1 50); do
  port_open 5432 && port_open 4222 && exit 0
  sleep 0.2
done
echo "PostgreSQL or NATS did not come up on 127.0.0.1" >&2
exit 1
