package scripts

import "github.com/breeze-rmm/breeze/core/domain"

// CheckParams validates parameter values for sc the way a run binds them
// (a bad value is domain.ErrInvalid): for callers that store values to run
// later (an alert rule's remediation).
func CheckParams(sc *domain.Script, values map[string]any) error {
	_, _, err := bind(sc, values)
	return err
}
