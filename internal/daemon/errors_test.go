package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// raw speaks HTTP to the daemon directly, for requests no well-behaved
// client would make.
type raw struct {
	td *testDaemon
	hc *http.Client
}

type rawResp struct {
	status int
	body   string
	err    *protocol.Error
}

func rawClient(td *testDaemon) *raw {
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", td.socket)
		},
	}}
	td.t.Cleanup(hc.CloseIdleConnections)
	return &raw{td: td, hc: hc}
}

func (r *raw) call(t *testing.T, method, path, body string, headers map[string]string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, "http://ipcd"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResp{status: resp.StatusCode, body: string(b)}
	if resp.StatusCode/100 != 2 {
		var er protocol.ErrorResponse
		if err := json.Unmarshal(b, &er); err != nil || er.Error == nil {
			t.Fatalf("%s %s: status %d with a body that is not the error shape: %s", method, path, resp.StatusCode, b)
		}
		if er.Error.Code.Status() != resp.StatusCode {
			t.Fatalf("%s: HTTP %d, but the code says %d", er.Error.Code, resp.StatusCode, er.Error.Code.Status())
		}
		out.err = er.Error
	}
	return out
}

func (r *raw) challenge(t *testing.T) string {
	t.Helper()
	resp := r.call(t, "POST", "/v1/auth/challenge", "", nil)
	var ch protocol.ChallengeResponse
	if err := json.Unmarshal([]byte(resp.body), &ch); err != nil || ch.Nonce == "" {
		t.Fatalf("challenge: %s", resp.body)
	}
	return ch.Nonce
}

func registerBody(name, nonce, proof string) string {
	b, _ := json.Marshal(protocol.RegisterRequest{Name: name, Nonce: nonce, Proof: proof})
	return string(b)
}

// registerRaw registers name through the raw handshake and returns the token.
func registerRaw(t *testing.T, td *testDaemon, r *raw, name string) string {
	t.Helper()
	nonce := r.challenge(t)
	resp := r.call(t, "POST", "/v1/auth/register",
		registerBody(name, nonce, protocol.Proof(td.secret, protocol.LabelRegister, nonce, name)), nil)
	if resp.err != nil {
		t.Fatalf("register %s: %v", name, resp.err)
	}
	var rr protocol.RegisterResponse
	json.Unmarshal([]byte(resp.body), &rr)
	return rr.Token
}

