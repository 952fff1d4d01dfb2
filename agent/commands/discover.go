package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionDiscover, task(func(ctx context.Context, e *Executor, c protocol.Command) (outcome, error) {
		var p protocol.DiscoverPayload
		if err := decodePayload(c, &p); err != nil {
			return outcome{}, err
		}
		if p.Stream {
			return discoverPages(ctx, e, c.ID, p)
		}
		if e.d.Discover == nil {
			return outcome{}, errors.New("this agent runs no plugins")
		}
		assets, note, err := e.d.Discover(ctx, p)
		if err != nil {
			return outcome{}, err
		}
		return outcome{data: assets, note: note}, nil
	}))
}

// discoverPages runs a streaming discover: each page goes to the server as
// a TypeDiscoverPage frame as soon as it is full, and the result carries
// the counts. A page the link cannot take is tried again for a while (the
// link may be coming back); one that never goes is counted in the result,
// whose Pages then exceeds what the server received: it marks the scan
// partial.
func discoverPages(ctx context.Context, e *Executor, id string, p protocol.DiscoverPayload) (outcome, error) {
	if e.d.DiscoverPages == nil {
		return outcome{}, errors.New("this agent runs no plugins")
	}
	seq := 0
	lost := 0
	counts, err := e.d.DiscoverPages(ctx, p, func(ctx context.Context, assets []protocol.DiscoverAsset, scanned int) error {
		seq++
		page := protocol.DiscoverPage{Header: protocol.Header{Type: protocol.TypeDiscoverPage}, CommandID: id, Seq: seq,
			Assets: assets, Scanned: scanned}
		if !e.sendPage(ctx, page) {
			lost++
		}
		return ctx.Err()
	})
	note := fmt.Sprintf("%d assets in %d pages, %d addresses scanned", counts.Assets, counts.Pages, counts.Scanned)
	if lost > 0 {
		note += fmt.Sprintf(" (%d pages not delivered)", lost)
	}
	return outcome{data: counts, note: note}, err
}

// pageRetry is how long a page waits for a link before it is given up.
var pageRetry = 30 * time.Second

// sendPage sends one page, trying again while no link takes it.
func (e *Executor) sendPage(ctx context.Context, page protocol.DiscoverPage) bool {
	deadline := time.Now().Add(pageRetry)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.d.Sender.Send(sctx, page)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			e.log.Warn("discover page not sent", "command_id", page.CommandID, "seq", page.Seq, "error", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
