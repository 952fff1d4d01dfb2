package protocol

// Dir is the direction a frame type travels.
type Dir uint8

const (
	ToServer Dir = 1 << iota // agent → server
	ToAgent                  // server → agent
	Both     = ToServer | ToAgent
)

// Route names the part of each program that handles a frame type: the
// link itself, or one kind of remote work.
type Route uint8

const (
	RouteLink     Route = iota // hello, welcome, heartbeat, ping, ... (the link's own)
	RouteCommand               // the command pipeline and the agent's executor
	RouteTerminal              // terminal sessions
	RouteFile                  // file transfers
	RoutePlugins               // agent-side plugin offers and states (the link's own too)
)

// FrameSpec is a frame type's place in the protocol.
type FrameSpec struct {
	Dir   Dir
	Route Route
}

// Remote reports whether the frame is remote work (a command, terminal or
// file frame): each side hands it to its remote-work handler, and the
// server counts it against the stream frame limit, not the telemetry one
// (a terminal or a download legitimately sends many frames).
func (f FrameSpec) Remote() bool {
	return f.Route == RouteCommand || f.Route == RouteTerminal || f.Route == RouteFile
}

// From reports whether the frame may travel in direction d.
func (f FrameSpec) From(d Dir) bool { return f.Dir&d != 0 }

// frames is the routing table of every frame type: a new frame type is
// one entry here, plus its handler where its Route is served.
var frames = map[string]FrameSpec{
	TypeHello:        {ToServer, RouteLink},
	TypeHeartbeat:    {ToServer, RouteLink},
	TypeInventory:    {ToServer, RouteLink},
	TypePong:         {ToServer, RouteLink},
	TypeWelcome:      {ToAgent, RouteLink},
	TypePing:         {ToAgent, RouteLink},
	TypeError:        {ToAgent, RouteLink},
	TypePlugins:      {ToAgent, RoutePlugins},
	TypePluginStates: {ToServer, RoutePlugins},
	TypeWatch:        {ToAgent, RouteLink},
	TypeWatchReport:  {ToServer, RouteCommand}, // served by discovery through the remote router
	TypeUpdate:       {ToAgent, RouteLink},
	TypeUpdateResult: {ToServer, RouteCommand}, // served by core/app/updates through the remote router
	TypeCertRequest:  {ToServer, RouteLink},
	TypeCertIssued:   {ToAgent, RouteLink},
	TypeCertRenew:    {ToAgent, RouteLink},

	TypeCommand:       {ToAgent, RouteCommand},
	TypeCommandCancel: {ToAgent, RouteCommand},
	TypeCommandStored: {ToAgent, RouteCommand},
	TypeCommandAck:    {ToServer, RouteCommand},
	TypeCommandResult: {ToServer, RouteCommand},
	TypeDiscoverPage:  {ToServer, RouteCommand}, // a streaming discover's results

	TypeTerminalOpen:   {ToAgent, RouteTerminal},
	TypeTerminalInput:  {ToAgent, RouteTerminal},
	TypeTerminalResize: {ToAgent, RouteTerminal},
	TypeTerminalClose:  {ToAgent, RouteTerminal},
	TypeTerminalOutput: {ToServer, RouteTerminal},
	TypeTerminalClosed: {ToServer, RouteTerminal},

	TypeFileUpload:   {ToAgent, RouteFile},
	TypeFileDownload: {ToAgent, RouteFile},
	TypeFileReady:    {ToServer, RouteFile},
	TypeFileDone:     {ToServer, RouteFile},
	TypeFileChunk:    {Both, RouteFile},
	TypeFileAck:      {Both, RouteFile},
	TypeFileAbort:    {Both, RouteFile},
}

// Frame returns the frame type's spec; ok is false for a type this
// build does not know.
func Frame(typ string) (spec FrameSpec, ok bool) {
	spec, ok = frames[typ]
	return spec, ok
}

// RemoteFrom reports whether typ is a remote-work frame that may travel
// in direction d.
func RemoteFrom(typ string, d Dir) bool {
	spec, ok := frames[typ]
	return ok && spec.Remote() && spec.From(d)
}

// FrameTypes lists every frame type (for tests and docs), unsorted.
func FrameTypes() []string {
	out := make([]string, 0, len(frames))
	for t := range frames {
		out = append(out, t)
	}
	return out
}
