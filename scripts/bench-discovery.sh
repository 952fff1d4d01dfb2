#!/usr/bin/env bash
# Times Breeze's network discovery against nmap on real hosts in network
# namespaces (test/netlab): a /24 and a /20, each with eight hosts spread over
# the range with a few of 20 ports open. Breeze: the netsweep plugin's ICMP
# sweep, then the tcpscan plugin on the 20 ports of the live hosts (both as
# real plugin binaries). nmap: -sn on the range, then -Pn -p <the 20 ports> on
# the same live hosts (and, for reference, one -p run over the whole range).
# Prints the times and the ratios (Breeze / nmap: below 1 is faster).
# Needs root, iproute2 and nmap (scripts/test-services.sh installs them).
# Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
if [ "$(id -u)" != 0 ]; then echo "bench-discovery: needs root (network namespaces)" >&2; exit 1; fi
for tool in ip nmap; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-discovery: $tool is missing: run scripts/test-services.sh" >&2; exit 1; }
done
exec "$GO" test -count=1 -run '^$' -bench '^BenchmarkDiscovery$' -benchtime 1x -timeout 30m ./test/netlab/
