#!/usr/bin/env bash
# sim.sh — run the load simulator (cmd/breeze-sim) against a server this
# script starts and stops itself, and print the simulator's report.
#
#   scripts/sim.sh                      # 2 000 agents, SQLite, restart test
#   AGENTS=19500 RATE=300 scripts/sim.sh
#   DB=postgres REDIS=1 AGENTS=10000 scripts/sim.sh
#   AGENTS=1000 RESTART=0 REMOTE=1 scripts/sim.sh   # + dispatch, echo, script run
#   AGENTS=2000 RESTART=0 ALERTS=1 scripts/sim.sh   # + alert notification latency, offline storm
#   AGENTS=1000 RESTART=0 SCHEDULES=10000 scripts/sim.sh   # + schedule fire precision, CPU, double fires
#   DB=postgres REDIS=1 NODES=2 AGENTS=1000 RESTART=0 SCHEDULES=10000 scripts/sim.sh
#
# Settings (environment):
#   AGENTS    simulated agents (default 2000)
#   RATE      new links per second during ramp-up (default 300)
#   DURATION  how long to hold the links after ramp-up/restart (default 30s)
#   RESTART   1: kill -9 the server once every agent is linked, start it again
#             and time the fleet's return (default 1)
#   DB        sqlite (default) or postgres (a fresh database breeze_sim_<pid>,
#             dropped at the end; $BREEZE_TEST_POSTGRES_URL names the server)
#   REDIS     1: give the server $BREEZE_TEST_REDIS_URL
#   DISPATCH  remote phase: this many commands to random linked devices, timed
#             API call → agent (default 0: off)
#   ECHO      remote phase: this many terminal keystrokes, timed (default 0: off)
#   SCRIPT_RUN 1: remote phase: a script run on every device, timed to the last result
#   REMOTE    1: all three remote phases, DISPATCH=2000 ECHO=1000 SCRIPT_RUN=1
#             unless set otherwise
#   ALERTS    1: alerts phase (breeze-sim --alerts): the webhook plugin is built,
#             packed and signed with a throw-away key the server trusts, the
#             server lets plugins reach 127.0.0.1 (--plugin-egress-allow);
#             HOT agents go hot against "cpu > 90 for FOR" (default 200, 10s),
#             DROP agents drop against "offline for 1 minute" (default 1000;
#             both capped to fit AGENTS); GROUP=AFTER/SECONDS sets the storm
#             route's grouping (default: the server's)
#   SCHEDULES schedules phase (breeze-sim --schedules): this many every-minute
#             uptime schedules (offline skip), PER_DEVICE (default 10) on each
#             of the first SCHEDULES/PER_DEVICE linked devices, SPREAD seconds
#             of spread (default 60; -1 leaves the field out); measured for
#             WINDOW (default: DURATION, whole minutes; the hold after it is
#             then 0) after a minute of the idle fleet's CPU (WARMUP whole
#             minutes after the creation, default 0m). Fire lateness,
#             fires expected vs recorded, double fires (also counted in the
#             database: commands per (device, idempotency key), rows per
#             (schedule, fireAt)), each node's CPU per minute and per fire.
#             PPROF=1 (default with SCHEDULES) builds the server with
#             net/http/pprof (a build overlay; the tree is untouched) and
#             prints the top of a CPU profile of each node, kept in
#             PROFILE_DIR (default /tmp/breeze-sim-profiles)
#   ROLLOUT   1: rollout phase (breeze-sim --rollout): a release key made for
#             this run is trusted by the server (BREEZE_RELEASE_KEYS); a signed
#             dummy build is uploaded and rolled out to the fleet's org in
#             STAGES (default 1,10,100) with PAUSE between them (default 5s);
#             the simulated agents answer the offers and relink on the new
#             version; the whole rollout and each stage are timed
#   NODES     2: a second server process on the same database and Redis
#             (DB=postgres REDIS=1), LISTEN's port + 1; the agents link to the
#             first, both run the scheduler and the queue's workers
#   HEARTBEAT the server's --agent-heartbeat (default: the server's 60s; 5s with ALERTS=1)
#   LISTEN    server address (default 127.0.0.1:18090)
#   WORK      scratch directory (default: a new temp dir, removed at the end)
#   SIM_ARGS  extra flags for breeze-sim (e.g. "--interval 10s --json")
#
# The machine's open-file limit caps what one process holds: `ulimit -Hn`
# links per server process at most, whatever AGENTS says.
set -euo pipefail

