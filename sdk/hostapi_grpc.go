package sdk

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// hostAPIServer serves a host's Host implementation to the plugin (runs in the host).
type hostAPIServer struct {
	pb.UnimplementedHostAPIServer
	host Host
}

func (s *hostAPIServer) Log(ctx context.Context, r *pb.LogRequest) (*pb.LogResponse, error) {
	return &pb.LogResponse{}, toStatus(ctx, s.host.Log(ctx, LogLevel(r.GetLevel()), r.GetMessage(), r.GetFields()))
}

func (s *hostAPIServer) GetSettings(ctx context.Context, _ *pb.GetSettingsRequest) (*pb.GetSettingsResponse, error) {
	raw, err := s.host.Settings(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.GetSettingsResponse{SettingsJson: raw}, nil
}

func (s *hostAPIServer) KVGet(ctx context.Context, r *pb.KVGetRequest) (*pb.KVGetResponse, error) {
	v, found, err := s.host.KVGet(ctx, r.GetKey())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.KVGetResponse{Found: found, Value: v}, nil
}

func (s *hostAPIServer) KVPut(ctx context.Context, r *pb.KVPutRequest) (*pb.KVPutResponse, error) {
	return &pb.KVPutResponse{}, toStatus(ctx, s.host.KVPut(ctx, r.GetKey(), r.GetValue()))
}

func (s *hostAPIServer) KVDelete(ctx context.Context, r *pb.KVDeleteRequest) (*pb.KVDeleteResponse, error) {
	return &pb.KVDeleteResponse{}, toStatus(ctx, s.host.KVDelete(ctx, r.GetKey()))
}

func (s *hostAPIServer) KVList(ctx context.Context, r *pb.KVListRequest) (*pb.KVListResponse, error) {
	keys, err := s.host.KVList(ctx, r.GetPrefix())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.KVListResponse{Keys: keys}, nil
}

// hostAPIClient is the Host a plugin holds (runs in the plugin).
type hostAPIClient struct{ c pb.HostAPIClient }

func (h *hostAPIClient) Log(ctx context.Context, level LogLevel, msg string, fields map[string]string) error {
	_, err := h.c.Log(ctx, &pb.LogRequest{Level: pb.LogLevel(level), Message: msg, Fields: fields})
	return fromStatus(ctx, err)
}

func (h *hostAPIClient) Settings(ctx context.Context) (json.RawMessage, error) {
	r, err := h.c.GetSettings(ctx, &pb.GetSettingsRequest{})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	return r.GetSettingsJson(), nil
}

func (h *hostAPIClient) KVGet(ctx context.Context, key string) ([]byte, bool, error) {
	r, err := h.c.KVGet(ctx, &pb.KVGetRequest{Key: key})
	if err != nil {
		return nil, false, fromStatus(ctx, err)
	}
	return r.GetValue(), r.GetFound(), nil
}

func (h *hostAPIClient) KVPut(ctx context.Context, key string, value []byte) error {
	_, err := h.c.KVPut(ctx, &pb.KVPutRequest{Key: key, Value: value})
	return fromStatus(ctx, err)
}

func (h *hostAPIClient) KVDelete(ctx context.Context, key string) error {
	_, err := h.c.KVDelete(ctx, &pb.KVDeleteRequest{Key: key})
	return fromStatus(ctx, err)
}

func (h *hostAPIClient) KVList(ctx context.Context, prefix string) ([]string, error) {
	r, err := h.c.KVList(ctx, &pb.KVListRequest{Prefix: prefix})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	return r.GetKeys(), nil
}

func (s *hostAPIServer) HTTPDo(ctx context.Context, r *pb.HTTPDoRequest) (*pb.HTTPDoResponse, error) {
	e, ok := s.host.(Egress)
	if !ok {
		return nil, toStatus(ctx, ErrNoHost)
	}
	resp, err := e.HTTP(ctx, HTTPRequest{Method: r.GetMethod(), URL: r.GetUrl(), Header: headerFromPB(r.GetHeaders()),
		Body: r.GetBody(), Timeout: time.Duration(r.GetTimeoutMs()) * time.Millisecond})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.HTTPDoResponse{StatusCode: int32(resp.StatusCode), Status: resp.Status, Headers: headerToPB(resp.Header),
		Body: resp.Body, Truncated: resp.Truncated}, nil
}

func (h *hostAPIClient) HTTP(ctx context.Context, r HTTPRequest) (HTTPResponse, error) {
	resp, err := h.c.HTTPDo(ctx, &pb.HTTPDoRequest{Method: r.Method, Url: r.URL, Headers: headerToPB(r.Header),
		Body: r.Body, TimeoutMs: r.Timeout.Milliseconds()})
	if err != nil {
		return HTTPResponse{}, fromStatus(ctx, err)
	}
	return HTTPResponse{StatusCode: int(resp.GetStatusCode()), Status: resp.GetStatus(), Header: headerFromPB(resp.GetHeaders()),
		Body: resp.GetBody(), Truncated: resp.GetTruncated()}, nil
}

func headerToPB(h http.Header) []*pb.HTTPHeader {
	out := make([]*pb.HTTPHeader, 0, len(h))
	for k, v := range h {
		out = append(out, &pb.HTTPHeader{Name: k, Values: v})
	}
	return out
}

func headerFromPB(hs []*pb.HTTPHeader) http.Header {
	out := make(http.Header, len(hs))
	for _, h := range hs {
		for _, v := range h.GetValues() {
			out.Add(h.GetName(), v)
		}
	}
	return out
}
