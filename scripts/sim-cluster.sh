#!/usr/bin/env bash
# sim-cluster.sh — the production cluster measured (issue: 50 000 agents):
# NODES server processes on one PostgreSQL database and a private Redis,
# AGENTS simulated agents spread over the nodes (breeze-sim --link-servers,
# sharded over as many simulator processes as the open-file limit needs).
# Once every agent is linked it reports per node, over WINDOW at rest:
# linked agents, RSS per agent (above the node's own RSS before any link),
# Go heap and stacks, goroutines, CPU, heartbeat samples stored per second;
# and for the cluster: Redis commands per second (with the top commands)
# and PostgreSQL rows written per second. Then the last node is SIGKILLed
# and the simulator times the fleet's return on the others (the agents move
# on to the next URL like the real agent); the survivors' logs are searched
# for database timeouts and the admission's shed count is printed.
#
#   make sim-cluster                         # 50 000 agents, 3 nodes (~15 min)
#   AGENTS=6000 WINDOW=30s scripts/sim-cluster.sh
#
# Settings (environment): AGENTS (50000), NODES (3), RATE links/s during the
# ramp (500), WINDOW (60s), HEARTBEAT (the server's default when unset),
# BASE_PORT (18400: node i listens on BASE_PORT+i), REDIS_PORT (16390, a
# private redis-server so its counters are this run's alone), KILL (1: the
# failover phase), WORK (a temp dir, removed at the end unless given),
# SIM_ARGS (extra breeze-sim flags), PPROF (1: the nodes serve net/http/pprof
# on BASE_PORT+100+i, and node 1's CPU is profiled for the first 30 s of the
# return, kept in PROFILE_DIR, default /tmp/breeze-simc-profiles).
# $BREEZE_TEST_POSTGRES_URL names the PostgreSQL server (a fresh database
# breeze_simc_<pid>, dropped at the end).
set -euo pipefail

AGENTS=${AGENTS:-50000}
NODES=${NODES:-3}
RATE=${RATE:-500}
WINDOW=${WINDOW:-60s}
HEARTBEAT=${HEARTBEAT:-}
BASE_PORT=${BASE_PORT:-18400}
REDIS_PORT=${REDIS_PORT:-16390}
KILL=${KILL:-1}
SIM_ARGS=${SIM_ARGS:-}
PPROF=${PPROF:-0}
PROFILE_DIR=${PROFILE_DIR:-/tmp/breeze-simc-profiles}
PG_SERVER=${BREEZE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
window_s=${WINDOW%s}

cd "$(dirname "$0")/.."
own_work=0
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d /tmp/breeze-simc.XXXXXX); own_work=1; fi
mkdir -p "$WORK"
ulimit -n "$(ulimit -Hn)"
echo "building server and simulator into $WORK" >&2
. scripts/sim-build.sh
sim_build "$WORK" "$PPROF"

