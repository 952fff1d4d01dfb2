//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// tb lets netlab's test-shaped API run in a program: Fatal panics with a
// failure that try turns into an error, cleanups run at teardown (last
// first), temporary directories are removed with them.
type tb struct {
	testing.TB // nil: only the methods below are called
	mu         sync.Mutex
	cleanups   []func()
}

type failure struct{ msg string }

func (t *tb) Helper()                   {}
func (t *tb) Logf(string, ...any)       {}
func (t *tb) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "netlab: "+f+"\n", a...) }
func (t *tb) Fatalf(f string, a ...any) { panic(failure{fmt.Sprintf(f, a...)}) }
func (t *tb) Fatal(a ...any)            { panic(failure{fmt.Sprint(a...)}) }
func (t *tb) Cleanup(f func())          { t.mu.Lock(); t.cleanups = append(t.cleanups, f); t.mu.Unlock() }

func (t *tb) TempDir() string {
	d, err := os.MkdirTemp("", "netlab-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// try runs fn and returns the failure it raised, if any.
func (t *tb) try(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = errors.New(f.msg)
		}
	}()
	fn()
	return nil
}

// cleanup runs the cleanups, last first.
func (t *tb) cleanup() {
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		_ = t.try(cs[i])
	}
}
