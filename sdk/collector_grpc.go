package sdk

import (
	"context"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

type collectorServer struct {
	pb.UnimplementedCollectorServer
	impl Collector
}

func (s *collectorServer) Collect(ctx context.Context, _ *pb.CollectRequest) (*pb.CollectResponse, error) {
	c, err := s.impl.Collect(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &pb.CollectResponse{
		Metrics: make([]*pb.Metric, 0, len(c.Metrics)),
		Facts:   make([]*pb.Fact, 0, len(c.Facts)),
	}
	for _, m := range c.Metrics {
		out.Metrics = append(out.Metrics, &pb.Metric{Name: m.Name, Value: m.Value, Unit: m.Unit, Labels: m.Labels})
	}
	for _, f := range c.Facts {
		out.Facts = append(out.Facts, &pb.Fact{Key: f.Key, Value: f.Value})
	}
	return out, nil
}

type collectorClient struct {
	baseClient
	c pb.CollectorClient
}

func (c *collectorClient) Collect(ctx context.Context) (Collection, error) {
	r, err := c.c.Collect(ctx, &pb.CollectRequest{})
	if err != nil {
		return Collection{}, fromStatus(ctx, err)
	}
	out := Collection{
		Metrics: make([]Metric, 0, len(r.GetMetrics())),
		Facts:   make([]Fact, 0, len(r.GetFacts())),
	}
	for _, m := range r.GetMetrics() {
		out.Metrics = append(out.Metrics, Metric{Name: m.GetName(), Value: m.GetValue(), Unit: m.GetUnit(), Labels: m.GetLabels()})
	}
	for _, f := range r.GetFacts() {
		out.Facts = append(out.Facts, Fact{Key: f.GetKey(), Value: f.GetValue()})
	}
	return out, nil
}
