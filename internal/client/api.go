package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Health asks whether the daemon is up; it needs no session.
func (c *Client) Health(ctx context.Context) (protocol.HealthResponse, error) {
	var out protocol.HealthResponse
	err := c.do(ctx, http.MethodGet, "/v1/health", noAuth, nil, &out)
	return out, err
}

// challenge gets a nonce and answers it for label and name.
func (c *Client) prove(ctx context.Context, label, name string) (nonce, proof string, err error) {
	if c.opts.Secret == nil {
		return "", "", nil
	}
	secret, err := c.opts.Secret()
	if err != nil {
		return "", "", err
	}
	var ch protocol.ChallengeResponse
	if err := c.do(ctx, http.MethodPost, "/v1/auth/challenge", noAuth, struct{}{}, &ch); err != nil {
		return "", "", err
	}
	return ch.Nonce, protocol.Proof(secret, label, ch.Nonce, name), nil
}

// Register makes the client act as name. A token saved for the name is
// offered first, so an AI client that restarts keeps its session; the
// daemon refuses a name held by another live session unless takeover.
func (c *Client) Register(ctx context.Context, name string, takeover bool) (resp protocol.RegisterResponse, err error) {
	if err := protocol.ValidateName(name); err != nil {
		return protocol.RegisterResponse{}, err
	}
	if c.Name() != name {
		c.As(name)
	}
	mine := true
	if c.opts.Claim != nil {
		var commit func(error)
		commit, mine = c.opts.Claim(name)
		defer func() { commit(err) }()
		if !mine {
			// Another AI client's MCP server on this machine has the name:
			// its saved token is not this process's to use. A token this
			// process got by taking the name over is (see keepToken).
			c.mu.Lock()
			tok, ours := c.withheld[name]
			c.token = tok
			c.mu.Unlock()
			if !ours && !takeover {
				return resp, protocol.Errorf(protocol.CodeNameTaken,
					"%q is in use by another AI client's ipc-mcp on this machine; choose another name, or register with takeover to take it over", name)
			}
		}
	}
	nonce, proof, err := c.prove(ctx, protocol.LabelRegister, name)
	if err != nil {
		return protocol.RegisterResponse{}, err
	}
	var out protocol.RegisterResponse
	req := protocol.RegisterRequest{Name: name, Nonce: nonce, Proof: proof, Takeover: takeover}
	// Not cancelled with ctx (the call's own timeout still bounds it): a
	// registration the daemon carried out but whose answer was dropped
	// would leave a session nobody has the token of, holding the name
	// until it idles out.
	if err := c.do(context.WithoutCancel(ctx), http.MethodPost, "/v1/auth/register", asName, req, &out); err != nil {
		return out, err
	}
	c.mu.Lock()
	c.name, c.token = out.Name, out.Token
	c.regGen++
	c.mu.Unlock()
	return out, c.keepToken(out.Name, out.Token, mine)
}

// Whoami returns the name and unread count of the session.
func (c *Client) Whoami(ctx context.Context) (protocol.WhoamiResponse, error) {
	var out protocol.WhoamiResponse
	err := c.identityCall(ctx, http.MethodGet, "/v1/whoami", nil, &out)
	return out, err
}

// Send sends one message.
func (c *Client) Send(ctx context.Context, req protocol.SendRequest) (protocol.SendResponse, error) {
	var out protocol.SendResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/send", req, &out)
	return out, err
}

// Broadcast sends a copy to every other registered identity.
func (c *Client) Broadcast(ctx context.Context, req protocol.BroadcastRequest) (protocol.BroadcastResponse, error) {
	var out protocol.BroadcastResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/broadcast", req, &out)
	return out, err
}

// Check returns unread mail; it stays unread until acknowledged.
func (c *Client) Check(ctx context.Context, req protocol.CheckRequest) (protocol.CheckResponse, error) {
	var out protocol.CheckResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/check", req, &out)
	return out, err
}

// Ack acknowledges mail up to and including seq through.
func (c *Client) Ack(ctx context.Context, through uint64) (protocol.AckResponse, error) {
	var out protocol.AckResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/ack", protocol.AckRequest{Through: through}, &out)
	return out, err
}

// ErrNameChanged is AckAs's answer when the client acts as another name
// than the one whose mail it was asked to acknowledge.
var ErrNameChanged = errors.New("the client acts as another name now")

type expectNameKey struct{}

// AckAs acknowledges mail up to through as name, and nothing if the client
// no longer acts as name (a registration came in between): that mail then
// stays unread for name, instead of marking name's sequence numbers read in
// another inbox.
func (c *Client) AckAs(ctx context.Context, name string, through uint64) (protocol.AckResponse, error) {
	return c.Ack(context.WithValue(ctx, expectNameKey{}, name), through)
}

// Wait blocks until mail arrives or the timeout passes (req.TimeoutMS).
func (c *Client) Wait(ctx context.Context, req protocol.WaitRequest) (protocol.CheckResponse, error) {
	var out protocol.CheckResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/wait", req, &out)
	return out, err
}

