// Package templates holds one starting plugin per kind (collector,
// alertchannel, scanner, scriptruntime): a main.go, its conformance test
// and a plugin.json. `breeze-plugin init` copies one into a new module;
// each is also an ordinary package main, built and tested with the SDK.
package templates

import "embed"

// FS holds every template, by kind directory.
//
//go:embed collector alertchannel scanner scriptruntime
var FS embed.FS

// Kinds are the template directories, one per plugin kind.
var Kinds = []string{"collector", "alertchannel", "scanner", "scriptruntime"}
