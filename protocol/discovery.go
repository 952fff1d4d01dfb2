package protocol

// Discovery results travel as pages: a scanner's findings for a large
// range (a /16) never fit one frame, so a streaming discover command
// sends them as TypeDiscoverPage frames while it runs, and its final
// result carries only counts (DiscoverCounts).

// TypeDiscoverPage (agent → server) is one page of a streaming discover
// command's results.
const TypeDiscoverPage = "discover_page"

// MaxDiscoverPageAssets bounds one page's assets; MaxDiscoverTargets one
// discover payload's targets (CIDRs, ranges or hosts).
const (
	MaxDiscoverPageAssets = 256
	MaxDiscoverTargets    = 4096
)

// DiscoverAsset is one host a scanner reported.
type DiscoverAsset struct {
	IP         string            `json:"ip"`
	Hostname   string            `json:"hostname,omitempty"`
	MAC        string            `json:"mac,omitempty"`
	Alive      bool              `json:"alive"`
	OpenPorts  []int             `json:"openPorts,omitempty"`
	RTTMs      float64           `json:"rttMs,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// DiscoverPage is the TypeDiscoverPage frame. Header.ID is empty; Seq
// counts the command's pages from 1 (a gap tells the server a page was
// lost); Scanned is how many target addresses the command has covered so
// far (monotonic, 0 when the plugin does not say).
type DiscoverPage struct {
	Header
	CommandID string          `json:"commandId"`
	Seq       int             `json:"seq"`
	Assets    []DiscoverAsset `json:"assets"`
	Scanned   int             `json:"scanned"`
}

// DiscoverCounts is a streaming discover command's result Data: what its
// pages carried.
type DiscoverCounts struct {
	Assets  int `json:"assets"`
	Pages   int `json:"pages"`
	Scanned int `json:"scanned"`
}
