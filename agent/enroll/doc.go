// Package enroll trades a one-time enrollment key for this device's identity
// and agent token (POST /api/v1/agents/enroll). It is the only moment the
// agent holds the key; the token it gets back goes straight to the config
// file.
package enroll
