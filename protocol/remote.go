package protocol

import (
	"encoding/json"
	"time"
)

// Remote-work frame types (docs/architecture.md §5, docs/remote-work.md). Every frame of a command, a
// terminal session or a file transfer carries that thing's id in Header.ID.
const (
	// server → agent
	TypeCommand        = "command"
	TypeCommandCancel  = "command_cancel" // stop a running command (ID); the agent reports cancelled
	TypeTerminalOpen   = "terminal_open"
	TypeTerminalInput  = "terminal_input"
	TypeTerminalResize = "terminal_resize"
	TypeTerminalClose  = "terminal_close"
	TypeFileUpload     = "file_upload"   // begins an upload to the device
	TypeFileDownload   = "file_download" // asks the device for a file
	TypeFileAbort      = "file_abort"    // either side gives up on a transfer
	// TypeCommandStored: the server stored the command's result; the agent
	// may forget it (until then it keeps it on disk and sends it again).
	TypeCommandStored = "command_stored"
	// agent → server
	TypeCommandAck     = "command_ack"
	TypeCommandResult  = "command_result"
	TypeTerminalOutput = "terminal_output"
	TypeTerminalClosed = "terminal_closed"
	TypeFileReady      = "file_ready" // download: size and hash, chunks follow
	TypeFileDone       = "file_done"  // upload: the file is written (or why not)
	// both ways
	TypeFileChunk = "file_chunk" // server → agent on upload, agent → server on download
	TypeFileAck   = "file_ack"   // the receiver took chunk Seq (flow control)
)

// Command actions built into the agent. Each has a Spec on the server
// (core/app/commands/actions) and a handler on the agent (agent/commands);
// later actions sit in their own file here (uptime.go, plugins.go).
const (
	ActionRunScript        = "run_script"
	ActionCollectInventory = "collect_inventory"
	ActionListProcesses    = "list_processes"
	ActionKillProcess      = "kill_process"
	ActionListServices     = "list_services"
	ActionRestartService   = "restart_service"
	ActionReboot           = "reboot"
	ActionUninstallAgent   = "uninstall_agent"
)

// DefaultOutputCap is the default cap on stdout and on stderr of a result.
const DefaultOutputCap = 1 << 20

// Command asks the agent to do something. Delivery is at least once: the
// agent remembers recent ids (on disk, across restarts) and answers a
// repeat with command_ack plus, when it finished, the stored
// command_result, without running it again.
type Command struct {
	Header                  // ID is the command id
	Action  string          `json:"action"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// TimeoutSeconds bounds the run; the agent kills the whole process
	// group when it passes and reports timed_out.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// OutputCap bounds stdout and stderr each, in bytes (0: DefaultOutputCap).
	OutputCap int `json:"outputCap,omitempty"`
}

// RunScriptPayload is run_script's payload. Parameters reach the script
// only through Env and Args (never spliced into a shell string).
type RunScriptPayload struct {
	Language string            `json:"language"` // sh, bash, python3, pwsh, or a plugin runtime
	Body     string            `json:"body"`
	Args     []string          `json:"args,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
	RunAs    string            `json:"runAs,omitempty"` // a user name; "" = the agent's user
	// SecretEnv and SecretArgs name the Env keys and Args indexes holding
	// secrets: the server redacts them once the command ends, and the
	// agent never logs them.
	SecretEnv  []string `json:"secretEnv,omitempty"`
	SecretArgs []int    `json:"secretArgs,omitempty"`
}

// KillProcessPayload is kill_process's payload.
type KillProcessPayload struct {
	PID    int    `json:"pid"`
	Signal string `json:"signal,omitempty"` // TERM (default) or KILL
}

// ServicePayload is restart_service's payload.
type ServicePayload struct {
	Name string `json:"name"`
}

// RebootPayload is reboot's payload.
type RebootPayload struct {
	DelaySeconds int `json:"delaySeconds,omitempty"`
}

// Command result statuses the agent reports.
const (
	ResultSucceeded = "succeeded"
	ResultFailed    = "failed"
	ResultTimedOut  = "timed_out"
	ResultCancelled = "cancelled"
)

// CommandAck tells the server the agent took the command (State
// "running"), or that it already finished it (State "done": the result
// frame follows).
type CommandAck struct {
	Header
	State string `json:"state"` // running | done
}

