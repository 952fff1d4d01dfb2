package archtest

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/breeze-rmm/breeze"

// serverDrivers are the server's frameworks and drivers: nothing outside
// the server's adapters and composition root may reach them.
var serverDrivers = []string{
	"github.com/gin-gonic/",
	"github.com/jackc/",
	"github.com/redis/",
	"github.com/hibiken/asynq",
	"modernc.org/sqlite",
	"github.com/pressly/goose",
	"github.com/golang-jwt/",
	"github.com/prometheus/",
}

// forbidden are import-path prefixes that core/ and ports/ must never reach,
// directly or through another package.
var forbidden = append([]string{
	module + "/adapters",
	module + "/agent",
	module + "/cmd",
	module + "/web",
	module + "/internal",
	module + "/plugins",
	"github.com/gorilla/websocket",
	"github.com/hashicorp/go-plugin",
	"github.com/shirou/gopsutil",
	"github.com/creack/pty",
}, serverDrivers...)

// serverCode is what the agent and the packages it shares with the server
// (protocol/, pluginhost/, logging/) must never reach: the server's core,
// ports, adapters, composition root and drivers.
var serverCode = append([]string{
	module + "/core/",
	module + "/ports",
	module + "/adapters/",
	module + "/internal/",
	module + "/cmd/breeze/", // the server's command (the trailing slash spares cmd/breeze-agent)
}, serverDrivers...)

// agentPlatforms are the GOOS values the agent ships for; platform files
// (service installers, process handling) differ between them.
var agentPlatforms = []string{"linux", "darwin", "windows"}

// violations lists the packages matching a forbidden prefix that the given
// patterns depend on when built for goos ("" for this machine's).
func violations(t *testing.T, forbidden []string, goos string, patterns ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-test=false", "-f", "{{.ImportPath}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	if goos != "" {
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v (GOOS=%q): %v\n%s", patterns, goos, err, out)
	}
	var bad []string
	for _, p := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			// A prefix ending in "/" names a package and everything under it.
			if strings.HasPrefix(p+"/", f) {
				bad = append(bad, p)
				break
			}
		}
	}
	return bad
}

func TestCoreAndPortsStayPure(t *testing.T) {
	if bad := violations(t, forbidden, "", "./core/...", "./ports/..."); len(bad) > 0 {
		t.Fatalf("core/ and ports/ must not depend on adapters, frameworks or drivers; found:\n  %s",
			strings.Join(bad, "\n  "))
	}
}

// The agent is a stand-alone program: it links no server code, on any of
// its platforms.
func TestAgentLinksNoServerCode(t *testing.T) {
	for _, goos := range agentPlatforms {
		if bad := violations(t, serverCode, goos, "./agent/...", "./cmd/breeze-agent"); len(bad) > 0 {
			t.Errorf("GOOS=%s: agent/ and cmd/breeze-agent must not depend on the server's core, ports, adapters or internal packages; found:\n  %s",
				goos, strings.Join(bad, "\n  "))
		}
	}
}

// What the agent and the server share must itself stay free of server code,
// or the agent would link it through them.
func TestSharedPackagesLinkNoServerCode(t *testing.T) {
	shared := []string{"./protocol/...", "./pluginhost/...", "./logging/..."}
	for _, goos := range agentPlatforms {
		if bad := violations(t, append(serverCode, module+"/agent/"), goos, shared...); len(bad) > 0 {
			t.Errorf("GOOS=%s: protocol/, pluginhost/ and logging/ must not depend on server or agent packages; found:\n  %s",
				goos, strings.Join(bad, "\n  "))
		}
	}
}

// The checker itself must be able to see a violation: sqlmigrate imports
// goose; pluginserver maps plugins onto ports and core types; the server's
// command reaches everything.
func TestCheckerDetectsAViolation(t *testing.T) {
	if bad := violations(t, forbidden, "", "./adapters/sqlmigrate"); len(bad) == 0 {
		t.Fatal("expected the checker to flag goose under adapters/sqlmigrate")
	}
	bad := violations(t, serverCode, "", "./adapters/pluginserver")
	if !slices.Contains(bad, module+"/ports") || !slices.Contains(bad, module+"/core/app/plugins") {
		t.Fatalf("expected the server-code rule to flag ports and core/app/plugins under adapters/pluginserver, got %v", bad)
	}
	bad = violations(t, serverCode, "windows", "./cmd/breeze")
	if !slices.Contains(bad, module+"/cmd/breeze") || !slices.Contains(bad, module+"/internal/server") {
		t.Fatalf("expected the server-code rule to flag cmd/breeze and internal/server, got %v", bad)
	}
	if bad := violations(t, serverCode, "", "./cmd/breeze-agent"); slices.Contains(bad, module+"/cmd/breeze-agent") {
		t.Fatal("cmd/breeze/ must not match cmd/breeze-agent")
	}
}
