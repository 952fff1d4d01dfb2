package protocol

// ActionUptime asks how long the device has been up: no payload, result
// Data an UptimeResult.
const ActionUptime = "uptime"

// UptimeResult is uptime's Data.
type UptimeResult struct {
	Seconds uint64 `json:"seconds"`
}
