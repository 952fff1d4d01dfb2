package domain

// RequireVersion checks the optimistic-concurrency version an edit carries:
// every edit must name the version it read, so a stale one is ErrConflict
// in the store instead of silently overwriting someone else's change.
func RequireVersion(v int64) error {
	if v <= 0 {
		return Invalidf("version is required: send the version you read")
	}
	return nil
}
