// Package logging builds the one hclog logger the server, the agent and the
// plugins share, so a plugin's lines join the host's in the same format.
package logging

import (
	"io"

	"github.com/hashicorp/go-hclog"
)

// New returns a logger named name at level ("info", "debug", ...) writing
// text or JSON to w.
func New(name, level, format string, w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:            name,
		Level:           hclog.LevelFromString(level),
		Output:          w,
		JSONFormat:      format == "json",
		IncludeLocation: false,
		TimeFormat:      "2006-01-02T15:04:05.000Z0700",
	})
}
