#!/usr/bin/env bash
# agent-size.sh [--deps]: builds the linux/amd64 agent exactly as `make agents`
# does (scripts/agent-build.sh), prints its size and the 15 packages that
# contribute most to it, and fails when it passes AGENT_MAX_BYTES (default
# 12 MiB). --deps prints its module dependency list (go version -m) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
max=${AGENT_MAX_BYTES:-$((12 << 20))}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

GOOS=linux GOARCH=amd64 scripts/agent-build.sh "$work/breeze-agent" "${VERSION:-dev}"
if [ "${1:-}" = --deps ]; then
  "$GO" version -m "$work/breeze-agent"
  exit 0
fi
size=$(wc -c <"$work/breeze-agent" | tr -d ' ')

# The same build unstripped, for the symbol table: bytes of code and data per
# package (BSS and symbols larger than the file, such as FIPS scratch memory,
# take no room in it).
flags=()
while IFS= read -r f; do flags+=("$f"); done < <(scripts/agent-build.sh --flags)
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" build "${flags[@]}" -o "$work/full" ./cmd/breeze-agent
echo "top 15 packages (bytes of symbols, unstripped build):"
"$GO" tool nm -size "$work/full" | awk -v file="$size" '
  $3 != "B" && $3 != "b" && $3 != "U" && $2 < file {
    name = $4; for (i = 5; i <= NF; i++) name = name " " $i
    if (name ~ /^(go|type):/) { sub(/\..*/, "", name); pkg = name }
    else {
      head = name; p = index(head, "("); if (p > 0) head = substr(head, 1, p - 1)
      n = split(head, parts, "/"); last = parts[n]; d = index(last, ".")
      pkg = substr(head, 1, length(head) - length(last) + (d > 0 ? d - 1 : length(last)))
    }
    bytes[pkg] += $2
  }
  END { for (p in bytes) printf "%10d  %s\n", bytes[p], p }' | sort -rn | sed -n 1,15p

awk -v s="$size" -v m="$max" 'BEGIN {
  printf "breeze-agent linux/amd64 stripped: %d bytes (%.2f MiB); budget %d bytes (%.2f MiB)\n", s, s / 1048576, m, m / 1048576 }'
if [ "$size" -gt "$max" ]; then
  echo "agent-size: the agent passed its budget by $((size - max)) bytes; see what it links with" >&2
  echo "  go build -ldflags=-dumpdep ... (why a symbol is kept) and scripts/agent-size.sh --deps" >&2
  exit 1
fi