// History returns acknowledged mail, newest first.
func (c *Client) History(ctx context.Context, req protocol.HistoryRequest) (protocol.HistoryResponse, error) {
	var out protocol.HistoryResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/history", req, &out)
	return out, err
}

// Message fetches one message whole.
func (c *Client) Message(ctx context.Context, id uint64) (protocol.Message, error) {
	var out protocol.Message
	err := c.identityCall(ctx, http.MethodGet, fmt.Sprintf("/v1/messages/%d", id), nil, &out)
	return out, err
}

// List returns every identity with presence.
func (c *Client) List(ctx context.Context) (protocol.ListResponse, error) {
	var out protocol.ListResponse
	err := c.identityCall(ctx, http.MethodGet, "/v1/identities", nil, &out)
	return out, err
}

// Rename renames the client's own identity; the client follows it.
func (c *Client) Rename(ctx context.Context, newName string) (protocol.RenameResponse, error) {
	var out protocol.RenameResponse
	if err := c.identityCall(ctx, http.MethodPost, "/v1/rename", protocol.RenameRequest{NewName: newName}, &out); err != nil {
		return out, err
	}
	mine := true
	if c.opts.Claim != nil {
		// The new name is this server's now, and the old one free.
		var commit func(error)
		commit, mine = c.opts.Claim(out.Name)
		commit(nil)
	}
	c.saveMu.Lock()
	c.mu.Lock()
	c.name = out.Name
	tok := c.token
	delete(c.withheld, out.OldName)
	c.mu.Unlock()
	_ = c.opts.Sessions.Delete(out.OldName)
	c.saveMu.Unlock()
	return out, c.keepToken(out.Name, tok, mine)
}

// AutoCheck returns the auto-check setting.
func (c *Client) AutoCheck(ctx context.Context) (protocol.AutoCheck, error) {
	var out protocol.AutoCheck
	err := c.identityCall(ctx, http.MethodGet, "/v1/autocheck", nil, &out)
	return out, err
}

// SetAutoCheck turns auto checking on or off.
func (c *Client) SetAutoCheck(ctx context.Context, req protocol.AutoCheckRequest) (protocol.AutoCheck, error) {
	var out protocol.AutoCheck
	err := c.identityCall(ctx, http.MethodPost, "/v1/autocheck", req, &out)
	return out, err
}

// RunAutoCheck returns mail if an auto check is due (what hooks call).
func (c *Client) RunAutoCheck(ctx context.Context, req protocol.AutoCheckRunRequest) (protocol.AutoCheckRunResponse, error) {
	var out protocol.AutoCheckRunResponse
	err := c.identityCall(ctx, http.MethodPost, "/v1/autocheck/run", req, &out)
	return out, err
}

// Logout ends the session and forgets its token.
func (c *Client) Logout(ctx context.Context) error {
	err := c.do(ctx, http.MethodPost, "/v1/auth/logout", asName, struct{}{}, nil)
	c.mu.Lock()
	name := c.name
	c.token = ""
	delete(c.withheld, name)
	c.mu.Unlock()
	_ = c.opts.Sessions.Delete(name)
	return err
}

// adminLogin gets an admin session if the client has none.
func (c *Client) adminLogin(ctx context.Context) error {
	c.mu.Lock()
	have := c.admin != ""
	c.mu.Unlock()
	if have {
		return nil
	}
	nonce, proof, err := c.prove(ctx, protocol.LabelAdmin, "")
	if err != nil {
		return err
	}
	var out protocol.AdminResponse
	if err := c.do(ctx, http.MethodPost, "/v1/auth/admin", noAuth, protocol.AdminRequest{Nonce: nonce, Proof: proof}, &out); err != nil {
		return err
	}
	c.mu.Lock()
	c.admin = out.Token
	c.mu.Unlock()
	return nil
}

func (c *Client) adminCall(ctx context.Context, method, path string, in any, read func(io.Reader) error) error {
	if err := c.adminLogin(ctx); err != nil {
		return err
	}
	return c.doRaw(ctx, method, path, asAdmin, in, read)
}

// Status returns the daemon's status (an admin call).
func (c *Client) Status(ctx context.Context) (protocol.StatusResponse, error) {
	var out protocol.StatusResponse
	err := c.adminCall(ctx, http.MethodGet, "/v1/admin/status", nil, decodeInto(&out))
	return out, err
}

// Shutdown asks the daemon to stop gracefully; it answers first.
func (c *Client) Shutdown(ctx context.Context) (protocol.ShutdownResponse, error) {
	var out protocol.ShutdownResponse
	err := c.adminCall(ctx, http.MethodPost, "/v1/admin/shutdown", struct{}{}, decodeInto(&out))
	return out, err
}

// Backup streams a consistent copy of the database to w.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := c.adminCall(ctx, http.MethodGet, "/v1/admin/backup", nil, func(r io.Reader) error {
		var err error
		n, err = io.Copy(w, r)
		return err
	})
	return n, err
}
