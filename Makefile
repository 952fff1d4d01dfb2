# Breeze — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/breeze-rmm/breeze/internal/server.Version=$(VERSION)

export BREEZE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export BREEZE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: bench-links bench-catalog cluster sim-rollout sim-rollout-pg sim-schedules sim-schedules-pg sim sim-large sim-cluster sim-remote sim-remote-pg sim-alerts sim-alerts-pg run build agents agent-size agent-deps test test-go test-sdk services lint bench bench-tls faults clean

## run: build and start Breeze on its embedded defaults (SQLite under ./data) at http://127.0.0.1:8080,
##      with a demo tenant and a local agent enrolled into it
run: web-maybe build
	@bash scripts/run.sh

## cluster: the production shape on this machine: a fresh PostgreSQL database, Redis, NODES (3) nodes
##          behind Caddy (deploy/Caddyfile, internal CA) at https://localhost:8443 and a local agent linked
##          through it; prints where to sign in and the CA to trust; Ctrl-C stops it all
cluster: web-maybe build services
	@bash scripts/cluster.sh

## build: server and agent into bin/ (the agent as scripts/agent-build.sh builds it everywhere)
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/breeze ./cmd/breeze
	GO=$(GO) scripts/agent-build.sh bin/breeze-agent $(VERSION)

## agents: the agent for every supported platform into bin/agents/ (stripped)
AGENT_PLATFORMS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64
agents:
	@mkdir -p bin/agents
	@for p in $(AGENT_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "breeze-agent $$os/$$arch"; \
		GO=$(GO) GOOS=$$os GOARCH=$$arch scripts/agent-build.sh bin/agents/breeze-agent-$$os-$$arch$$ext $(VERSION) || exit 1; \
	done
	@ls -l bin/agents

## agent-size: fail when the stripped linux/amd64 agent passes 12 MiB; print its top 15 packages
agent-size:
	@GO=$(GO) VERSION=$(VERSION) scripts/agent-size.sh

## agent-deps: the agent's module dependency list (go version -m)
agent-deps:
	@GO=$(GO) VERSION=$(VERSION) scripts/agent-size.sh --deps

## test: the agent's size budget, every Go test of both modules against real PostgreSQL and Redis,
##       the dashboard's component tests, and the dashboard in headless Chromium against the real
##       server and agent
test: agent-size services test-go test-sdk test-web e2e-web

services:
	@bash scripts/test-services.sh

test-go:
	$(GO) test -count=1 ./...

test-sdk:
	cd sdk && $(GO) test -count=1 ./...

## faults: the fault tests with 30 s outages (PostgreSQL stopped, Redis stopped and back empty, a node
##         SIGKILLed), each on a PostgreSQL cluster and a Redis of its own; short outages run in make test
faults:
	BREEZE_FAULT_OUTAGE=$${OUTAGE:-30s} $(GO) test -count=1 -timeout 30m -run '^TestFault' ./test/e2e/

## lint: gofmt check and go vet on both modules
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	@# The agent's macOS and Windows code (service installers, software sources, ConPTY, update swap) is vetted too
	@# (on Windows the packages whose tests are Unix-only are only compiled).
	GOOS=darwin GOARCH=arm64 $(GO) vet ./agent/... ./cmd/breeze-agent/
	GOOS=windows GOARCH=amd64 $(GO) build ./agent/... ./cmd/breeze-agent/
	GOOS=windows GOARCH=amd64 $(GO) vet ./agent/service/ ./agent/inventory/ ./agent/terminal/ ./agent/update/

## bench-links: what one linked agent costs the server (heap + stacks per link, goroutines per link) with
##              LINKS (default 2000) agents linked from a second process; run twice, the machine is shared
bench-links:
	@for i in 1 2; do BREEZE_LINKCOST_N=$${LINKS:-2000} $(GO) test -run '^$$' -bench LinkCost -benchtime 1x -count 1 ./adapters/http/agentws/ | grep '^Benchmark'; done

## bench: storage benchmarks on SQLite and PostgreSQL (10 000 and 100 000 devices; minutes, not part of make test)
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 2000x -timeout 60m ./adapters/sqlite/ ./adapters/postgres/

## bench-tls: full TLS handshakes per second on one core, without and with agent client certificates (mutual TLS)
bench-tls:
	$(GO) test -run '^$$' -bench Handshake -cpu 1 -benchtime 2s -count 3 ./internal/server/

## sim-remote: 1 000 agents (SQLite), then command dispatch, terminal echo and a script run on every device, timed
sim-remote:
	@AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-10s} REMOTE=1 bash scripts/sim.sh

