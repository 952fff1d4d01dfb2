package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// maxChunk bounds one Output message so a big write never hits gRPC's
// message size limit.
const maxChunk = 32 << 10

type runtimeServer struct {
	pb.UnimplementedScriptRuntimeServer
	impl ScriptRuntime
}

func (s *runtimeServer) Languages(ctx context.Context, _ *pb.LanguagesRequest) (*pb.LanguagesResponse, error) {
	langs, err := s.impl.Languages(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.LanguagesResponse{Languages: langs}, nil
}

func (s *runtimeServer) Run(r *pb.RunRequest, stream pb.ScriptRuntime_RunServer) error {
	ctx := stream.Context()
	var mu sync.Mutex // grpc streams are not safe for concurrent Send
	send := func(o *pb.Output) error {
		mu.Lock()
		defer mu.Unlock()
		return stream.Send(o)
	}
	stdout := &chunkWriter{send: func(p []byte) error { return send(&pb.Output{Event: &pb.Output_Stdout{Stdout: p}}) }}
	stderr := &chunkWriter{send: func(p []byte) error { return send(&pb.Output{Event: &pb.Output_Stderr{Stderr: p}}) }}
	req := RunRequest{Language: r.GetLanguage(), Body: r.GetBody(), Args: r.GetArgs(), Env: r.GetEnv(), Timeout: msToDur(r.GetTimeoutMs())}
	exit, err := s.impl.Run(ctx, req, stdout, stderr)
	if err != nil {
		return toStatus(ctx, err)
	}
	return toStatus(ctx, send(&pb.Output{Event: &pb.Output_Exit{Exit: &pb.Exit{Code: int32(exit.Code), TimedOut: exit.TimedOut}}}))
}

// chunkWriter sends writes as Output messages of at most maxChunk bytes.
type chunkWriter struct{ send func([]byte) error }

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := p
		if len(c) > maxChunk {
			c = c[:maxChunk]
		}
		// Copy: the caller may reuse p once Write returns.
		if err := w.send(append([]byte(nil), c...)); err != nil {
			return n, err
		}
		n += len(c)
		p = p[len(c):]
	}
	return n, nil
}

type runtimeClient struct {
	baseClient
	c pb.ScriptRuntimeClient
}

func (c *runtimeClient) Languages(ctx context.Context) ([]string, error) {
	r, err := c.c.Languages(ctx, &pb.LanguagesRequest{})
	if err != nil {
		return nil, fromStatus(ctx, err)
	}
	return r.GetLanguages(), nil
}

// errNoExit means the plugin ended the stream without saying how the run ended.
var errNoExit = errors.New("plugin ended the run without an exit status")

func (c *runtimeClient) Run(ctx context.Context, req RunRequest, stdout, stderr io.Writer) (ExitStatus, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.c.Run(cctx, &pb.RunRequest{
		Language: req.Language, Body: req.Body, Args: req.Args, Env: req.Env, TimeoutMs: durToMs(req.Timeout),
	})
	if err != nil {
		return ExitStatus{}, fromStatus(ctx, err)
	}
	for {
		o, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return ExitStatus{}, errNoExit
		}
		if err != nil {
			return ExitStatus{}, fromStatus(ctx, err)
		}
		switch ev := o.GetEvent().(type) {
		case *pb.Output_Stdout:
			if _, err := stdout.Write(ev.Stdout); err != nil {
				return ExitStatus{}, fmt.Errorf("write stdout: %w", err)
			}
		case *pb.Output_Stderr:
			if _, err := stderr.Write(ev.Stderr); err != nil {
				return ExitStatus{}, fmt.Errorf("write stderr: %w", err)
			}
		case *pb.Output_Exit:
			return ExitStatus{Code: int(ev.Exit.GetCode()), TimedOut: ev.Exit.GetTimedOut()}, nil
		}
	}
}
