// Command breeze-agent is the Breeze agent that runs on each managed device.
//
// The live link (enroll, run, install, status) arrives with the agent-link
// work; until then the binary reports its version and says so plainly.
package main

import (
	"fmt"
	"os"
	"runtime"
)

// Version is set at build time.
var Version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Printf("breeze-agent %s %s/%s\n", Version, runtime.GOOS, runtime.GOARCH)
		return
	}
	fmt.Fprintln(os.Stderr, "breeze-agent: enroll, run, install and status are not available in this build yet; only `breeze-agent version` is")
	os.Exit(2)
}
