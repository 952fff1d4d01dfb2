package sdk

import (
	"fmt"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// Kind names what a plugin does. The string is used in plugin.json and as the
// go-plugin plugin-set key.
type Kind string

const (
	KindAlertChannel  Kind = "alert_channel"
	KindScanner       Kind = "scanner"
	KindScriptRuntime Kind = "script_runtime"
	KindCollector     Kind = "collector"
)

// Kinds lists every kind this SDK knows, in a stable order.
var Kinds = []Kind{KindAlertChannel, KindScanner, KindScriptRuntime, KindCollector}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// ParseKind checks s against the known kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		return "", fmt.Errorf("sdk: unknown plugin kind %q", s)
	}
	return k, nil
}

func (k Kind) toPB() pb.Kind {
	switch k {
	case KindAlertChannel:
		return pb.Kind_KIND_ALERT_CHANNEL
	case KindScanner:
		return pb.Kind_KIND_SCANNER
	case KindScriptRuntime:
		return pb.Kind_KIND_SCRIPT_RUNTIME
	case KindCollector:
		return pb.Kind_KIND_COLLECTOR
	}
	return pb.Kind_KIND_UNSPECIFIED
}

func kindFromPB(k pb.Kind) Kind {
	switch k {
	case pb.Kind_KIND_ALERT_CHANNEL:
		return KindAlertChannel
	case pb.Kind_KIND_SCANNER:
		return KindScanner
	case pb.Kind_KIND_SCRIPT_RUNTIME:
		return KindScriptRuntime
	case pb.Kind_KIND_COLLECTOR:
		return KindCollector
	}
	return ""
}
