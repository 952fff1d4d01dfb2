package conditions

import (
	"encoding/json"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// DeviceOffline is "the device has not been in contact for Minutes".
type DeviceOffline struct {
	Minutes int `json:"minutes"`
}

// MaxOfflineMinutes bounds the wait (30 days).
const MaxOfflineMinutes = 30 * 24 * 60

func init() {
	Register(Kind{Name: "device_offline", Compile: func(raw json.RawMessage) (Condition, json.RawMessage, error) {
		var p DeviceOffline
		if err := decodeStrict(raw, &p); err != nil {
			return nil, nil, err
		}
		if p.Minutes < 1 || p.Minutes > MaxOfflineMinutes {
			return nil, nil, domain.Invalidf("minutes must be within 1..%d", MaxOfflineMinutes)
		}
		norm, _ := json.Marshal(p)
		return offline(time.Duration(p.Minutes) * time.Minute), norm, nil
	}})
}

type offline time.Duration

func (offline) condition()             {}
func (o offline) After() time.Duration { return time.Duration(o) }
