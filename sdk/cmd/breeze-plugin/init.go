package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/templates"
)

// nameRE is a new plugin's directory and binary name.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)

// sdkModule is the SDK's module path.
const sdkModule = "github.com/breeze-rmm/breeze/sdk"

// runInit makes a working plugin module from a template:
//
//	breeze-plugin init [--kind collector] [--id acme.name] [--module path] [--sdk DIR] [--no-tidy] NAME
//
// NAME is the new directory (and the binary's name). --sdk points at the
// SDK's directory (a Breeze checkout's sdk/); the SDK is not on a module
// proxy, so go.mod gets a replace to it. Without --sdk (or $BREEZE_SDK)
// go.mod names the SDK and the author adds the replace (docs/plugins.md).
func runInit(args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	kind := fs.String("kind", "collector", "plugin kind: "+strings.Join(templates.Kinds, ", "))
	id := fs.String("id", "", "plugin id (default example.NAME)")
	module := fs.String("module", "", "Go module path (default example.com/NAME)")
	sdkDir := fs.String("sdk", os.Getenv("BREEZE_SDK"), "the Breeze SDK directory (a checkout's sdk/) for go.mod's replace [$BREEZE_SDK]")
	noTidy := fs.Bool("no-tidy", false, "do not run go mod tidy")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("init: want exactly one NAME (the new plugin's directory)")
	}
	name := pos[0]
	if !slices.Contains(templates.Kinds, *kind) {
		return fmt.Errorf("unknown kind %q (one of %s)", *kind, strings.Join(templates.Kinds, ", "))
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("name %q: lower-case letters, digits and '-', starting with a letter, at most 41", name)
	}
	if *id == "" {
		*id = "example." + name
	}
	if *module == "" {
		*module = "example.com/" + name
	}
	if entries, err := os.ReadDir(name); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty", name)
	}
	sdk := ""
	if *sdkDir != "" {
		if sdk, err = filepath.Abs(*sdkDir); err != nil {
			return err
		}
		if b, err := os.ReadFile(filepath.Join(sdk, "go.mod")); err != nil || !bytes.Contains(b, []byte("module "+sdkModule+"\n")) {
			return fmt.Errorf("--sdk %s is not the Breeze SDK (no go.mod declaring %s)", sdk, sdkModule)
		}
	}
	if err := os.MkdirAll(name, 0o755); err != nil {
		return err
	}
	files, err := initFiles(*kind, name, *id, *module, sdk)
	if err != nil {
		return err
	}
	for path, data := range files {
		if err := os.WriteFile(filepath.Join(name, path), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("created %s: a %s plugin %s (module %s)\n", name, *kind, *id, *module)
	if sdk == "" {
		fmt.Printf("the SDK is not on a module proxy: add to %s/go.mod\n  replace %s => /path/to/breeze/sdk\nthen run go mod tidy\n", name, sdkModule)
		return nil
	}
	if !*noTidy {
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir, cmd.Stdout, cmd.Stderr = name, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go mod tidy in %s: %w", name, err)
		}
	}
	fmt.Printf("next: cd %s && make test && make pack\n", name)
	return nil
}

// initFiles renders the new module's files.
func initFiles(kind, name, id, module, sdk string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(templates.FS, kind, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := templates.FS.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") { // the template's display name becomes the plugin's
			data = bytes.ReplaceAll(data, []byte(`"my-`+kind+`"`), []byte(`"`+name+`"`))
		}
		out[filepath.Base(p)] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out["plugin.json"], &m); err != nil {
		return nil, fmt.Errorf("template manifest: %w", err)
	}
	m["id"], m["name"] = id, name
	m["executables"] = map[string]any{"linux-amd64": map[string]string{"path": "bin/linux-amd64/" + name, "sha256": ""}}
	if out["plugin.json"], err = json.MarshalIndent(m, "", "  "); err != nil {
		return nil, err
	}
	out["plugin.json"] = append(out["plugin.json"], '\n')

	gomod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire %s v0.0.0\n", module, goVersion(), sdkModule)
	if sdk != "" {
		gomod += fmt.Sprintf("\n// The SDK is not on a module proxy: build against a Breeze checkout's sdk/.\nreplace %s => %s\n", sdkModule, sdk)
	}
	out["go.mod"] = []byte(gomod)
	out["Makefile"] = []byte(strings.NewReplacer("@NAME@", name, "@ID@", id).Replace(makefileTemplate))
	out[".gitignore"] = []byte("bin/\ndist/\n*.key\n")
	return out, nil
}

// goVersion is the go directive: this toolchain's language version.
func goVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return "1.24"
}

// makefileTemplate drives the authoring loop; recipes use tabs.
const makefileTemplate = `# The authoring loop of @ID@ (made by breeze-plugin init).
#   make test         the conformance suite (in process, over real gRPC)
#   make build        the linux/amd64 binary the manifest names
#   make pack         build and pack a signed archive into dist/ (KEY=dev.key, made if missing)
#   make install-dev  install it into a local Breeze (breeze plugin install; run where the server's
#                     database is reachable, e.g. next to make run)
ID := @ID@
NAME := @NAME@
KEY ?= dev.key
VERSION := $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' plugin.json | head -n1)
ARCHIVE := dist/$(ID)-$(VERSION).tar.gz

.PHONY: test build pack install-dev
test:
	go test ./...

build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o bin/linux-amd64/$(NAME) .

$(KEY):
	breeze-plugin keygen $(basename $(KEY))

pack: build $(KEY)
	@mkdir -p dist
	breeze-plugin pack -key $(KEY) -o $(ARCHIVE) .

install-dev: pack
	breeze plugin install $(ARCHIVE)
`
