package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// infoServer answers Info and Init for any kind (runs in the plugin).
type infoServer struct {
	pb.UnimplementedInfoServer
	impl   Plugin
	kind   Kind
	broker *plugin.GRPCBroker

	mu    sync.Mutex
	inits int
}

func (s *infoServer) GetInfo(ctx context.Context, _ *pb.GetInfoRequest) (*pb.GetInfoResponse, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	info = s.fill(info)
	out := &pb.GetInfoResponse{Kind: info.Kind.toPB(), Name: info.Name, Version: info.Version, Description: info.Description}
	for _, v := range info.APIVersions {
		out.ApiVersions = append(out.ApiVersions, uint32(v))
	}
	return out, nil
}

// fill defaults what a plugin need not repeat: its kind and our API versions.
func (s *infoServer) fill(info Info) Info {
	if info.Kind == "" {
		info.Kind = s.kind
	}
	if len(info.APIVersions) == 0 {
		info.APIVersions = append([]int(nil), SupportedAPIVersions...)
	}
	return info
}

func (s *infoServer) Init(ctx context.Context, r *pb.InitRequest) (*pb.InitResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var host Host = noHost{}
	if id := r.GetHostApiBrokerId(); id != 0 {
		if s.broker == nil {
			return nil, status.Error(codes.FailedPrecondition, "no broker to reach the host")
		}
		conn, err := s.broker.Dial(id)
		if err != nil {
			return nil, status.Error(codes.Unavailable, fmt.Sprintf("dial host api: %v", err))
		}
		host = &hostAPIClient{c: pb.NewHostAPIClient(conn)}
	}
	if ha, ok := s.impl.(HostAware); ok {
		ha.SetHost(host)
	}
	// Each Dispense on the host initialises again with a fresh broker id;
	// the newest host connection wins.
	return &pb.InitResponse{}, nil
}

// baseClient implements Plugin for every typed client (runs in the host).
type baseClient struct {
	info pb.InfoClient
}

func (c *baseClient) Info(ctx context.Context) (Info, error) {
	r, err := c.info.GetInfo(ctx, &pb.GetInfoRequest{})
	if err != nil {
		return Info{}, fromStatus(ctx, err)
	}
	info := Info{Kind: kindFromPB(r.GetKind()), Name: r.GetName(), Version: r.GetVersion(), Description: r.GetDescription()}
	for _, v := range r.GetApiVersions() {
		info.APIVersions = append(info.APIVersions, int(v))
	}
	return info, nil
}