redis_pid="" sim_pid="" pgdb="breeze_simc_$$"
declare -a node_pid
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	for p in "${node_pid[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	psql "$PG_SERVER" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
	if [ "$own_work" = 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --maxclients 10000 \
	--logfile "$WORK/redis.log" &
redis_pid=$!
psql "$PG_SERVER" -qc "CREATE DATABASE $pgdb" >/dev/null
base=${PG_SERVER%%\?*} query=""
if [[ "$PG_SERVER" == *\?* ]]; then query="?${PG_SERVER#*\?}"; fi
export BREEZE_DATABASE_URL="${base%/*}/$pgdb$query"
export BREEZE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" BREEZE_LOG_LEVEL=${BREEZE_LOG_LEVEL:-warn}
export BREEZE_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export BREEZE_PLUGIN_SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
export BREEZE_BOOTSTRAP_EMAIL=sim-admin@example.com BREEZE_BOOTSTRAP_PASSWORD=sim-password-$RANDOM$RANDOM
if [ -n "$HEARTBEAT" ]; then export BREEZE_AGENT_HEARTBEAT="$HEARTBEAT"; fi
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

addr() { echo "127.0.0.1:$((BASE_PORT + $1))"; }
start_node() {
	mkdir -p "$WORK/data$1"
	BREEZE_DATA_DIR="$WORK/data$1" BREEZE_LISTEN="$(addr "$1")" \
		BREEZE_SIM_PPROF=$([ "$PPROF" = 1 ] && echo "127.0.0.1:$((BASE_PORT + 100 + $1))") "$WORK/breeze" serve >>"$WORK/node$1.log" 2>&1 &
	node_pid[$1]=$!
	for _ in $(seq 1 300); do
		curl -fs "http://$(addr "$1")/readyz" >/dev/null 2>&1 && return 0
		kill -0 "${node_pid[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "node $1 did not start; its log:" >&2
	tail -20 "$WORK/node$1.log" >&2
	return 1
}
# metric NODE NAME: an unlabelled sample of the node's /metrics (0 when
# absent; the whole page is read, so no broken pipe under pipefail).
metric() {
	local page
	page=$(curl -fs "http://$(addr "$1")/metrics" || true)
	awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }' <<<"$page"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# sys_ticks: the machine's busy and total CPU ticks ("busy total").
sys_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
redis_total() { redis-cli -p "$REDIS_PORT" info stats | awk -F: '/^total_commands_processed:/ { print $2+0 }'; }
pg_rows() { psql "$BREEZE_DATABASE_URL" -Atc "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()"; }

links=""
for i in $(seq 1 "$NODES"); do
	start_node "$i"
	links+="${links:+,}http://$(addr "$i")"
done
declare -a rss0
for i in $(seq 1 "$NODES"); do rss0[$i]=$(rss_kib "${node_pid[$i]}"); done
echo "$NODES nodes up ($links); RSS before any link: ${rss0[*]} KiB" >&2

"$WORK/breeze-sim" --server "http://$(addr 1)" --link-servers "$links" --agents "$AGENTS" --rate "$RATE" \
	--duration 20s --email "$BREEZE_BOOTSTRAP_EMAIL" --password "$BREEZE_BOOTSTRAP_PASSWORD" \
	--state-dir "$WORK/state" --restart-test --restart-partial --ready-file "$WORK/ready" --restart-timeout 15m \
	--link-timeout 10m $SIM_ARGS >"$WORK/sim.out" 2>"$WORK/sim.err" &
sim_pid=$!
while [ ! -e "$WORK/ready" ]; do
	if ! kill -0 "$sim_pid" 2>/dev/null; then
		echo "the simulator ended before every agent linked:" >&2
		tail -30 "$WORK/sim.err" "$WORK/sim.out" >&2
		exit 1
	fi
	sleep 1
done
echo "$(date +%T) all $AGENTS agents linked; settling 10 s, then measuring for $WINDOW" >&2
sleep 10
hz=$(getconf CLK_TCK)
declare -a cpu0 samples0
for i in $(seq 1 "$NODES"); do
	cpu0[$i]=$(cpu_ticks "${node_pid[$i]}")
	samples0[$i]=$(metric "$i" breeze_telemetry_samples_written_total)
done
redis0=$(redis_total) pg0=$(pg_rows)
sleep "$window_s"
redis1=$(redis_total) pg1=$(pg_rows)
echo
echo "== at rest over ${window_s} s: $AGENTS agents on $NODES nodes (PostgreSQL + Redis), $(nproc) cores =="
printf '%-5s %8s %10s %12s %11s %10s %11s %8s %12s\n' node agents rss_MiB KiB/agent heap_MiB stack_MiB goroutines cpu_% samples/s
for i in $(seq 1 "$NODES"); do
	p=${node_pid[$i]}
	n=$(metric "$i" breeze_agents_linked)
	rss=$(rss_kib "$p")
	heap=$(metric "$i" go_memstats_heap_inuse_bytes)
	stack=$(metric "$i" go_memstats_stack_inuse_bytes)
	gor=$(metric "$i" go_goroutines)
	cpu=$(cpu_ticks "$p")
	s1=$(metric "$i" breeze_telemetry_samples_written_total)
	awk -v i="$i" -v n="$n" -v rss="$rss" -v r0="${rss0[$i]}" -v heap="$heap" -v stack="$stack" -v g="$gor" \
		-v c0="${cpu0[$i]}" -v c1="$cpu" -v hz="$hz" -v w="$window_s" -v s0="${samples0[$i]}" -v s1="$s1" \
		'BEGIN { printf "%-5s %8d %10.1f %12.1f %11.1f %10.1f %11d %8.1f %12.1f\n", i, n, rss/1024, (n > 0 ? (rss-r0)/n : 0), heap/1048576, stack/1048576, g, 100*(c1-c0)/hz/w, (s1-s0)/w }'
done
awk -v a="$redis0" -v b="$redis1" -v w="$window_s" 'BEGIN { printf "redis: %.1f commands/s\n", (b-a)/w }'
redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | awk -F'[:=,]' '/^cmdstat_/ { sub("cmdstat_", "", $1); print $3, $1 }' | sort -rn | head -6 |
	awk '{ printf "  %s: %d calls in all\n", $2, $1 }'
awk -v a="$pg0" -v b="$pg1" -v w="$window_s" 'BEGIN { printf "postgresql: %.1f rows written/s (inserted+updated+deleted)\n", (b-a)/w }'

if [ "$KILL" = 1 ]; then
	victim=$NODES
	shed0=0
	for i in $(seq 1 $((NODES - 1))); do shed0=$((shed0 + $(metric "$i" breeze_agent_links_shed_total | cut -d. -f1))); done
	on_victim=$(metric "$victim" breeze_agents_linked)
	echo
	echo "== $(date +%T) kill -9 node $victim holding $on_victim agents =="
	declare -a cpuk0
	for i in $(seq 1 $((NODES - 1))); do cpuk0[$i]=$(cpu_ticks "${node_pid[$i]}"); done
	sys0=$(sys_ticks)
	kill -9 "${node_pid[$victim]}"
	node_pid[$victim]=""
	killed_at=$(date +%s.%N)
	if [ "$PPROF" = 1 ]; then
		mkdir -p "$PROFILE_DIR"
		curl -fs -o "$PROFILE_DIR/node1-return.pprof" "http://127.0.0.1:$((BASE_PORT + 101))/debug/pprof/profile?seconds=30" &
		prof_pid=$!
	fi
fi
if [ "$KILL" = 1 ]; then
	# Read the survivors once the simulator says the lost agents are back
	# (it then holds the fleet for a while before its report).
	while kill -0 "$sim_pid" 2>/dev/null && ! grep -q 'agents that lost their link are back' "$WORK/sim.err"; do sleep 1; done
	back_s=$(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
	sys1=$(sys_ticks)
	echo "the simulator saw the lost agents back ${back_s} s after the kill: $(grep -m1 'agents that lost their link are back' "$WORK/sim.err")"
	# The return's pace, from the simulator's progress lines (every 5 s:
	# "relinked L of N, T since the first disconnect").
	grep -o 'relinked [0-9]* of [0-9]*, [0-9]*s since' "$WORK/sim.err" | awk '
		{ l = $2; t = $5 + 0; if (n++) { r = (l - pl) / (t - pt); if (r > peak) peak = r; if (t % 30 < 5) printf "  t=%3ds linked %d (%.0f links/s)\n", t, l, r } pl = l; pt = t; if (!t0n) { l0 = l; t0 = t; t0n = 1 } }
		END { if (n > 1 && pt > t0) printf "links/s during the return: mean %.0f, peak %.0f (5 s steps)\n", (pl - l0) / (pt - t0), peak }'
	for i in $(seq 1 $((NODES - 1))); do
		awk -v i="$i" -v c0="${cpuk0[$i]}" -v c1="$(cpu_ticks "${node_pid[$i]}")" -v hz="$hz" -v w="$back_s" \
			'BEGIN { if (w > 0) printf "node %s CPU during the return: %.0f%% of a core\n", i, 100*(c1-c0)/hz/w }'
	done
	read -r b0 t0 <<<"$sys0"
	read -r b1 t1 <<<"$sys1"
	awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN { if (t > 0) printf "machine busy during the return: %.0f%% of %d cores\n", 100*b/t, n }'
	shed1=0
	for i in $(seq 1 $((NODES - 1))); do
		shed1=$((shed1 + $(metric "$i" breeze_agent_links_shed_total | cut -d. -f1)))
		echo "node $i now holds $(metric "$i" breeze_agents_linked) agents, $(metric "$i" go_goroutines) goroutines, RSS $(($(rss_kib "${node_pid[$i]}") / 1024)) MiB"
	done
	echo "links shed by the survivors' admission during the return: $((shed1 - shed0))"
	echo "database timeouts in the survivors' logs: $(cat "$WORK"/node[1-$((NODES - 1))].log | grep -ciE 'deadline exceeded|timeout|too many clients' || true)"
fi
if [ -n "${prof_pid:-}" ]; then
	wait "$prof_pid" || true
	cp "$WORK/breeze" "$PROFILE_DIR/breeze" # the profile's binary, for go tool pprof later
	echo
	echo "== node 1, CPU profile of the first 30 s of the return ($PROFILE_DIR/node1-return.pprof) =="
	go tool pprof -top -cum -nodecount=60 "$WORK/breeze" "$PROFILE_DIR/node1-return.pprof" 2>/dev/null | sed -n '1,70p' || true
fi
wait "$sim_pid" || true
sim_pid=""
echo
sed -n '/^breeze-sim report/,$p' "$WORK/sim.err" "$WORK/sim.out"
