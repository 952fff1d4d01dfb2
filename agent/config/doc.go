// Package config is the agent's one configuration file: where the server is,
// who this device is, and the agent token that proves it. The file is JSON,
// readable only by its owner (0600 in a 0700 directory), written atomically,
// and refused when group or others can read it. The token is a Secret, so it
// never shows up when a Config is printed or logged.
package config
