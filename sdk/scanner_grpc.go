package sdk

import (
	"context"
	"errors"
	"io"
	"time"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

type scannerServer struct {
	pb.UnimplementedScannerServer
	impl Scanner
}

func (s *scannerServer) Scan(r *pb.TargetSpec, stream pb.Scanner_ScanServer) error {
	ctx := stream.Context()
	err := s.impl.Scan(ctx, targetFromPB(r), func(a Asset) error {
		return stream.Send(assetToPB(a))
	})
	return toStatus(ctx, err)
}

type scannerClient struct {
	baseClient
	c pb.ScannerClient
}

func (c *scannerClient) Scan(ctx context.Context, spec TargetSpec, emit func(Asset) error) error {
	// Our own cancel stops the plugin when emit refuses an asset.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.c.Scan(cctx, targetToPB(spec))
	if err != nil {
		return fromStatus(ctx, err)
	}
	for {
		a, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(ctx, err)
		}
		if err := emit(assetFromPB(a)); err != nil {
			return err
		}
	}
}

func targetToPB(t TargetSpec) *pb.TargetSpec {
	return &pb.TargetSpec{
		Targets: t.Targets, Ports: intsToU32(t.Ports), Concurrency: clampU32(t.Concurrency),
		RatePerSecond: clampU32(t.RatePerSecond), TimeoutMs: durToMs(t.Timeout), Options: t.Options,
	}
}

func targetFromPB(p *pb.TargetSpec) TargetSpec {
	return TargetSpec{
		Targets: p.GetTargets(), Ports: u32ToInts(p.GetPorts()), Concurrency: int(p.GetConcurrency()),
		RatePerSecond: int(p.GetRatePerSecond()), Timeout: msToDur(p.GetTimeoutMs()), Options: p.GetOptions(),
	}
}

func assetToPB(a Asset) *pb.Asset {
	return &pb.Asset{
		Ip: a.IP, Hostname: a.Hostname, Mac: a.MAC, Alive: a.Alive, OpenPorts: intsToU32(a.OpenPorts),
		RttMs: durToMs(a.RTT), Attributes: a.Attributes,
	}
}

func assetFromPB(p *pb.Asset) Asset {
	return Asset{
		IP: p.GetIp(), Hostname: p.GetHostname(), MAC: p.GetMac(), Alive: p.GetAlive(),
		OpenPorts: u32ToInts(p.GetOpenPorts()), RTT: msToDur(p.GetRttMs()), Attributes: p.GetAttributes(),
	}
}

func intsToU32(in []int) []uint32 {
	if in == nil {
		return nil
	}
	out := make([]uint32, len(in))
	for i, v := range in {
		out[i] = clampU32(v)
	}
	return out
}

func u32ToInts(in []uint32) []int {
	if in == nil {
		return nil
	}
	out := make([]int, len(in))
	for i, v := range in {
		out[i] = int(v)
	}
	return out
}

func clampU32(v int) uint32 {
	if v < 0 {
		return 0
	}
	if int64(v) > int64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(v)
}

func durToMs(d time.Duration) uint32 {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1 // keep sub-millisecond timeouts from turning into "none"
	}
	return clampU32(int(ms))
}

func msToDur(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }
