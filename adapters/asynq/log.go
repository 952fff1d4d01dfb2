package queueasynq

import (
	"fmt"

	"github.com/hashicorp/go-hclog"
)

// logger routes asynq's log lines to hclog. asynq's Fatal is logged as an
// error: a library does not end the process.
type logger struct{ l hclog.Logger }

func (l logger) Debug(args ...any) { l.l.Debug(fmt.Sprint(args...)) }
func (l logger) Info(args ...any)  { l.l.Debug(fmt.Sprint(args...)) }
func (l logger) Warn(args ...any)  { l.l.Warn(fmt.Sprint(args...)) }
func (l logger) Error(args ...any) { l.l.Error(fmt.Sprint(args...)) }
func (l logger) Fatal(args ...any) { l.l.Error(fmt.Sprint(args...)) }
