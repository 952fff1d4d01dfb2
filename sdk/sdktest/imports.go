package sdktest

import (
	"os/exec"
	"strings"
	"testing"
)

// BreezeModule is the server's module path; plugins may import only the SDK from it.
const BreezeModule = "github.com/breeze-rmm/breeze"

// OnlySDKImports fails unless the package in the current directory depends
// (transitively) on nothing of Breeze's but the SDK: a first-party plugin
// must be exactly what a community plugin can be.
func OnlySDKImports(t *testing.T) {
	t.Helper()
	self, err := exec.Command("go", "list", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	me := strings.TrimSpace(string(self))
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == me || !strings.HasPrefix(pkg, BreezeModule+"/") {
			continue
		}
		if pkg != BreezeModule+"/sdk" && !strings.HasPrefix(pkg, BreezeModule+"/sdk/") {
			t.Errorf("%s depends on %s; plugins may import only %s/sdk/...", me, pkg, BreezeModule)
		}
	}
}
