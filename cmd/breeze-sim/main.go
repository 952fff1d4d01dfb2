// Command breeze-sim is the load simulator of docs/architecture.md §7: it enrolls N
// simulated agents against a running Breeze server and keeps them linked
// over the agent protocol (hello, heartbeats with jitter, pongs, a small
// inventory), from many loopback source addresses, and reports what it saw:
// linked agents, failed dials, heartbeats, reconnects, time to link, and
// given the server's pid its memory per linked agent. --restart-test
// measures how long the fleet takes to come back after a server restart.
//
// One process holds as many links as its open-file limit allows; beyond
// that the simulator runs several copies of itself (--procs), each holding
// a shard of the agents, and merges their reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "breeze-sim: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.child {
		// A shard driven by its parent over stdin/stdout.
		if err := runShard(ctx, cfg, stdin, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "breeze-sim shard %d/%d: %v\n", cfg.shard, cfg.shards, err)
			return 1
		}
		return 0
	}
	if err := coordinate(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "breeze-sim: %v\n", err)
		return 1
	}
	return 0
}
