package enroll

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// EnvKey carries the enrollment key without putting it on the command line.
const EnvKey = "BREEZE_ENROLLMENT_KEY"

// KeyInput are the places an enrollment key can come from. --key is
// convenient for a copy-pasted install command but is visible in the process
// list while enrollment runs; --key-file and $BREEZE_ENROLLMENT_KEY are not.
type KeyInput struct {
	Flag string // --key
	File string // --key-file
	Env  string // $BREEZE_ENROLLMENT_KEY
}

// ErrNoKey means no source gave a key.
var ErrNoKey = errors.New("no enrollment key: pass --key-file FILE, set " + EnvKey + ", or --key KEY")

// ResolveKey returns the key from exactly one of the sources: --key and
// --key-file together are refused (ambiguous); the environment is used only
// when neither flag is given.
func ResolveKey(in KeyInput) (string, error) {
	if in.Flag != "" && in.File != "" {
		return "", errors.New("give either --key or --key-file, not both")
	}
	var key string
	switch {
	case in.File != "":
		raw, err := os.ReadFile(in.File)
		if err != nil {
			return "", fmt.Errorf("read enrollment key file: %w", err)
		}
		key = string(raw)
	case in.Flag != "":
		key = in.Flag
	default:
		key = in.Env
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", ErrNoKey
	}
	if len(key) > 1024 || strings.ContainsAny(key, " \t\r\n") {
		return "", errors.New("enrollment key is malformed (whitespace inside or too long)")
	}
	return key, nil
}