## sim-remote-pg: the same on the production profile (PostgreSQL + Redis)
sim-remote-pg:
	@DB=postgres REDIS=1 AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-10s} REMOTE=1 bash scripts/sim.sh

## sim-alerts: 10 000 agents (SQLite, heartbeat 5s), then alert notification latency (200 agents hot against
##             "cpu > 90 for 10s", through the webhook plugin to a local receiver) and an offline storm (1 000 dropped)
sim-alerts:
	@AGENTS=$${AGENTS:-10000} RESTART=0 DURATION=$${DURATION:-5s} ALERTS=1 bash scripts/sim.sh

## sim-alerts-pg: the same on the production profile (PostgreSQL + Redis)
sim-alerts-pg:
	@DB=postgres REDIS=1 AGENTS=$${AGENTS:-10000} RESTART=0 DURATION=$${DURATION:-5s} ALERTS=1 bash scripts/sim.sh

## sim-rollout: 1 000 agents (SQLite), then a staged agent rollout (1 %, 10 %, 100 %, pause 5 s) of a signed
##              dummy build; the simulated agents answer the update frames and relink on the new version; timed
sim-rollout:
	@AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-5s} ROLLOUT=1 bash scripts/sim.sh

## sim-rollout-pg: the same on the production profile (PostgreSQL + Redis)
sim-rollout-pg:
	@DB=postgres REDIS=1 AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-5s} ROLLOUT=1 bash scripts/sim.sh

## sim: load simulator against a server it starts (SQLite; DB=postgres REDIS=1 for the production profile): 2 000 agents, kill -9 restart, report
sim:
	@bash scripts/sim.sh

## sim-large: as many agents as one server process can hold here (open-file cap 20 000), then a restart (~6 min)
sim-large:
	@AGENTS=$${AGENTS:-19800} RATE=$${RATE:-300} DURATION=$${DURATION:-60s} bash scripts/sim.sh

## sim-cluster: 50 000 agents on 3 nodes (PostgreSQL + a private Redis): per-node memory per agent, CPU,
##              goroutines, Redis and PostgreSQL rates at rest, then one node SIGKILLed and the return timed (~15 min)
sim-cluster:
	@AGENTS=$${AGENTS:-50000} NODES=$${NODES:-3} bash scripts/sim-cluster.sh

## sim-schedules: 1 000 agents (SQLite), 10 000 every-minute uptime schedules (spread 60 s) on 1 000 of them
##                through the API; for DURATION (whole minutes, default 4m): fire lateness p50/p90/p99/max,
##                fires expected vs recorded, double fires, the server's CPU per minute and per fire, a CPU profile
sim-schedules:
	@AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-4m} SCHEDULES=$${SCHEDULES:-10000} LISTEN=$${LISTEN:-127.0.0.1:18290} bash scripts/sim.sh

## sim-schedules-pg: the same on PostgreSQL + Redis with two server nodes sharing them (agents on the first)
sim-schedules-pg:
	@DB=postgres REDIS=1 NODES=2 AGENTS=$${AGENTS:-1000} RESTART=0 DURATION=$${DURATION:-4m} SCHEDULES=$${SCHEDULES:-10000} LISTEN=$${LISTEN:-127.0.0.1:18290} bash scripts/sim.sh

clean:
	rm -rf bin

## bench-discovery: Breeze's sweep (ICMP) + 20 TCP ports against nmap -sn / nmap -p on a /24 and a /20 of
##                  network-namespace hosts, as ratios (root; minutes, not part of make test)
bench-discovery:
	@GO=$(GO) bash scripts/bench-discovery.sh

## bench-catalog: sync (local HTTPS fetch, signature, parse, store) and search of a 500-plugin catalog: time and allocations
bench-catalog:
	$(GO) test -run '^$$' -bench CatalogSync500 -benchtime 50x ./adapters/plugincatalog/

include web/Makefile.inc

# make proto: regenerate the plugin SDK's gRPC code (sdk/Makefile.inc)
include sdk/Makefile.inc