// TestEachBadInputHasItsCode sends each kind of bad request and checks its
// code, and that the daemon still serves afterwards.
func TestEachBadInputHasItsCode(t *testing.T) {
	td := startDaemon(t, func(c *daemon.Config) {
		c.Limits.MaxMessageBytes = 1000
		c.Limits.MaxInbox = 2
		c.Limits.SendRate = 1
		c.Limits.SendBurst = 3
	})
	r := rawClient(td)
	tok := registerRaw(t, td, r, "alice")
	auth := map[string]string{"Authorization": "Bearer " + tok}
	bobTok := registerRaw(t, td, r, "bob")
	replayNonce := r.challenge(t)
	replayBody := registerBody("carol", replayNonce, protocol.Proof(td.secret, protocol.LabelRegister, replayNonce, "carol"))
	if resp := r.call(t, "POST", "/v1/auth/register", replayBody, nil); resp.err != nil {
		t.Fatal(resp.err)
	}
	expiredNonce := r.challenge(t)

	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		headers map[string]string
		before  func()
		want    protocol.Code
	}{
		{name: "wrong secret", method: "POST", path: "/v1/auth/register", want: protocol.CodeBadProof,
			body: func() string {
				n := r.challenge(t)
				return registerBody("x", n, protocol.Proof([]byte("wrong"), protocol.LabelRegister, n, "x"))
			}()},
		{name: "proof for another name", method: "POST", path: "/v1/auth/register", want: protocol.CodeBadProof,
			body: func() string {
				n := r.challenge(t)
				return registerBody("x", n, protocol.Proof(td.secret, protocol.LabelRegister, n, "y"))
			}()},
		{name: "admin proof used to register", method: "POST", path: "/v1/auth/register", want: protocol.CodeBadProof,
			body: func() string {
				n := r.challenge(t)
				return registerBody("x", n, protocol.Proof(td.secret, protocol.LabelAdmin, n, "x"))
			}()},
		{name: "replayed proof", method: "POST", path: "/v1/auth/register", body: replayBody, want: protocol.CodeNonceInvalid},
		{name: "expired nonce", method: "POST", path: "/v1/auth/register", want: protocol.CodeNonceExpired,
			before: func() { td.clock.Advance(time.Minute) },
			body:   registerBody("dave", expiredNonce, protocol.Proof(td.secret, protocol.LabelRegister, expiredNonce, "dave"))},
		{name: "no proof in secure mode", method: "POST", path: "/v1/auth/register", body: `{"name":"x"}`, want: protocol.CodeUnauthorized},
		{name: "no token", method: "POST", path: "/v1/check", body: `{}`, want: protocol.CodeUnauthorized},
		{name: "unknown token", method: "POST", path: "/v1/check", body: `{}`, want: protocol.CodeSessionExpired,
			headers: map[string]string{"Authorization": "Bearer ipcd_nope"}},
		{name: "token for another name", method: "POST", path: "/v1/check", body: `{}`, want: protocol.CodeIdentityMismatch,
			headers: map[string]string{"Authorization": "Bearer " + tok, protocol.HeaderName: "bob"}},
		{name: "identity token on admin endpoint", method: "GET", path: "/v1/admin/status", headers: auth, want: protocol.CodeAdminRequired},
		{name: "identity token asks for shutdown", method: "POST", path: "/v1/admin/shutdown", body: `{}`, headers: auth, want: protocol.CodeAdminRequired},
		{name: "origin header", method: "GET", path: "/v1/health", headers: map[string]string{"Origin": "http://evil.example"}, want: protocol.CodeOriginForbidden},
		{name: "browser fetch", method: "GET", path: "/v1/health", headers: map[string]string{"Sec-Fetch-Mode": "cors"}, want: protocol.CodeOriginForbidden},
		{name: "origin header, wrong method", method: "GET", path: "/v1/send", headers: map[string]string{"Origin": "http://evil.example"}, want: protocol.CodeOriginForbidden},
		{name: "origin header, unknown endpoint", method: "GET", path: "/v1/nothing", headers: map[string]string{"Origin": "http://evil.example"}, want: protocol.CodeOriginForbidden},
		{name: "malformed json", method: "POST", path: "/v1/send", body: `{"to": "bob", `, headers: auth, want: protocol.CodeMalformedJSON},
		{name: "trailing data", method: "POST", path: "/v1/send", body: `{"to":"bob","content":"x"} {}`, headers: auth, want: protocol.CodeMalformedJSON},
		{name: "trailing bytes", method: "POST", path: "/v1/send", body: "{\"to\":\"bob\",\"content\":\"x\"}\n x", headers: auth, want: protocol.CodeMalformedJSON},
		{name: "unknown field", method: "POST", path: "/v1/send", body: `{"to":"bob","content":"x","urgent":true}`, headers: auth, want: protocol.CodeUnknownField},
		{name: "wrong type", method: "POST", path: "/v1/send", body: `{"to":"bob","content":5}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "invalid name", method: "POST", path: "/v1/send", body: `{"to":"bad name!","content":"x"}`, headers: auth, want: protocol.CodeInvalidName},
		{name: "long name", method: "POST", path: "/v1/send", body: `{"to":"` + strings.Repeat("n", 33) + `","content":"x"}`, headers: auth, want: protocol.CodeInvalidName},
		{name: "reserved name", method: "POST", path: "/v1/send", body: `{"to":"System","content":"x"}`, headers: auth, want: protocol.CodeReservedName},
		{name: "register reserved", method: "POST", path: "/v1/auth/register", body: `{"name":"all"}`, want: protocol.CodeReservedName},
		{name: "empty message", method: "POST", path: "/v1/send", body: `{"to":"bob","content":""}`, headers: auth, want: protocol.CodeEmptyMessage},
		{name: "message over the limit", method: "POST", path: "/v1/send", body: `{"to":"bob","content":"` + strings.Repeat("x", 1001) + `"}`, headers: auth, want: protocol.CodeMessageTooLarge},
		{name: "body over the limit", method: "POST", path: "/v1/send", body: `{"to":"bob","content":"` + strings.Repeat("x", 80000) + `"}`, headers: auth, want: protocol.CodeBodyTooLarge},
		{name: "data not an object", method: "POST", path: "/v1/send", body: `{"to":"bob","content":"x","data":[1]}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "bad limit", method: "POST", path: "/v1/check", body: `{"limit":5000}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "bad wait timeout", method: "POST", path: "/v1/wait", body: `{"timeout_ms":-1}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "bad message id", method: "GET", path: "/v1/messages/abc", headers: auth, want: protocol.CodeInvalidArgument},
		{name: "message id 0", method: "GET", path: "/v1/messages/0", headers: auth, want: protocol.CodeInvalidArgument},
		{name: "bad wait limit", method: "POST", path: "/v1/wait", body: `{"limit":-1}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "bad auto-check limit, nothing due", method: "POST", path: "/v1/autocheck/run", body: `{"limit":1001}`, headers: auth, want: protocol.CodeInvalidArgument},
		{name: "unknown endpoint", method: "GET", path: "/v1/nothing", want: protocol.CodeNotFound},
		{name: "wrong method", method: "GET", path: "/v1/send", headers: auth, want: protocol.CodeMethodNotAllowed},
		{name: "auto-check interval", method: "POST", path: "/v1/autocheck", body: `{"enabled":true,"interval_minutes":0.5}`, headers: auth, want: protocol.CodeInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			resp := r.call(t, tc.method, tc.path, tc.body, tc.headers)
			if resp.err == nil || resp.err.Code != tc.want {
				t.Fatalf("got %d %s, want code %s", resp.status, resp.body, tc.want)
			}
		})
	}

	// Limits that need state: the inbox depth, then the send rate.
	t.Run("inbox full", func(t *testing.T) {
		for i := range 2 {
			if resp := r.call(t, "POST", "/v1/send", `{"to":"bob","content":"m"}`, auth); resp.err != nil {
				t.Fatalf("send %d: %v", i, resp.err)
			}
		}
		resp := r.call(t, "POST", "/v1/send", `{"to":"bob","content":"m"}`, auth)
		if resp.err == nil || resp.err.Code != protocol.CodeInboxFull {
			t.Fatalf("got %s", resp.body)
		}
	})
	t.Run("over the rate", func(t *testing.T) {
		// The burst of 3 went to the sends above; the next is over.
		resp := r.call(t, "POST", "/v1/send", `{"to":"carol","content":"m"}`, auth)
		if resp.err == nil || resp.err.Code != protocol.CodeRateLimited || resp.err.Details["retry_after_ms"] == nil {
			t.Fatalf("got %s", resp.body)
		}
		td.clock.Advance(time.Second)
		if resp := r.call(t, "POST", "/v1/send", `{"to":"carol","content":"m"}`, auth); resp.err != nil {
			t.Fatalf("after a second: %v", resp.err)
		}
	})

	// A request refused for its limit acknowledges nothing (the check
	// below still finds both messages).
	t.Run("refused checks acknowledge nothing", func(t *testing.T) {
		bob := map[string]string{"Authorization": "Bearer " + bobTok}
		for path, body := range map[string]string{
			"/v1/check":         `{"ack":1000000,"limit":5000}`,
			"/v1/wait":          `{"ack":1000000,"limit":5000}`,
			"/v1/autocheck/run": `{"ack":1000000,"limit":5000,"force":true}`,
		} {
			if resp := r.call(t, "POST", path, body, bob); resp.err == nil || resp.err.Code != protocol.CodeInvalidArgument {
				t.Errorf("%s: got %d %s, want invalid_argument", path, resp.status, resp.body)
			}
		}
	})

	// Still serving, and nothing acknowledged was lost.
	resp := r.call(t, "POST", "/v1/check", `{}`, map[string]string{"Authorization": "Bearer " + bobTok})
	var got protocol.CheckResponse
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil || len(got.Messages) != 2 {
		t.Fatalf("bob's inbox: %s; want the 2 acknowledged messages", resp.body)
	}
	if resp := r.call(t, "GET", "/v1/health", "", nil); resp.status != 200 {
		t.Fatalf("health after bad input: %d", resp.status)
	}
}

func TestAdminEndpoints(t *testing.T) {
	td := startDaemon(t, nil)
	a := td.as("a")
	send(t, a, "b", "hi")
	st, err := td.client().Status(bg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != protocol.ModeSecure || st.UnreadTotal != 1 || st.Counters.Sent != 1 || len(st.Identities) != 2 {
		t.Fatalf("status = %+v", st)
	}
	bad := newClientWithSecret(td, []byte("wrong"))
	_, err = bad.Status(bg)
	wantCode(t, err, protocol.CodeBadProof)
}

// "OPTIONS *" and "GET *" reach the API's one error shape like any other
// request, after the browser check.
func TestAsteriskRequests(t *testing.T) {
	td := startDaemon(t, nil)
	for _, tc := range []struct {
		req  string
		want protocol.Code
	}{
		{"OPTIONS * HTTP/1.1\r\nHost: ipcd\r\nOrigin: http://evil.example\r\n\r\n", protocol.CodeOriginForbidden},
		{"OPTIONS * HTTP/1.1\r\nHost: ipcd\r\n\r\n", protocol.CodeNotFound},
		{"GET * HTTP/1.1\r\nHost: ipcd\r\n\r\n", protocol.CodeNotFound},
	} {
		conn, err := net.Dial("unix", td.socket)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, tc.req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.req, err)
		}
		var er protocol.ErrorResponse
		err = json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		conn.Close()
		if err != nil || er.Error == nil || er.Error.Code != tc.want || resp.StatusCode != tc.want.Status() {
			t.Errorf("%q: HTTP %d, %v %+v; want %s", tc.req, resp.StatusCode, err, er.Error, tc.want)
		}
	}
}
