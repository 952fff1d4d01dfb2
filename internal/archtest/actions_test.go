package archtest

import (
	"os"
	"regexp"
	"slices"
	"testing"

	agentcommands "github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/core/app/commands/actions"
)

// tableEntry is a top-level key of ACTIONS in web/src/api/actions.ts.
var tableEntry = regexp.MustCompile(`(?m)^  ([a-z_]+): \{`)

// The three action tables agree: every action the server accepts has a
// handler on the agent and an entry in the dashboard, and nothing more.
func TestActionTablesAgree(t *testing.T) {
	server, agent := actions.Names(), agentcommands.Actions()
	src, err := os.ReadFile("../../web/src/api/actions.ts")
	if err != nil {
		t.Fatal(err)
	}
	var web []string
	for _, m := range tableEntry.FindAllStringSubmatch(string(src), -1) {
		web = append(web, m[1])
	}
	slices.Sort(web)
	if len(server) < 10 || !slices.Equal(server, agent) || !slices.Equal(server, web) {
		t.Fatalf("action tables differ:\n server %v\n agent  %v\n web    %v", server, agent, web)
	}
}