AGENTS=${AGENTS:-2000}
RATE=${RATE:-300}
DURATION=${DURATION:-30s}
RESTART=${RESTART:-1}
DB=${DB:-sqlite}
REDIS=${REDIS:-0}
REMOTE=${REMOTE:-0}
if [ "$REMOTE" = 1 ]; then
	DISPATCH=${DISPATCH:-2000} ECHO=${ECHO:-1000} SCRIPT_RUN=${SCRIPT_RUN:-1}
fi
DISPATCH=${DISPATCH:-0}
ECHO=${ECHO:-0}
SCRIPT_RUN=${SCRIPT_RUN:-0}
ALERTS=${ALERTS:-0}
if [ "$ALERTS" = 1 ]; then
	HEARTBEAT=${HEARTBEAT:-5s}
	HOT=${HOT:-$((AGENTS < 1000 ? AGENTS / 5 : 200))}
	DROP=${DROP:-$((AGENTS < 2000 ? AGENTS / 2 : 1000))}
	FOR=${FOR:-10s}
fi
HEARTBEAT=${HEARTBEAT:-}
SCHEDULES=${SCHEDULES:-0}
NODES=${NODES:-1}
PPROF=${PPROF:-$([ "$SCHEDULES" != 0 ] && echo 1 || echo 0)}
PROFILE_DIR=${PROFILE_DIR:-/tmp/breeze-sim-profiles}
if [ "$SCHEDULES" != 0 ]; then
	WINDOW=${WINDOW:-$DURATION}
	DURATION=0s
fi
if [ "$NODES" != 1 ] && { [ "$NODES" != 2 ] || [ "$DB" != postgres ] || [ "$REDIS" != 1 ]; }; then
	echo "NODES=2 needs DB=postgres REDIS=1 (nodes share the database and Redis); NODES is 1 or 2" >&2
	exit 2
