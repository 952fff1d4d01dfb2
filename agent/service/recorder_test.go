package service

import (
	"context"
	"errors"
	"strings"
)

// recorder stands in for running the service manager's commands: it
// records each, and fails those starting with fail (when set).
type recorder struct {
	calls []string
	fail  string
}

func (r *recorder) run(_ context.Context, name string, args ...string) error {
	call := name + " " + strings.Join(args, " ")
	r.calls = append(r.calls, call)
	if r.fail != "" && strings.HasPrefix(call, r.fail) {
		return errors.New(call + ": exit status 5")
	}
	return nil
}
