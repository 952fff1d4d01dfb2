#!/usr/bin/env bash
# `make run`: Breeze on its embedded defaults — the server (SQLite under
# ./data, the demo tenant seeded on first start) and a local agent enrolled
# into the demo org, so the first thing a newcomer sees is one live device.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${BREEZE_DATA_DIR:-./data}
LISTEN=${BREEZE_LISTEN:-127.0.0.1:8080}
URL="http://$LISTEN"
mkdir -p "$DATA/agent" && chmod 700 "$DATA" "$DATA/agent"
export BREEZE_DATA_DIR=$DATA BREEZE_LISTEN=$LISTEN

server_pid= agent_pid=
stop() {
  trap - INT TERM EXIT
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "Breeze stopped."
}
trap "stop; exit 0" INT TERM
trap stop EXIT

# Another Breeze (an earlier `make run`) on the address would answer the
# readiness check below for this one, which then fails to listen.
if curl -fsS "$URL/readyz" >/dev/null 2>&1; then
  echo "make run: something already answers on $URL (another make run?); stop it or set BREEZE_LISTEN" >&2
  exit 1
fi

# The server prints its own sign-in banner on stdout (for `breeze serve --demo`
# run by hand); here the summary below is the one banner, once the agent is up.
./bin/breeze serve --demo >/dev/null &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$URL/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "make run: the server did not start (see above)"; exit 1; }
  sleep 0.2
done
kill -0 "$server_pid" 2>/dev/null || { echo "make run: the server did not start (see above)"; exit 1; }

AGENT_CONFIG="$DATA/agent/agent.json"
if [ ! -f "$AGENT_CONFIG" ]; then
  if [ -f "$DATA/demo-enroll.key" ]; then
    ./bin/breeze-agent enroll --server "$URL" --key-file "$DATA/demo-enroll.key" --config "$AGENT_CONFIG" --quiet --log-level warn ||
      echo "make run: the local agent could not enroll; the server keeps running"
  else
    echo "make run: no demo enrollment key in $DATA (the database predates the demo); skipping the local agent"
  fi
fi
if [ -f "$AGENT_CONFIG" ]; then
  ./bin/breeze-agent run --config "$AGENT_CONFIG" --log-level warn &
  agent_pid=$!
fi

if [ -f "$DATA/demo-credentials.txt" ]; then
  { read -r email; read -r password; } <"$DATA/demo-credentials.txt"
  printf '\n  Breeze is running at %s\n  sign in as %s with password %s\n  a local agent is linked into "Demo Customer" / HQ\n  Ctrl-C stops it all.\n\n' \
    "$URL" "$email" "$password"
fi
wait "$server_pid"