fi
LISTEN=${LISTEN:-127.0.0.1:18090}
SIM_ARGS=${SIM_ARGS:-}
PG_SERVER=${BREEZE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_URL=${BREEZE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

cd "$(dirname "$0")/.."
own_work=0
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d /tmp/breeze-sim.XXXXXX); own_work=1; fi
mkdir -p "$WORK/data"

echo "building server and simulator into $WORK" >&2
. scripts/sim-build.sh
sim_build "$WORK" "$PPROF"
ROLLOUT=${ROLLOUT:-0}
if [ "$ROLLOUT" = 1 ]; then
	"$WORK/breeze" release keygen "$WORK/release" >/dev/null
	BREEZE_RELEASE_KEYS=$(cat "$WORK/release.pub")
	export BREEZE_RELEASE_KEYS
fi
if [ "$ALERTS" = 1 ]; then
	# The webhook plugin, packed like a vendor would (this platform only),
	# signed with a key made for this run and trusted by the server.
	command -v jq >/dev/null || { echo "ALERTS=1 needs jq (to write the plugin's manifest)" >&2; exit 1; }
	platform="$(go env GOOS)-$(go env GOARCH)"
	stage="$WORK/webhook"
	mkdir -p "$stage"
	go build -o "$stage/bin/$platform/webhook" ./plugins/webhook
	jq --arg p "$platform" '.executables = {($p): {path: ("bin/" + $p + "/webhook"), sha256: ""}}' \
		plugins/webhook/plugin.json >"$stage/plugin.json"
	"$WORK/breeze" plugin keygen "$WORK/simkey" >/dev/null
	"$WORK/breeze" plugin pack "$stage" --key "$WORK/simkey.key" -o "$WORK/webhook.tar.gz" >/dev/null
	export BREEZE_PLUGIN_TRUSTED_KEYS="$WORK/simkey.pub" BREEZE_PLUGIN_EGRESS_ALLOW=127.0.0.1/32
fi

export BREEZE_DATA_DIR="$WORK/data" BREEZE_LISTEN="$LISTEN" BREEZE_LOG_LEVEL=${BREEZE_LOG_LEVEL:-warn}
# Nodes of one deployment share their secrets (a node with others refuses to start).
export BREEZE_JWT_SECRET=${BREEZE_JWT_SECRET:-$(head -c 48 /dev/urandom | base64 | tr -d '\n')}
export BREEZE_PLUGIN_SECRET_KEY=${BREEZE_PLUGIN_SECRET_KEY:-$(head -c 32 /dev/urandom | base64 | tr -d '\n')}
if [ -n "$HEARTBEAT" ]; then export BREEZE_AGENT_HEARTBEAT="$HEARTBEAT"; fi
export BREEZE_BOOTSTRAP_EMAIL=sim-admin@example.com BREEZE_BOOTSTRAP_PASSWORD=sim-password-$RANDOM$RANDOM
pgdb=""
if [ "$DB" = postgres ]; then
	pgdb="breeze_sim_$$"
	psql "$PG_SERVER" -qc "CREATE DATABASE $pgdb" >/dev/null
	base=${PG_SERVER%%\?*}
	query=""
	if [[ "$PG_SERVER" == *\?* ]]; then query="?${PG_SERVER#*\?}"; fi
	export BREEZE_DATABASE_URL="${base%/*}/$pgdb$query"
fi
if [ "$REDIS" = 1 ]; then export BREEZE_REDIS_URL="$REDIS_URL" BREEZE_REDIS_PREFIX="breeze-sim-$$:"; fi

server_pid=""
server2_pid=""
sim_pid=""
LISTEN2="${LISTEN%:*}:$((${LISTEN##*:} + 1))"
pprof_addr() { echo "127.0.0.1:$((${LISTEN##*:} + 100 + $1))"; }
start_server() {
	BREEZE_SIM_PPROF=$([ "$PPROF" = 1 ] && pprof_addr 1) "$WORK/breeze" serve >>"$WORK/server.log" 2>&1 &
	server_pid=$!
	echo "$server_pid" >"$WORK/server.pid"
	wait_ready "$LISTEN" "$server_pid" "$WORK/server.log"
}
# start_server2: the second node, its own data directory and address, the
# same database and Redis.
start_server2() {
	mkdir -p "$WORK/data2"
	BREEZE_DATA_DIR="$WORK/data2" BREEZE_LISTEN="$LISTEN2" BREEZE_SIM_PPROF=$([ "$PPROF" = 1 ] && pprof_addr 2) \
		"$WORK/breeze" serve >>"$WORK/server2.log" 2>&1 &
	server2_pid=$!
	echo "$server2_pid" >"$WORK/server2.pid"
	wait_ready "$LISTEN2" "$server2_pid" "$WORK/server2.log"
}
wait_ready() {
	for _ in $(seq 1 300); do
		if curl -fs "http://$1/readyz" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$2" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "the server on $1 did not start; its log:" >&2
	tail -20 "$3" >&2
	return 1
}
# db_check counts in the database what a double fire would leave: fire rows
# per (schedule, fireAt) and commands per (device, idempotency key) beyond
# one (both unique indexes, so 0 unless an index is gone), and the
# schedules' commands against the commands the fire rows name.
db_check() {
	local q="SELECT 'db: duplicate fire rows ' || (SELECT count(*) FROM (SELECT 1 FROM schedule_fires GROUP BY schedule_id, fire_at HAVING count(*) > 1) d)
		|| ', duplicate commands per (device, key) ' || (SELECT count(*) FROM (SELECT 1 FROM commands WHERE idempotency_key LIKE 'sched:%' GROUP BY device_id, idempotency_key HAVING count(*) > 1) d)
		|| ', fire rows ' || (SELECT count(*) FROM schedule_fires)
		|| ', schedule commands ' || (SELECT count(*) FROM commands WHERE idempotency_key LIKE 'sched:%')"
	if [ "$DB" = postgres ]; then
		psql "$BREEZE_DATABASE_URL" -Atc "$q || ', named by fires ' || (SELECT coalesce(sum(jsonb_array_length(command_ids)), 0) FROM schedule_fires)"
	else
		command -v sqlite3 >/dev/null || { echo "db: sqlite3 not installed; database counts skipped"; return 0; }
		sqlite3 -readonly "$WORK/data/breeze.db" "$q || ', named by fires ' || (SELECT coalesce(sum(json_array_length(command_ids)), 0) FROM schedule_fires)"
	fi
}
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	[ -n "$server2_pid" ] && kill "$server2_pid" 2>/dev/null && wait "$server2_pid" 2>/dev/null || true
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
	if [ -n "$pgdb" ]; then psql "$PG_SERVER" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null || true; fi
	if [ "$own_work" = 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_server
echo "server pid $server_pid on $LISTEN ($DB); log $WORK/server.log" >&2
if [ "$NODES" = 2 ]; then
	start_server2
	echo "second node pid $server2_pid on $LISTEN2; log $WORK/server2.log" >&2
fi

args=(--server "http://$LISTEN" --agents "$AGENTS" --rate "$RATE" --duration "$DURATION"
	--email "$BREEZE_BOOTSTRAP_EMAIL" --state-dir "$WORK/state" --server-pid-file "$WORK/server.pid")
rm -f "$WORK/ready" # a stale one from an earlier run would trigger the restart at once
if [ "$RESTART" = 1 ]; then args+=(--restart-test --ready-file "$WORK/ready"); fi
if [ "$DISPATCH" != 0 ]; then args+=(--dispatch "$DISPATCH"); fi
if [ "$ECHO" != 0 ]; then args+=(--echo "$ECHO"); fi
if [ "$SCRIPT_RUN" = 1 ]; then args+=(--script-run); fi
if [ "$ALERTS" = 1 ]; then
	args+=(--alerts --alerts-plugin "$WORK/webhook.tar.gz" --alerts-hot "$HOT" --alerts-drop "$DROP"
		--alerts-for "$FOR" --server-log "$WORK/server.log")
	if [ -n "${GROUP:-}" ]; then args+=(--alerts-group "$GROUP"); fi
fi
if [ "$ROLLOUT" = 1 ]; then
	args+=(--rollout --rollout-key "$WORK/release.key" --rollout-stages "${STAGES:-1,10,100}" --rollout-pause "${PAUSE:-5s}")
fi
if [ "$SCHEDULES" != 0 ]; then
	mkdir -p "$PROFILE_DIR"
	args+=(--schedules "$SCHEDULES" --schedules-per-device "${PER_DEVICE:-10}" --schedules-spread "${SPREAD:-60}"
		--schedules-window "$WINDOW" --schedules-warmup "${WARMUP:-0m}" --pprof-dir "$PROFILE_DIR")
	pidfiles="$WORK/server.pid" pprofs="http://$(pprof_addr 1)"
	if [ "$NODES" = 2 ]; then pidfiles+=",$WORK/server2.pid" pprofs+=",http://$(pprof_addr 2)"; fi
	args+=(--cpu-pid-files "$pidfiles")
	if [ "$PPROF" = 1 ]; then args+=(--pprof "$pprofs"); fi
fi
# shellcheck disable=SC2206
args+=($SIM_ARGS)

BREEZE_SIM_PASSWORD="$BREEZE_BOOTSTRAP_PASSWORD" "$WORK/breeze-sim" "${args[@]}" &
sim_pid=$!

if [ "$RESTART" = 1 ]; then
	while [ ! -e "$WORK/ready" ]; do
		if ! kill -0 "$sim_pid" 2>/dev/null; then wait "$sim_pid"; exit $?; fi
		sleep 0.5
	done
	echo "$(date +%T) kill -9 $server_pid, then start the server again" >&2
	kill -9 "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	start_server
	echo "$(date +%T) server back as pid $server_pid" >&2
fi
status=0
wait "$sim_pid" || status=$?
sim_pid=""
if [ "$SCHEDULES" != 0 ]; then
	db_check || true
	if [ "$PPROF" = 1 ]; then
		for i in $(seq 1 "$NODES"); do
			f="$PROFILE_DIR/node$i.pprof"
			[ -s "$f" ] || continue
			cp "$WORK/breeze" "$PROFILE_DIR/breeze" # the profile's binary, for go tool pprof later
			echo "== node $i CPU profile ($f): top by cumulative time ==" >&2
			go tool pprof -top -cum -nodecount=45 "$WORK/breeze" "$f" 2>/dev/null | sed -n '1,55p' >&2 || true
		done
	fi
	grep -ciE 'level=(warn|error)|"level":"(warn|error)"|\[(WARN|ERROR)\]' "$WORK"/server*.log | sed 's/^/server log warnings+errors: /' >&2 || true
fi
exit $status
