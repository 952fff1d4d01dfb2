package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// BenchmarkSend is one e-mail through go-plugin's gRPC (in process), the
// host's connection (HostAPI.Dial) and a plain SMTP session with smtp-sink.
func BenchmarkSend(b *testing.B) {
	sk := startSink(b)
	ch := sdktest.InProcess[sdk.AlertChannel](b, sdk.KindAlertChannel, fixed(), sdktest.NewFakeHost(nil))
	n := note
	n.Settings = []byte(`{"host":"127.0.0.1","port":` + strconv.Itoa(sk.port) + `,"tls":"none","from":"alerts@breeze.test","to":"ops@example.test"}`)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := ch.Send(ctx, n); err != nil || !res.Delivered {
			b.Fatalf("Send = %+v, %v", res, err)
		}
	}
}
