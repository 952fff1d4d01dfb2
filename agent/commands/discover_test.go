package commands

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestDiscover(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	ctx := context.Background()
	payload := protocol.DiscoverPayload{Plugin: "breeze.tcpscan", Targets: []string{"127.0.0.1/32"}, Ports: []int{22}}

	// Without plugins the action says so.
	e.Handle(ctx, cmd(t, "d0", protocol.ActionDiscover, payload, 20))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "no plugins") {
		t.Fatalf("%+v", r)
	}

	var got protocol.DiscoverPayload
	e.d.Discover = func(_ context.Context, p protocol.DiscoverPayload) (any, string, error) {
		got = p
		if p.Plugin != "breeze.tcpscan" {
			return nil, "", errors.New("not a running scanner plugin on this agent")
		}
		return []map[string]any{{"ip": "127.0.0.1", "openPorts": []int{22}}}, "1 assets", nil
	}
	e.Handle(ctx, cmd(t, "d1", protocol.ActionDiscover, payload, 20))
	r := f.w.next(t)
	var assets []map[string]any
	if err := json.Unmarshal(r.Data, &assets); err != nil || r.Status != protocol.ResultSucceeded || len(assets) != 1 || r.Stdout != "1 assets" {
		t.Fatalf("%+v %v", r, err)
	}
	if got.Targets[0] != "127.0.0.1/32" || got.Ports[0] != 22 {
		t.Fatalf("payload = %+v", got)
	}
	payload.Plugin = "acme.other"
	e.Handle(ctx, cmd(t, "d2", protocol.ActionDiscover, payload, 20))
	if r := f.w.next(t); r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "not a running scanner") {
		t.Fatalf("%+v", r)
	}
}

// A streaming discover sends its assets as discover_page frames naming
// the command, numbered from 1, and answers with the counts only; a page
// no link takes is given up after a while and said in the note.
func TestDiscoverStreamsPages(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	ctx := context.Background()
	old := pageRetry
	pageRetry = 200 * time.Millisecond
	t.Cleanup(func() { pageRetry = old })
	var got protocol.DiscoverPayload
	e.d.DiscoverPages = func(ctx context.Context, p protocol.DiscoverPayload,
		page func(context.Context, []protocol.DiscoverAsset, int) error) (protocol.DiscoverCounts, error) {
		got = p
		for i := range 3 {
			if i == 2 {
				f.w.setDown(true)
			}
			assets := []protocol.DiscoverAsset{{IP: "10.0.0." + strconv.Itoa(i+1), Alive: true}}
			if err := page(ctx, assets, (i+1)*10); err != nil {
				return protocol.DiscoverCounts{}, err
			}
		}
		f.w.setDown(false)
		return protocol.DiscoverCounts{Assets: 3, Pages: 3, Scanned: 30}, nil
	}
	payload := protocol.DiscoverPayload{Plugin: "breeze.netsweep", Targets: []string{"10.0.0.0/27"}, Stream: true,
		Secrets: map[string]string{"community": "c"}}
	e.Handle(ctx, cmd(t, "d3", protocol.ActionDiscover, payload, 20))
	r := f.w.next(t)
	var counts protocol.DiscoverCounts
	if err := json.Unmarshal(r.Data, &counts); err != nil || r.Status != protocol.ResultSucceeded || counts.Pages != 3 ||
		counts.Scanned != 30 || !strings.Contains(r.Stdout, "1 pages not delivered") {
		t.Fatalf("%+v %v", r, err)
	}
	if got.Secrets["community"] != "c" || !got.Stream {
		t.Fatalf("payload %+v", got)
	}
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if len(f.w.pages) != 2 {
		t.Fatalf("%d pages sent", len(f.w.pages))
	}
	for i, p := range f.w.pages {
		if p.Type != protocol.TypeDiscoverPage || p.CommandID != "d3" || p.Seq != i+1 || p.Scanned != (i+1)*10 || len(p.Assets) != 1 {
			t.Fatalf("page %d: %+v", i, p)
		}
	}
}