// CommandStored acknowledges a command_result the server has stored (or
// had stored before: a repeat is acknowledged again). Sent only to agents
// welcomed with ResultAcks.
type CommandStored struct {
	Header
}

// CommandResult is a command's outcome. Stdout and Stderr are each capped
// at the command's OutputCap; Truncated says a cap cut something. Data is
// an action's structured answer (list_processes, list_services, ...).
type CommandResult struct {
	Header
	Status     string          `json:"status"` // a Result* value
	ExitCode   *int            `json:"exitCode,omitempty"`
	Stdout     string          `json:"stdout,omitempty"`
	Stderr     string          `json:"stderr,omitempty"`
	Truncated  bool            `json:"truncated,omitempty"`
	Error      string          `json:"error,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	StartedAt  time.Time       `json:"startedAt"`
	FinishedAt time.Time       `json:"finishedAt"`
}

// Process is one entry of list_processes' Data (a JSON array).
type Process struct {
	PID        int32   `json:"pid"`
	PPID       int32   `json:"ppid"`
	Name       string  `json:"name"`
	User       string  `json:"user,omitempty"`
	CPUPercent float64 `json:"cpuPercent"`
	RSS        uint64  `json:"rss"`
	Cmdline    string  `json:"cmdline,omitempty"`
}

// Service is one entry of list_services' Data (a JSON array).
type Service struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	State       string `json:"state"` // running, stopped, failed, ...
	Enabled     bool   `json:"enabled"`
}

// Terminal frames. Data is raw bytes (base64 in JSON) because a PTY's
// output may split a UTF-8 sequence between reads.
type TerminalOpen struct {
	Header        // ID is the session id
	Cols   int    `json:"cols"`
	Rows   int    `json:"rows"`
	Shell  string `json:"shell,omitempty"` // "" = the user's login shell, else /bin/sh
	// IdleTimeoutSeconds: the agent closes the session after this long
	// without input (0: 30 minutes).
	IdleTimeoutSeconds int `json:"idleTimeoutSeconds,omitempty"`
}
type TerminalInput struct {
	Header
	Data []byte `json:"data"`
}
type TerminalResize struct {
	Header
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}
type TerminalClose struct{ Header }
type TerminalOutput struct {
	Header
	Data []byte `json:"data"`
}
type TerminalClosed struct {
	Header
	Reason   string `json:"reason,omitempty"` // exited, idle, refused, closed
	ExitCode *int   `json:"exitCode,omitempty"`
}

// MaxTerminalSessions bounds a device's concurrent terminal sessions.
const MaxTerminalSessions = 8

// FileChunkSize is the largest chunk of a transfer (base64 in a frame
// stays well below MaxServerFrame and the bus's payload limit).
const FileChunkSize = 256 << 10

// FileWindow is how many chunks may be in flight unacknowledged.
const FileWindow = 4

// FileUpload begins an upload: chunks of the file follow, then the agent
// answers file_done. The agent writes to a temporary file beside Path and
// renames it into place only once Size and SHA256 match.
type FileUpload struct {
	Header           // ID is the transfer id
	Path      string `json:"path"` // absolute, cleaned
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`         // hex
	Mode      uint32 `json:"mode,omitempty"` // 0: 0644
	Overwrite bool   `json:"overwrite"`
}

// FileDownload asks for a file; the agent answers file_ready then chunks,
// or file_abort.
type FileDownload struct {
	Header
	Path    string `json:"path"`
	MaxSize int64  `json:"maxSize"`
}

// FileReady announces a download's size and hash (computed before sending).
type FileReady struct {
	Header
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// FileChunk carries part of a file; Seq counts from 0.
type FileChunk struct {
	Header
	Seq  int    `json:"seq"`
	Data []byte `json:"data"`
	Last bool   `json:"last,omitempty"`
}

// FileAck acknowledges chunk Seq (and every one before it).
type FileAck struct {
	Header
	Seq int `json:"seq"`
}

// FileDone ends an upload: the file is in place with Size and SHA256, or
// Error says why not.
type FileDone struct {
	Header
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Error  string `json:"error,omitempty"`
}

// FileAbort gives up on a transfer.
type FileAbort struct {
	Header
	Error string `json:"error"`
}
