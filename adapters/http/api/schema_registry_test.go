package api

import (
	"reflect"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
)

// The command request's action enum and payload description come from the
// action registry.
func TestCommandSchemaFollowsTheActionRegistry(t *testing.T) {
	g := newSchemas()
	g.ref(reflect.TypeFor[CreateCommandRequest](), true)
	props := g.defs["CreateCommandRequest"]["properties"].(map[string]any)
	action := props["action"].(map[string]any)
	if !reflect.DeepEqual(action["enum"], actions.Names()) || !contains(actions.Names(), "uptime") {
		t.Fatalf("action enum %v, registry %v", action["enum"], actions.Names())
	}
	doc, _ := props["payload"].(map[string]any)["description"].(string)
	if !strings.Contains(doc, "kill_process {pid, signal?}") || !strings.Contains(doc, "run_script {language") {
		t.Fatalf("payload description %q", doc)
	}
}
