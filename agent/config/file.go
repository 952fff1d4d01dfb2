package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// maxFileSize bounds what Load reads; a real config is a few hundred bytes.
const maxFileSize = 64 << 10

// ErrNotEnrolled wraps fs.ErrNotExist when there is no config yet.
var ErrNotEnrolled = errors.New("agent is not enrolled")

// ErrInsecure is returned when the file is readable by group or others.
var ErrInsecure = errors.New("config file permissions are too open")

// fileV1 is the on-disk form. It is separate from Config so the token is a
// plain string only here, in the one encoding meant to carry it.
type fileV1 struct {
	Version             int       `json:"version"`
	ServerURL           string    `json:"serverUrl"`
	ServerURLs          []string  `json:"serverUrls,omitempty"`
	PushedServerURLs    []string  `json:"pushedServerUrls,omitempty"`
	DeviceID            string    `json:"deviceId"`
	AgentToken          string    `json:"agentToken"`
	OrgID               string    `json:"orgId,omitempty"`
	SiteID              string    `json:"siteId,omitempty"`
	EnrolledAt          time.Time `json:"enrolledAt,omitzero"`
	HeartbeatIntervalMs int64     `json:"heartbeatIntervalMs,omitempty"`
	FileRoots           []string  `json:"fileRoots,omitempty"`
	StateDir            string    `json:"stateDir,omitempty"`
	PluginTrustedKeys   []string  `json:"pluginTrustedKeys,omitempty"`
	AllowUnsigned       bool      `json:"allowUnsignedPlugins,omitempty"`
	PluginDevDir        string    `json:"pluginDevDir,omitempty"`
	ReleaseKeys         []string  `json:"releaseKeys,omitempty"`
	UpdateTrialSeconds  int       `json:"updateTrialSeconds,omitempty"`
}

// Load reads and validates the config at path. It refuses a file that group
// or others can access, because it holds the agent's credential.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: no config at %s (run `breeze-agent enroll --server URL --key-file FILE` first): %w",
			ErrNotEnrolled, path, err)
	}
	if err != nil {
		return Config{}, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat() // the opened file, not the path: no swap in between
	if err != nil {
		return Config{}, fmt.Errorf("stat config: %w", err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return Config{}, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return Config{}, fmt.Errorf("config %s is larger than %d bytes", path, maxFileSize)
	}
	var v fileV1
	if err := json.Unmarshal(data, &v); err != nil {
		return Config{}, fmt.Errorf("config %s is not valid JSON: %w", path, err)
	}
	if v.Version != 1 {
		return Config{}, fmt.Errorf("config %s has version %d; this agent reads version 1", path, v.Version)
	}
	c := Config{
		ServerURL:         v.ServerURL,
		ServerURLs:        v.ServerURLs,
		PushedServerURLs:  v.PushedServerURLs,
		DeviceID:          v.DeviceID,
		AgentToken:        Secret(v.AgentToken),
		OrgID:             v.OrgID,
		SiteID:            v.SiteID,
		EnrolledAt:        v.EnrolledAt,
		HeartbeatInterval: time.Duration(v.HeartbeatIntervalMs) * time.Millisecond,
		FileRoots:         v.FileRoots,
		StateDir:          v.StateDir,

		PluginTrustedKeys:    v.PluginTrustedKeys,
		AllowUnsignedPlugins: v.AllowUnsigned,
		PluginDevDir:         v.PluginDevDir,
		ReleaseKeys:          v.ReleaseKeys,
		UpdateTrial:          time.Duration(v.UpdateTrialSeconds) * time.Second,
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Save validates c and writes it atomically to path (0600, directory 0700).
func Save(path string, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(fileV1{
		Version:             1,
		ServerURL:           c.ServerURL,
		ServerURLs:          c.ServerURLs,
		PushedServerURLs:    c.PushedServerURLs,
		DeviceID:            c.DeviceID,
		AgentToken:          c.AgentToken.Reveal(),
		OrgID:               c.OrgID,
		SiteID:              c.SiteID,
		EnrolledAt:          c.EnrolledAt,
		HeartbeatIntervalMs: c.HeartbeatInterval.Milliseconds(),
		FileRoots:           c.FileRoots,
		StateDir:            c.StateDir,
		PluginTrustedKeys:   c.PluginTrustedKeys,
		AllowUnsigned:       c.AllowUnsignedPlugins,
		PluginDevDir:        c.PluginDevDir,
		ReleaseKeys:         c.ReleaseKeys,
		UpdateTrialSeconds:  int(c.UpdateTrial / time.Second),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}
