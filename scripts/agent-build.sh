#!/usr/bin/env bash
# agent-build.sh OUT [VERSION]: the one way the agent is built (make build,
# make agents, make agent-size, the e2e and cmd/breeze-agent tests), for
# $GOOS/$GOARCH (default: this machine's). `agent-build.sh --flags` prints
# the go build arguments.
#
# Pure Go and stripped, without what the agent links but never uses:
#   grpcnotrace        gRPC without golang.org/x/net/trace (its /debug pages
#                      keep html/template and text/template alive; with them
#                      goes the linker's method pruning, about 2 MB)
#   nethttpomithttp2   net/http without its bundled HTTP/2: the agent speaks
#                      HTTP/1.1 to its server (enrollment, status, plugin
#                      downloads; a WebSocket upgrade is HTTP/1.1 anyway);
#                      gRPC to plugins has its own HTTP/2
# and no inlining outside the runtime and crypto: the agent idles between
# heartbeats, and inlining costs about 0.8 MB of code. The budget is 12 MiB
# stripped for linux/amd64 (scripts/agent-size.sh, part of make test).
set -euo pipefail

flags=(
  -trimpath
  -tags=grpcnotrace,nethttpomithttp2
  -gcflags=all=-l -gcflags=runtime= -gcflags=crypto/...= -gcflags=vendor/golang.org/x/crypto/...=
)

if [ "${1:-}" = --flags ]; then
  printf '%s\n' "${flags[@]}"
  exit 0
fi
[ $# -ge 1 ] || { echo "usage: $0 OUT [VERSION] | --flags" >&2; exit 2; }
out=$1
version=${2:-dev}
case $out in /*) ;; *) out=$PWD/$out ;; esac

cd "$(dirname "$0")/.."
CGO_ENABLED=0 exec "${GO:-go}" build "${flags[@]}" -ldflags "-s -w -X main.Version=$version" -o "$out" ./cmd/breeze-agent
