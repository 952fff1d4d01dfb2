package sdk

import (
	"context"
	"encoding/json"
	"errors"
)

// LogLevel is the level of a line logged through Host.Log.
type LogLevel int

const (
	LogDebug LogLevel = iota + 1
	LogInfo
	LogWarn
	LogError
)

// ErrNoHost is returned by the Host of a plugin whose host serves no HostAPI.
var ErrNoHost = errors.New("sdk: host serves no HostAPI")

// Host is the narrow API a host gives a plugin: logging, the plugin's own
// settings and a key-value store scoped to the plugin. Hosts implement it
// (one value per plugin instance, which is what scopes it); plugins receive a
// client implementing it through HostAware.
type Host interface {
	Log(ctx context.Context, level LogLevel, msg string, fields map[string]string) error
	Settings(ctx context.Context) (json.RawMessage, error)
	KVGet(ctx context.Context, key string) (value []byte, found bool, err error)
	KVPut(ctx context.Context, key string, value []byte) error
	KVDelete(ctx context.Context, key string) error
	KVList(ctx context.Context, prefix string) ([]string, error)
}

// HostAware is implemented by plugins that want the Host. SetHost is called
// once, when the host initialises the plugin, before any kind call.
type HostAware interface {
	SetHost(Host)
}

// noHost answers ErrNoHost to everything.
type noHost struct{}

func (noHost) Log(context.Context, LogLevel, string, map[string]string) error { return ErrNoHost }
func (noHost) Settings(context.Context) (json.RawMessage, error)              { return nil, ErrNoHost }
func (noHost) KVGet(context.Context, string) ([]byte, bool, error)            { return nil, false, ErrNoHost }
func (noHost) KVPut(context.Context, string, []byte) error                    { return ErrNoHost }
func (noHost) KVDelete(context.Context, string) error                         { return ErrNoHost }
func (noHost) KVList(context.Context, string) ([]string, error)               { return nil, ErrNoHost }
func (noHost) HTTP(context.Context, HTTPRequest) (HTTPResponse, error) {
	return HTTPResponse{}, ErrNoHost
}
