package main

import (
	"io"
	"slices"
	"testing"
)

// Agents spread over --link-servers by index and move on after a failed
// dial to another server at random, a whole round ending back on their
// home server (as agent/link).
func TestLinkServersSpreadAndAdvance(t *testing.T) {
	cfg, err := parseFlags([]string{"--key-file", "k", "--link-servers", "http://a:1, http://b:2/,http://c:3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	bases := linkBases(cfg)
	if want := []string{"ws://a:1", "ws://b:2", "ws://c:3"}; !slices.Equal(bases, want) {
		t.Fatalf("bases %v, want %v", bases, want)
	}
	s := &shard{cfg: cfg, wsBases: bases}
	a := &agent{s: s, idx: 4, srv: 4 % 3}
	var seen []int
	var wrapped []bool
	for i := 0; i < 3; i++ {
		wrapped = append(wrapped, a.advance())
		seen = append(seen, a.srv)
	}
	if seen[0] == 1 || seen[1] == 1 || seen[0] == seen[1] || seen[2] != 1 || !slices.Equal(wrapped, []bool{false, false, true}) {
		t.Fatalf("agent 4 went %v (wrapped %v), want 0 and 2 in some order, then home (1) wrapping on the third", seen, wrapped)
	}
	// A dead home's agents spread over the others.
	got := map[int]int{}
	for i := range 300 {
		a := &agent{s: s, idx: 3 * i, srv: 0}
		a.advance()
		got[a.srv]++
	}
	if got[1] < 100 || got[2] < 100 {
		t.Fatalf("after a dead home: %v, want servers 1 and 2 about half each", got)
	}
	if got := linkBases(&config{server: "https://x"}); !slices.Equal(got, []string{"wss://x"}) {
		t.Fatalf("default bases %v", got)
	}
	if _, err := parseFlags([]string{"--key-file", "k", "--link-servers", "ftp://a"}, io.Discard); err == nil {
		t.Fatal("ftp link server accepted")
	}
}
