package pluginhost

import (
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/breeze-rmm/breeze/sdk"
)

// instance is one launched plugin process.
type instance struct {
	client  *plugin.Client
	cmd     *exec.Cmd
	conn    *grpc.ClientConn // for health pings
	plugin  sdk.Plugin       // the sdk's typed client (implements the kind's interface)
	info    sdk.Info
	pid     int
	started time.Time
	panics  *panicCapture // the process's stderr, watched for a panic

	mu    sync.Mutex
	cause error         // why it was killed, set once
	dead  chan struct{} // closed by kill: the supervisor restarts it

	reapOnce sync.Once
	reaped   chan struct{} // closed when go-plugin has cleaned up
}

func newInstance(client *plugin.Client, cmd *exec.Cmd) *instance {
	return &instance{client: client, cmd: cmd, dead: make(chan struct{}), reaped: make(chan struct{})}
}

// kill hard-kills the process (and its process group) at once and records
// why; the first cause wins. It never blocks on the plugin.
func (i *instance) kill(cause error) {
	i.mu.Lock()
	first := i.cause == nil
	if first {
		i.cause = cause
		close(i.dead)
	}
	i.mu.Unlock()
	killProcess(i.cmd)
}

// why is the recorded cause, if any.
func (i *instance) why() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.cause
}

// reap lets go-plugin close its connections and wait for its goroutines.
// With grace > 0 it first asks the plugin to shut down cleanly and kills it
// if it is not gone after grace; with grace 0 it kills at once.
func (i *instance) reap(grace time.Duration) {
	i.reapOnce.Do(func() {
		if grace <= 0 {
			killProcess(i.cmd)
		}
		done := make(chan struct{})
		go func() { i.client.Kill(); close(done) }()
		if grace > 0 {
			t := time.NewTimer(grace)
			select {
			case <-done:
			case <-t.C:
				killProcess(i.cmd) // go-plugin's Close waits on a hung plugin forever
			}
			t.Stop()
		}
		<-done
		close(i.reaped)
	})
	<-i.reaped
}
