package sdk

import (
	"context"
	"encoding/json"
	"time"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

type alertServer struct {
	pb.UnimplementedAlertChannelServer
	impl AlertChannel
}

func (s *alertServer) Send(ctx context.Context, r *pb.SendRequest) (*pb.SendResponse, error) {
	res, err := s.impl.Send(ctx, notificationFromPB(r.GetNotification(), r.GetSettingsJson()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.SendResponse{Delivered: res.Delivered, Attempts: uint32(res.Attempts), Detail: res.Detail}, nil
}

func (s *alertServer) Test(ctx context.Context, r *pb.TestRequest) (*pb.TestResponse, error) {
	res, err := s.impl.Test(ctx, r.GetSettingsJson())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.TestResponse{Ok: res.OK, Detail: res.Detail}, nil
}

type alertClient struct {
	baseClient
	c pb.AlertChannelClient
}

func (c *alertClient) Send(ctx context.Context, n Notification) (SendResult, error) {
	r, err := c.c.Send(ctx, &pb.SendRequest{Notification: notificationToPB(n), SettingsJson: n.Settings})
	if err != nil {
		return SendResult{}, fromStatus(ctx, err)
	}
	return SendResult{Delivered: r.GetDelivered(), Attempts: int(r.GetAttempts()), Detail: r.GetDetail()}, nil
}

func (c *alertClient) Test(ctx context.Context, settings json.RawMessage) (TestResult, error) {
	r, err := c.c.Test(ctx, &pb.TestRequest{SettingsJson: settings})
	if err != nil {
		return TestResult{}, fromStatus(ctx, err)
	}
	return TestResult{OK: r.GetOk(), Detail: r.GetDetail()}, nil
}

func notificationToPB(n Notification) *pb.Notification {
	out := &pb.Notification{
		Id: n.ID, OrgId: n.OrgID, DeviceId: n.DeviceID, DeviceName: n.DeviceName,
		Severity: n.Severity, Status: n.Status, Title: n.Title, Message: n.Message,
		Source: n.Source, Url: n.URL, Labels: n.Labels,
	}
	if !n.OccurredAt.IsZero() {
		out.OccurredAt = n.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	return out
}

func notificationFromPB(p *pb.Notification, settings []byte) Notification {
	n := Notification{
		ID: p.GetId(), OrgID: p.GetOrgId(), DeviceID: p.GetDeviceId(), DeviceName: p.GetDeviceName(),
		Severity: p.GetSeverity(), Status: p.GetStatus(), Title: p.GetTitle(), Message: p.GetMessage(),
		Source: p.GetSource(), URL: p.GetUrl(), Labels: p.GetLabels(),
	}
	if len(settings) > 0 {
		n.Settings = settings
	}
	if t, err := time.Parse(time.RFC3339Nano, p.GetOccurredAt()); err == nil {
		n.OccurredAt = t.UTC()
	}
	return n
}
