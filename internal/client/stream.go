package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func decodeInto(out any) func(io.Reader) error {
	return func(r io.Reader) error {
		if err := json.NewDecoder(r).Decode(out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		return nil
	}
}

// Watch calls fn with each event the daemon streams until ctx ends, fn
// returns an error, or the daemon stops (then it returns nil).
func (c *Client) Watch(ctx context.Context, fn func(protocol.Event) error) error {
	return c.adminCall(ctx, http.MethodGet, "/v1/admin/watch", nil, func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var ev protocol.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		return sc.Err()
	})
}

// Import sends names and unread mail from the earlier tool (admin).
func (c *Client) Import(ctx context.Context, req protocol.ImportRequest) (protocol.ImportResponse, error) {
	var out protocol.ImportResponse
	err := c.adminCall(ctx, http.MethodPost, "/v1/admin/import", req, decodeInto(&out))
	return out, err
}
