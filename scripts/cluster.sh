#!/usr/bin/env bash
# `make cluster`: the production shape on this machine, for real. A fresh
# PostgreSQL database on the local server, the local Redis (in a namespace
# of its own), NODES (3) `breeze serve` nodes on loopback ports sharing
# BREEZE_JWT_SECRET and BREEZE_PLUGIN_SECRET_KEY, Caddy in front on
# https://localhost:8443 running deploy/Caddyfile with its internal CA, and
# a local agent enrolled and linked through Caddy (it trusts the CA through
# SSL_CERT_FILE). Ctrl-C stops everything and drops the database (KEEP=1
# keeps it and the run directory).
#
#   NODES=3 PORT=8443 FIRST_NODE_PORT=18081 make cluster
#   BREEZE_CLUSTER_PG=postgres://postgres@127.0.0.1:5432/postgres   (admin URL)
#   BREEZE_CLUSTER_REDIS=redis://127.0.0.1:6379/0
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-3}
PORT=${PORT:-8443}
HTTP_PORT=${HTTP_PORT:-8880}
FIRST=${FIRST_NODE_PORT:-18081}
PG=${BREEZE_CLUSTER_PG:-${BREEZE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}
REDIS=${BREEZE_CLUSTER_REDIS:-${BREEZE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}}

for tool in caddy psql curl openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make cluster: $tool is needed (apt-get install caddy postgresql-client curl openssl)" >&2; exit 1; }
done
[ -x bin/breeze ] && [ -x bin/breeze-agent ] || { echo "make cluster: build first (make build)" >&2; exit 1; }

RUN=${CLUSTER_DIR:-$(mktemp -d /tmp/breeze-cluster.XXXXXX)}
mkdir -p "$RUN" && chmod 700 "$RUN"
STAMP=$(date +%Y%m%d%H%M%S)
DB=breeze_cluster_$STAMP
# The admin URL with the new database's name in its path.
DB_URL=$(printf '%s' "$PG" | sed -E "s#^(postgres(ql)?://[^/]+)/[^?]*#\1/$DB#")

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "make cluster: stopping"
  # The agent and Caddy first, then the nodes (SIGTERM: they drain).
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then
    echo "make cluster: kept database $DB and $RUN"
  else
    psql "$PG" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || echo "make cluster: could not drop database $DB" >&2
    rm -rf "$RUN"
  fi
}
trap "stop; exit 0" INT TERM
trap stop EXIT

psql "$PG" -qc "CREATE DATABASE $DB" >/dev/null
JWT=$(openssl rand -hex 32)
SEAL=$(openssl rand -base64 32)
export BREEZE_DATABASE_URL=$DB_URL BREEZE_REDIS_URL=$REDIS BREEZE_REDIS_PREFIX="cluster-$STAMP:" \
  BREEZE_JWT_SECRET=$JWT BREEZE_PLUGIN_SECRET_KEY=$SEAL \
  BREEZE_TRUSTED_PROXIES=127.0.0.1 BREEZE_PUBLIC_URL="https://localhost:$PORT"

upstreams=()
for ((n = 1; n <= NODES; n++)); do
  addr=127.0.0.1:$((FIRST + n - 1))
  upstreams+=("$addr")
  mkdir -p "$RUN/node-$n"
  demo=()
  [ "$n" = 1 ] && demo=(--demo) # the first node seeds the demo tenant and its enrollment key
  BREEZE_LISTEN=$addr BREEZE_DATA_DIR=$RUN/node-$n ./bin/breeze serve "${demo[@]}" >"$RUN/node-$n.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    curl -fsS "http://$addr/readyz" >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "make cluster: node $n did not start:"; tail -n 20 "$RUN/node-$n.log"; exit 1; }
    sleep 0.2
  done
  echo "make cluster: node $n ready on http://$addr (log $RUN/node-$n.log)"
done

export XDG_DATA_HOME=$RUN/caddy XDG_CONFIG_HOME=$RUN/caddy-config
BREEZE_DOMAIN=localhost:$PORT BREEZE_UPSTREAMS="${upstreams[*]}" BREEZE_TLS=internal \
  BREEZE_HTTPS_PORT=$PORT BREEZE_HTTP_PORT=$HTTP_PORT BREEZE_CADDY_ADMIN=off \
  caddy run --config deploy/Caddyfile --adapter caddyfile >"$RUN/caddy.log" 2>&1 &
pids+=($!)
ROOT=$RUN/caddy/caddy/pki/authorities/local/root.crt
for _ in $(seq 1 150); do
  [ -f "$ROOT" ] && curl -fsS --cacert "$ROOT" "https://localhost:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "make cluster: caddy did not start:"; tail -n 20 "$RUN/caddy.log"; exit 1; }
  sleep 0.2
done
echo "make cluster: caddy serving https://localhost:$PORT (log $RUN/caddy.log)"

AGENT_CONFIG=$RUN/agent/agent.json
mkdir -p "$RUN/agent" && chmod 700 "$RUN/agent"
SSL_CERT_FILE=$ROOT ./bin/breeze-agent enroll --server "https://localhost:$PORT" \
  --key-file "$RUN/node-1/demo-enroll.key" --config "$AGENT_CONFIG" --quiet --log-level warn
SSL_CERT_FILE=$ROOT ./bin/breeze-agent run --config "$AGENT_CONFIG" --log-level info >"$RUN/agent.log" 2>&1 &
pids+=($!)

{ read -r email; read -r password; } <"$RUN/node-1/demo-credentials.txt"
cat <<EOF

  Breeze cluster: $NODES nodes behind Caddy at https://localhost:$PORT
  sign in as $email with password $password
  a local agent is linked through Caddy into "Demo Customer" / HQ (log $RUN/agent.log)
  database $DB on $(printf '%s' "$PG" | sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#'), Redis prefix cluster-$STAMP:
  Caddy's local CA (trust it to open the dashboard without a warning):
    $ROOT
    curl --cacert $ROOT https://localhost:$PORT/readyz
    Debian: cp $ROOT /usr/local/share/ca-certificates/breeze-local.crt && update-ca-certificates
    Firefox/Chrome: import it as an authority in the browser's certificate settings
  kill a node to watch failover: kill -9 <pid> (nodes: ${pids[*]:0:$NODES})
  Ctrl-C stops it all.

EOF
wait "${pids[$NODES]}" # Caddy; a node killed by hand leaves the rest running
