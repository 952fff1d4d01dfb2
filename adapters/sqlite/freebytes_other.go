//go:build !unix

package sqlite

// freeBytes is unknown here; the probe write still catches a full database.
func freeBytes(string) (uint64, bool) { return 0, false }
