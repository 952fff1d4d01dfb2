# sim-build.sh — sourced by scripts/sim.sh and scripts/sim-cluster.sh:
# sim_build WORK PPROF builds the server and the simulator into WORK; with
# PPROF=1 the server gets net/http/pprof on $BREEZE_SIM_PPROF through a build
# overlay, so the tree stays as it is (the server never serves pprof itself).
sim_build() {
	local work=$1 pprof=$2
	if [ "$pprof" = 1 ]; then
		cat >"$work/sim_pprof.go" <<'GO'
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("BREEZE_SIM_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
GO
		printf '{"Replace":{"%s/cmd/breeze/zz_sim_pprof.go":"%s/sim_pprof.go"}}' "$PWD" "$work" >"$work/overlay.json"
		go build -overlay "$work/overlay.json" -o "$work/breeze" ./cmd/breeze
	else
		go build -o "$work/breeze" ./cmd/breeze
	fi
	go build -o "$work/breeze-sim" ./cmd/breeze-sim
}
