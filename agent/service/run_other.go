//go:build !windows

package service

import "context"

// RunService is for the Windows service manager; elsewhere the service
// manager runs the agent like a console program (handled=false).
func RunService(func(ctx context.Context) error) (handled bool, err error) { return false, nil }
