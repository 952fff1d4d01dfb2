package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Paths of the binaries TestMain builds.
var (
	serverBin string
	agentBin  string
	simBin    string
)

// TestMain builds the server and the agent once for every test.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "breeze-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "breeze")
	agentBin = filepath.Join(dir, "breeze-agent")
	simBin = filepath.Join(dir, "breeze-sim")
	for bin, pkg := range map[string]string{
		serverBin: "github.com/breeze-rmm/breeze/cmd/breeze",
		agentBin:  "github.com/breeze-rmm/breeze/cmd/breeze-agent",
		simBin:    "github.com/breeze-rmm/breeze/cmd/breeze-sim",
	} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		if bin == agentBin { // the agent as it ships: the flags live in one script
			cmd = exec.Command("bash", "../../scripts/agent-build.sh", bin)
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n", pkg, err)
			return 1
		}
	}
	return m.Run()
}
