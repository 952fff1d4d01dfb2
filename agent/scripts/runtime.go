package scripts

import (
	"context"
	"os/exec"
	"sort"
	"sync"
)

// Runtime turns a script file into a command. Plugins implement it too.
type Runtime interface {
	Name() string // the language name in RunScriptPayload.Language
	// Available reports whether the runtime can run scripts here.
	Available() bool
	// FileExt is the script file's extension (".ps1"), or "".
	FileExt() string
	// Command returns the command that runs scriptPath with args. The
	// Runner sets its environment, I/O, process group and credentials.
	Command(ctx context.Context, scriptPath string, args []string) (*exec.Cmd, error)
}

// Interpreter is a runtime that runs `Path [Flags...] script args...`,
// found on PATH by Binary.
type Interpreter struct {
	Lang   string
	Binary string   // looked up on PATH
	Flags  []string // before the script path
	Ext    string

	once sync.Once
	path string
}

func (i *Interpreter) Name() string    { return i.Lang }
func (i *Interpreter) FileExt() string { return i.Ext }

func (i *Interpreter) resolve() string {
	i.once.Do(func() {
		if p, err := exec.LookPath(i.Binary); err == nil {
			i.path = p
		}
	})
	return i.path
}

func (i *Interpreter) Available() bool { return i.resolve() != "" }

func (i *Interpreter) Command(ctx context.Context, scriptPath string, args []string) (*exec.Cmd, error) {
	p := i.resolve()
	if p == "" {
		return nil, exec.ErrNotFound
	}
	argv := append(append(append([]string{}, i.Flags...), scriptPath), args...)
	return exec.CommandContext(ctx, p, argv...), nil
}

// Builtin returns the built-in runtimes (available or not).
func Builtin() []Runtime {
	return []Runtime{
		&Interpreter{Lang: "sh", Binary: "sh"},
		&Interpreter{Lang: "bash", Binary: "bash"},
		&Interpreter{Lang: "python3", Binary: "python3", Flags: []string{"-I"}, Ext: ".py"},
		&Interpreter{Lang: "pwsh", Binary: "pwsh", Flags: []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-File"}, Ext: ".ps1"},
	}
}

// Registry holds runtimes by name; safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Runtime
}

// NewRegistry returns a registry with rts (later ones win on a name clash).
func NewRegistry(rts ...Runtime) *Registry {
	r := &Registry{m: map[string]Runtime{}}
	for _, rt := range rts {
		r.Add(rt)
	}
	return r
}

// Add registers rt under its name (plugins call it).
func (r *Registry) Add(rt Runtime) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[rt.Name()] = rt
}

// AddNew registers rt unless its name is taken (a plugin never replaces a
// built-in or another plugin's language); it reports whether it did.
func (r *Registry) AddNew(rt Runtime) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.m[rt.Name()]; taken {
		return false
	}
	r.m[rt.Name()] = rt
	return true
}

// Remove unregisters rt, only if it is still the one under its name.
func (r *Registry) Remove(rt Runtime) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.m[rt.Name()]; ok && cur == rt {
		delete(r.m, rt.Name())
	}
}

// Get returns the runtime for lang if it is registered and available.
func (r *Registry) Get(lang string) (Runtime, bool) {
	r.mu.RLock()
	rt, ok := r.m[lang]
	r.mu.RUnlock()
	if !ok || !rt.Available() {
		return nil, false
	}
	return rt, true
}

// Available lists the names of the available runtimes, sorted.
func (r *Registry) Available() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for name, rt := range r.m {
		if rt.Available() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
