package sdktest

import "testing"

// The suite against a built executable: the collector template, compiled
// and launched as a host launches it.
func TestCollectorConformanceBinary(t *testing.T) {
	CollectorConformanceBinary(t, Build(t, "../templates/collector"))
}
