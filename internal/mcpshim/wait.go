package mcpshim

import (
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// wait blocks in the daemon until mail arrives. While it waits it sends
// progress notifications when the client asked for them (a progress
// token), which keeps clients that reset their timeout on progress from
// giving up; a cancelled request ends the daemon wait at once.
func (s *Server) wait(ctx context.Context, req *mcp.CallToolRequest, in WaitInput) (*mcp.CallToolResult, MailOutput, error) {
	timeout := defaultWait
	if in.TimeoutSeconds < 0 {
		return nil, MailOutput{}, fmt.Errorf("timeout_seconds is %d; it must be positive", in.TimeoutSeconds)
	}
	if in.TimeoutSeconds > 0 {
		// Capped before it is multiplied, which could overflow.
		timeout = time.Duration(min(int64(in.TimeoutSeconds), int64(s.o.MaxWait/time.Second)+1)) * time.Second
	}
	timeout = min(timeout, s.o.MaxWait)
	c, err := s.me(ctx)
	if err != nil {
		return nil, MailOutput{}, toolError(err)
	}
	if token := req.Params.GetProgressToken(); token != nil {
		stop := s.progress(ctx, req, token, timeout)
		defer stop()
	}
	deadline := time.Now().Add(timeout)
	name := c.Name()
	for {
		res, err := c.Wait(ctx, protocol.WaitRequest{
			CheckRequest: protocol.CheckRequest{Full: in.Full},
			TimeoutMS:    max(time.Until(deadline).Milliseconds(), 1),
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, MailOutput{}, ctx.Err()
			}
			return nil, MailOutput{}, toolError(err)
		}
		// A daemon that stops answers open waits at once; the wait goes
		// on (against the daemon started again) until its own deadline.
		if len(res.Messages) > 0 || time.Until(deadline) <= 0 {
			return s.deliver(ctx, c, name, res, false, fmt.Sprintf("No messages within %s.", timeout))
		}
	}
}

// progress reports the seconds waited every ProgressEvery until stopped.
func (s *Server) progress(ctx context.Context, req *mcp.CallToolRequest, token any, total time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.o.ProgressEvery)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				waited := time.Since(start).Round(time.Second)
				err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
					ProgressToken: token,
					Progress:      waited.Seconds(),
					Total:         total.Seconds(),
					Message:       fmt.Sprintf("waiting for messages (%s of %s)", waited, total),
				})
				if err != nil {
					s.log.Debug("progress notification", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
