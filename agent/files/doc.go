// Package files runs the agent side of file transfers (docs/remote-work.md): uploads
// written to a temporary file beside the target and renamed into place only
// when size and SHA-256 match; downloads hashed first, then sent in chunks
// under a window of unacknowledged chunks. Paths are checked (absolute, no
// "..", no NUL, bounded length) and, when the config names allowed roots,
// must resolve, symlinks and all, inside one of them.
package files
