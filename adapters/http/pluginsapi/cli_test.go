package pluginsapi_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// changeLog records the announcements of a service (plugins.Changes).
type changeLog struct {
	mu   sync.Mutex
	n    int
	orgs []string
}

func (c *changeLog) PluginsChanged(_ context.Context, orgs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.orgs = append(c.orgs, orgs...)
}

// cliService is the service as `breeze plugin` builds it: the server's
// database and data directory, no runtime, no agent links, an announcer.
func (e *env) cliService(t *testing.T, changes plugins.Changes) *plugins.Service {
	t.Helper()
	pub := e.Key.Public()
	svc, err := plugins.New(plugins.Deps{
		Store:    e.Store,
		Packages: &pluginserver.Packages{Trusted: trustedOf(pub)},
		Sealer:   e.box(t), Changes: changes, DataDir: e.DataDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestCLIChangesAnnouncedAndTestOfStoppedPlugin: an install and enable
// made by the CLI are announced (the server reconciles on it); before the
// server has started the plugin, Test answers 409 naming its state (it was
// a 500); after the reconcile the plugin runs and Test answers.
func TestCLIChangesAnnouncedAndTestOfStoppedPlugin(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.platformToken(t)
	changes := &changeLog{}
	cli := e.cliService(t, changes)
	ctx := context.Background()
	dir := pluginDir(t, repoRoot+"/plugins/webhook/plugin.json", "./plugins/webhook", "", nil)
	if _, err := cli.Install(ctx, domain.GlobalScope(), plugins.InstallOptions{By: "cli"}, bytes.NewReader(packed(t, dir, e.Key))); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Enable(ctx, domain.GlobalScope(), "breeze.webhook"); err != nil {
		t.Fatal(err)
	}
	if changes.n != 2 {
		t.Fatalf("CLI announcements = %d, want 2 (install, enable)", changes.n)
	}
	orgA := e.Seed.A.Orgs[0]
	code, _ := e.Do(t, "PUT", "/api/v1/plugins/breeze.webhook/orgs/"+orgA.ID, tok, map[string]any{"enabled": true,
		"settings": map[string]any{"url": "https://hook.example/x", "secret": "s3cret-hmac-key-value"}})
	mustStatus(t, "org settings", code, 200, nil)
	code, body := e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", tok, map[string]any{"orgId": orgA.ID})
	mustStatus(t, "test before the server started it", code, 409, body)
	if msg, _ := body["message"].(string); !strings.Contains(toJSON(body), "stopped") {
		t.Fatalf("409 does not name the state: %v %s", body, msg)
	}
	// What the server does on the announcement.
	if err := e.Svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	code, body = e.Do(t, "GET", "/api/v1/plugins/breeze.webhook", tok, nil)
	if code != 200 || body["state"] != "running" {
		t.Fatalf("after the reconcile: %d %v", code, body)
	}
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", tok, map[string]any{"orgId": orgA.ID})
	mustStatus(t, "test once running", code, 200, body)
}

// TestCLIAgentChangesPushedByTheServer: an agent-side plugin enabled or
// removed by the CLI (which has no agent links) names the orgs to push in
// its announcement; the server pushes them (PushOrgs).
func TestCLIAgentChangesPushedByTheServer(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.RequireAgents(t)
	tok := e.platformToken(t)
	ctx := context.Background()
	code, body := e.upload(t, tok, packed(t, pluginDir(t, repoRoot+"/plugins/failedunits/plugin.json", "./plugins/failedunits", "", nil), e.Key))
	mustStatus(t, "install collector", code, 201, body)
	orgA := e.Seed.A.Orgs[0]
	code, _ = e.Do(t, "PUT", "/api/v1/plugins/breeze.failedunits/orgs/"+orgA.ID, tok, map[string]any{"enabled": true})
	mustStatus(t, "enable for org A1", code, 200, nil)
	devA, _ := e.NewDevice(t, e.Seed.A, 0, "host-a")
	before := e.Pushed.count(devA)

	changes := &changeLog{}
	cli := e.cliService(t, changes)
	if _, err := cli.Enable(ctx, domain.GlobalScope(), "breeze.failedunits"); err != nil {
		t.Fatal(err)
	}
	if len(changes.orgs) != 1 || changes.orgs[0] != orgA.ID {
		t.Fatalf("announced orgs = %v, want [%s]", changes.orgs, orgA.ID)
	}
	e.Svc.PushOrgs(ctx, changes.orgs)
	frame, _ := e.Pushed.last(devA).(protocol.Plugins)
	if e.Pushed.count(devA) != before+1 || len(frame.Plugins) != 1 {
		t.Fatalf("push after the CLI's enable: %d frames, last %+v", e.Pushed.count(devA)-before, frame)
	}
	changes.orgs = nil
	if err := cli.Remove(ctx, domain.GlobalScope(), "breeze.failedunits"); err != nil {
		t.Fatal(err)
	}
	e.Svc.PushOrgs(ctx, changes.orgs)
	if frame, _ := e.Pushed.last(devA).(protocol.Plugins); len(changes.orgs) != 1 || len(frame.Plugins) != 0 {
		t.Fatalf("after the CLI's remove: orgs %v, frame %+v", changes.orgs, frame)
	}
}
