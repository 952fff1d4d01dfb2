#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests use are reachable, and
# that the e-mail channel's test MTAs are installed (postfix's smtp-sink and
# postfix itself with Cyrus SASL's saslpasswd2; the tests start their own
# private instances, nothing here runs them), and the discovery tests' tools
# (iproute2, nmap, snmpd, snmp, openssh-server, ieee-data), and Caddy for the
# cluster tests (they run their own `caddy run`). It starts the services when
# they are installed but down, installs what is missing with apt-get on
# Debian/Ubuntu when run as root, and otherwise stops with one line that
# names what to install. Used by `make test` and .ci/run.
set -euo pipefail

PG_URL=${BREEZE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_URL=${BREEZE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

# host_port URL DEFAULT_PORT -> "host port"
host_port() {
  local rest=${1#*://}
  rest=${rest#*@}
  rest=${rest%%/*}
  rest=${rest%%\?*}
  local host=${rest%:*} port=${rest##*:}
  [ "$host" = "$rest" ] && port=$2
  host=${host#[}; host=${host%]}
  echo "${host:-127.0.0.1} ${port:-$2}"
}

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name host port
  for _ in $(seq 1 60); do reachable "$2" "$3" && return 0; sleep 0.5; done
  echo "test-services: $1 did not come up on $2:$3" >&2
  exit 1
}

is_local() { case "$1" in 127.*|localhost|::1) return 0;; esac; return 1; }

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  local fresh=$1
  local ver
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  [ -n "$ver" ] || return 1
  if [ "$fresh" = 1 ]; then
    # A package install asks for passwords on TCP; the throwaway test cluster
    # trusts loopback connections, as the default test URL expects.
    local hba=/etc/postgresql/$ver/main/pg_hba.conf
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null ||
    pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
}

ensure_postgres() {
  read -r host port < <(host_port "$PG_URL" 5432)
  reachable "$host" "$port" && return 0
  if ! is_local "$host"; then
    echo "test-services: PostgreSQL at $host:$port is unreachable; start it or fix BREEZE_TEST_POSTGRES_URL" >&2; exit 1
  fi
  local fresh=0
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if can_apt; then
      echo "test-services: installing PostgreSQL with apt-get" >&2
      apt_install postgresql; fresh=1
    else
      echo "test-services: PostgreSQL is needed at $host:$port: install it (apt-get install postgresql) or set BREEZE_TEST_POSTGRES_URL" >&2; exit 1
    fi
  fi
  echo "test-services: starting PostgreSQL" >&2
  start_postgres "$fresh" || { echo "test-services: could not start PostgreSQL; start it by hand or set BREEZE_TEST_POSTGRES_URL" >&2; exit 1; }
  wait_for PostgreSQL "$host" "$port"
}

ensure_redis() {
  read -r host port < <(host_port "$REDIS_URL" 6379)
  reachable "$host" "$port" && return 0
  if ! is_local "$host"; then
    echo "test-services: Redis at $host:$port is unreachable; start it or fix BREEZE_TEST_REDIS_URL" >&2; exit 1
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    if can_apt; then
      echo "test-services: installing Redis with apt-get" >&2
      apt_install redis-server
    else
      echo "test-services: Redis is needed at $host:$port: install it (apt-get install redis-server) or set BREEZE_TEST_REDIS_URL" >&2; exit 1
    fi
  fi
  echo "test-services: starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
  wait_for Redis "$host" "$port"
}

# The e-mail plugin's tests (plugins/email) run smtp-sink and a private
# postfix instance of their own; they fail without them.
ensure_mta() {
  local missing=
  for tool in smtp-sink postfix saslpasswd2; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
  done
  [ -z "$missing" ] && return 0
  if can_apt; then
    echo "test-services: installing postfix and sasl2-bin with apt-get (for$missing)" >&2
    # Only the programs: no system mail configuration, and policy-rc.d or
    # not, the tests start private instances themselves.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
    apt_install postfix sasl2-bin libsasl2-modules
  elif [ "${CI:-}" = true ]; then
    echo "test-services: the e-mail channel's tests need$missing: install postfix, sasl2-bin and libsasl2-modules (apt-get)" >&2; exit 1
  else
    echo "test-services: warning: without$missing the e-mail channel's relay tests fail (apt-get install postfix sasl2-bin libsasl2-modules)" >&2
  fi
}

# The discovery scanners' tests (plugins/netsweep, plugins/snmpscan,
# plugins/tcpscan, test/netlab) build hosts in network namespaces and compare
# with nmap; they run Debian's snmpd and OpenSSH's sshd in them (never the
# system's services) and fail, naming the package, without these.
ensure_discovery_tools() {
  local missing= pkgs=
  command -v ip >/dev/null 2>&1 || { missing="$missing ip"; pkgs="$pkgs iproute2"; }
  command -v nmap >/dev/null 2>&1 || { missing="$missing nmap"; pkgs="$pkgs nmap"; }
  command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ] || { missing="$missing snmpd"; pkgs="$pkgs snmpd"; }
  command -v snmpget >/dev/null 2>&1 || { missing="$missing snmpget"; pkgs="$pkgs snmp"; }
  command -v setpriv >/dev/null 2>&1 || { missing="$missing setpriv"; pkgs="$pkgs util-linux"; }
  [ -x /usr/sbin/sshd ] || { missing="$missing sshd"; pkgs="$pkgs openssh-server"; }
  command -v ssh-keygen >/dev/null 2>&1 || { missing="$missing ssh-keygen"; pkgs="$pkgs openssh-client"; }
  [ -f /usr/share/ieee-data/oui.csv ] || { missing="$missing oui.csv"; pkgs="$pkgs ieee-data"; }
  [ -z "$missing" ] && return 0
  if can_apt; then
    echo "test-services: installing$pkgs with apt-get (for$missing)" >&2
    # Only the programs: the tests run private snmpd and sshd instances in
    # their namespaces, so the packages must not start system services.
    local policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
    fi
    local rc=0
    apt_install $pkgs || rc=$?
    if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
    [ "$rc" = 0 ] || { echo "test-services: apt-get install$pkgs failed" >&2; exit 1; }
  else
    echo "test-services: the discovery tests need$missing: apt-get install$pkgs" >&2; exit 1
  fi
}

# The cluster tests (test/e2e/cluster_test.go) and `make cluster` run their
# own `caddy run` on deploy/Caddyfile; Debian's service must not start (it
# would hold port 80), hence policy-rc.d during the install.
ensure_caddy() {
  command -v caddy >/dev/null 2>&1 && return 0
  if can_apt; then
    echo "test-services: installing caddy with apt-get" >&2
    local policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
    fi
    local rc=0
    apt_install caddy || rc=$?
    if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
    [ "$rc" = 0 ] || { echo "test-services: apt-get install caddy failed" >&2; exit 1; }
  else
    echo "test-services: the cluster tests need caddy: apt-get install caddy" >&2; exit 1
  fi
}

ensure_postgres
ensure_redis
ensure_mta
ensure_discovery_tools
ensure_caddy
