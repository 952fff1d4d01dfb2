package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/breeze-rmm/breeze"

// forbidden are import-path prefixes that core/ and ports/ must never reach,
// directly or through another package.
var forbidden = []string{
	module + "/adapters",
	module + "/agent",
	module + "/cmd",
	module + "/web",
	module + "/internal",
	module + "/plugins",
	"github.com/gin-gonic/",
	"github.com/jackc/",
	"github.com/redis/",
	"github.com/hibiken/asynq",
	"github.com/gorilla/websocket",
	"modernc.org/sqlite",
	"github.com/hashicorp/go-plugin",
	"github.com/shirou/gopsutil",
	"github.com/creack/pty",
	"github.com/pressly/goose",
	"github.com/golang-jwt/",
}

// violations lists the forbidden packages that the given patterns depend on.
func violations(t *testing.T, patterns ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-test=false", "-f", "{{.ImportPath}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", patterns, err, out)
	}
	var bad []string
	for _, p := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(p, f) {
				bad = append(bad, p)
			}
		}
	}
	return bad
}

func TestCoreAndPortsStayPure(t *testing.T) {
	if bad := violations(t, "./core/...", "./ports/..."); len(bad) > 0 {
		t.Fatalf("core/ and ports/ must not depend on adapters, frameworks or drivers; found:\n  %s",
			strings.Join(bad, "\n  "))
	}
}

// The checker itself must be able to see a violation: sqlmigrate imports goose.
func TestCheckerDetectsAViolation(t *testing.T) {
	if bad := violations(t, "./adapters/sqlmigrate"); len(bad) == 0 {
		t.Fatal("expected the checker to flag goose under adapters/sqlmigrate")
	}
}
