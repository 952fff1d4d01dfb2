//go:build linux

package pluginserver

import (
	"testing"

	"github.com/breeze-rmm/breeze/pluginhost/pluginhosttest"
)

func TestMain(m *testing.M) {
	pluginhosttest.Main(m, "../..", "./plugins/webhook", "./plugins/failedunits", "./plugins/email")
}

// installed copies a built first-party plugin into a directory the test
// owns (as the server does) and returns its path and SHA-256.
func installed(tb testing.TB, name string) (string, []byte) {
	tb.Helper()
	return pluginhosttest.Install(tb, name)
}
