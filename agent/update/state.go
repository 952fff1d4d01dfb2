package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/breeze-rmm/breeze/agent/config"
)

// Phases of the state file.
const (
	phaseTrial  = "trial"  // the new build was installed and must link in time
	phaseReport = "report" // a result waits to be sent (Result)
)

// state is the update's record on disk (update.json in the state dir): it
// is what the restarted process reads to know it is on trial.
type state struct {
	Phase     string    `json:"phase"`
	RolloutID string    `json:"rolloutId"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Deadline  time.Time `json:"deadline,omitzero"` // set by the first start on trial
	Trial     int64     `json:"trialMs"`
	Starts    int       `json:"starts"`
	// The result to send when Phase is phaseReport.
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

func loadState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read update state: %w", err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("update state %s is not valid JSON: %w", path, err)
	}
	return &s, nil
}

func saveState(path string, s *state) error {
	if s == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear update state: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(path, data)
}
