package daemon_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/internal/clock"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// fuzzDaemon is one daemon per fuzz target, driven through its real HTTP
// handler in-process: every input goes through the route table, the
// guards, authentication and the strict decoder, as on the socket.
type fuzzDaemon struct {
	d      *daemon.Daemon
	h      http.Handler
	clock  *clock.Fake
	secret []byte
	user   string // identity token
	admin  string // admin token
}

func newFuzzDaemon(f *testing.F) *fuzzDaemon {
	dir := f.TempDir()
	secret, err := auth.LoadSecret(auth.SecretOptions{Default: filepath.Join(dir, "secret"), Create: true})
	if err != nil {
		f.Fatal(err)
	}
	clk := clock.NewFake(t0)
	d, err := daemon.New(daemon.Config{
		DataDir: dir, Secret: &secret, Clock: clk,
		// No fsync: fuzzing measures the parser, not the disk. No send
		// rate, so valid sends reach the store.
		NoSync: true,
		Limits: daemon.Limits{MaxMessageBytes: 64 << 10, MaxInbox: 50, MaxPendingPerSender: 20},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	fd := &fuzzDaemon{d: d, h: d.Handler(), clock: clk, secret: secret.Bytes()}
	fd.user = fd.register(f, "fuzzer")
	fd.register(f, "peer")
	var ar protocol.AdminResponse
	nonce := fd.nonce(f)
	fd.mustJSON(f, "POST", "/v1/auth/admin", `{"nonce":"`+nonce+`","proof":"`+
		protocol.Proof(fd.secret, protocol.LabelAdmin, nonce, "")+`"}`, "", &ar)
	fd.admin = ar.Token
	return fd
}

// do serves one request and returns the recorder. Waits are cut short
// by the request's context, as when a client goes away.
func (fd *fuzzDaemon) do(method, path, body, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://ipcd"+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(req.Context(), 20*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	fd.h.ServeHTTP(rec, req.WithContext(ctx))
	return rec
}

func (fd *fuzzDaemon) mustJSON(tb testing.TB, method, path, body, token string, out any) {
	tb.Helper()
	rec := fd.do(method, path, body, token)
	if rec.Code != 200 {
		tb.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		tb.Fatal(err)
	}
}

func (fd *fuzzDaemon) nonce(tb testing.TB) string {
	var ch protocol.ChallengeResponse
	fd.mustJSON(tb, "POST", "/v1/auth/challenge", "", "", &ch)
	return ch.Nonce
}

func (fd *fuzzDaemon) register(tb testing.TB, name string) string {
	tb.Helper()
	nonce := fd.nonce(tb)
	body, _ := json.Marshal(protocol.RegisterRequest{Name: name, Nonce: nonce,
		Proof: protocol.Proof(fd.secret, protocol.LabelRegister, nonce, name), Takeover: true})
	var rr protocol.RegisterResponse
	fd.mustJSON(tb, "POST", "/v1/auth/register", string(body), "", &rr)
	return rr.Token
}

// wantDocumented fails unless rec is a success or the one error shape
// with a documented code that is not internal, and whose HTTP status is
// the code's own.
func wantDocumented(t *testing.T, what string, rec *httptest.ResponseRecorder) *protocol.Error {
	t.Helper()
	if rec.Code == 200 {
		return nil
	}
	var er protocol.ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil || er.Error == nil {
		t.Fatalf("%s: HTTP %d with a body that is not the error shape: %q", what, rec.Code, rec.Body)
	}
	known := false
	for _, c := range protocol.AllCodes() {
		known = known || c == er.Error.Code
	}
	switch {
	case !known:
		t.Fatalf("%s: undocumented code %q", what, er.Error.Code)
	case er.Error.Code == protocol.CodeInternal || er.Error.Code == protocol.CodeUnavailable:
		t.Fatalf("%s: %d %s: bad input must never look like a daemon failure", what, rec.Code, rec.Body)
	case er.Error.Code.Status() != rec.Code:
		t.Fatalf("%s: HTTP %d but code %s says %d", what, rec.Code, er.Error.Code, er.Error.Code.Status())
	case er.Error.Message == "":
		t.Fatalf("%s: code %s without a sentence", what, er.Error.Code)
	}
	return er.Error
}

// bodyEndpoints are the routes that decode a JSON body, with who calls them.
var bodyEndpoints = []struct {
	path  string
	admin bool
}{
	{"/v1/auth/challenge", false}, {"/v1/auth/register", false}, {"/v1/auth/admin", false},
	{"/v1/send", false}, {"/v1/broadcast", false}, {"/v1/check", false}, {"/v1/ack", false},
	{"/v1/wait", false}, {"/v1/history", false}, {"/v1/rename", false}, {"/v1/autocheck", false},
	{"/v1/autocheck/run", false}, {"/v1/admin/import", true},
}

// FuzzRequestBody sends any bytes as the body of each endpoint that reads
// one, with a valid session: the strict decoder and the handlers behind
// it answer a success or a documented error code, never a panic, never
// internal.
func FuzzRequestBody(f *testing.F) {
	seeds := []string{"", "{}", "null", "[]", `{"to":"peer","content":"hi"}`, `{"to":"peer","content":"hi","data":{"k":1}}`,
		`{"to":"peer","content":"x","data":[1]}`, `{"to":"peer","content":5}`, `{"to":"bad name","content":"x"}`,
		`{"content":"all of you"}`, `{"ack":1,"limit":1000,"full":true}`, `{"limit":-1}`, `{"through":18446744073709551615}`,
		`{"timeout_ms":1,"after":99}`, `{"timeout_ms":600001}`, `{"new_name":"fuzzer2"}`, `{"enabled":true,"interval_minutes":61}`,
		`{"force":true,"peek":true}`, `{"names":[{"name":"old"}],"messages":[{"key":"k","from":"old","to":"fuzzer","content":"c"}]}`,
		`{"messages":[{"key":"","to":"x","content":"c"}]}`, `{"name":"x","nonce":"n","proof":"zz"}`, `{"a":1} {}`, `{"to":"peer"`,
		`{"reply_to":1e99}`, "\xff\xfe", `{"to":"peer","content":"\ud800"}`, `{"TO":"peer","Content":"case"}`,
	}
	for i := range bodyEndpoints {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	fd := newFuzzDaemon(f)
	f.Fuzz(func(t *testing.T, endpoint uint8, body string) {
		ep := bodyEndpoints[int(endpoint)%len(bodyEndpoints)]
		token := fd.user
		if ep.admin {
			token = fd.admin
		}
		rec := fd.do("POST", ep.path, body, token)
		if e := wantDocumented(t, ep.path, rec); e != nil && e.Code == protocol.CodeSessionExpired {
			t.Fatalf("%s: the session was lost: %s", ep.path, rec.Body)
		}
		if rec.Code == 200 && ep.path != "/v1/wait" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: 200 with a body that is not JSON: %q", ep.path, rec.Body)
		}
	})
}

// FuzzMessagePath fetches /v1/messages/{id} with any id text: a message
// of the caller's, or a documented code.
func FuzzMessagePath(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "abc", "18446744073709551616", "1%2F2", "%00", "01", ".", "..", "../../v1/health", "/1", "1/"} {
		f.Add(s)
	}
	fd := newFuzzDaemon(f)
	f.Fuzz(func(t *testing.T, id string) {
		req, err := http.NewRequest("GET", "http://ipcd/v1/messages/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Path = "/v1/messages/" + id
		req.Header.Set("Authorization", "Bearer "+fd.user)
		rec := httptest.NewRecorder()
		fd.h.ServeHTTP(rec, req)
		wantDocumented(t, req.URL.Path, rec)
	})
}

// FuzzRegisterHandshake answers a real challenge, then lets the fuzzer
// change the name, the nonce or the proof. The daemon registers the name
// only when the proof is the HMAC of exactly that nonce and name under
// the secret; every other answer is refused with a documented code, and
// no nonce works twice.
func FuzzRegisterHandshake(f *testing.F) {
	f.Add("claude", "", "", false, "")
	f.Add("claude", "x", "", false, "")
	f.Add("claude", "", "00", false, "")
	f.Add("claude", "", "", true, "other")
	f.Add("system", "", "", false, "")
	f.Add("", "", "", false, "")
	f.Add("a", "", "", false, "a b")
	f.Add("claude", "", strings.Repeat("0", 64), false, "")
	fd := newFuzzDaemon(f)
	f.Fuzz(func(t *testing.T, name, nonceSuffix, proofOverride string, upper bool, proofName string) {
		// Nonces of refused answers expire instead of piling up.
		defer fd.clock.Advance(31 * time.Second)
		nonce := fd.nonce(t)
		sentNonce := nonce + nonceSuffix
		if proofName == "" {
			proofName = name
		}
		proof := protocol.Proof(fd.secret, protocol.LabelRegister, nonce, proofName)
		if upper {
			proof = strings.ToUpper(proof)
		}
		if proofOverride != "" {
			proof = proofOverride
		}
		body, err := json.Marshal(protocol.RegisterRequest{Name: name, Nonce: sentNonce, Proof: proof, Takeover: true})
		if err != nil {
			t.Skip()
		}
		// JSON turns invalid UTF-8 into U+FFFD: judge what was sent.
		var sent protocol.RegisterRequest
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatal(err)
		}
		name, proof = sent.Name, sent.Proof
		rec := fd.do("POST", "/v1/auth/register", string(body), "")
		e := wantDocumented(t, "register", rec)

		raw, decErr := hex.DecodeString(proof)
		right, _ := hex.DecodeString(protocol.Proof(fd.secret, protocol.LabelRegister, sent.Nonce, name))
		valid := decErr == nil && string(raw) == string(right) && sent.Nonce == nonce && protocol.ValidateName(name) == nil
		if valid != (e == nil) {
			t.Fatalf("register %q (nonce+%q, proof %q): answer %d %s, but the answer is valid=%v",
				name, nonceSuffix, proof, rec.Code, rec.Body, valid)
		}
		if e == nil {
			var rr protocol.RegisterResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &rr); err != nil || rr.Name != name || !strings.HasPrefix(rr.Token, auth.TokenPrefix) {
				t.Fatalf("register: %s", rec.Body)
			}
			if name == "fuzzer" {
				fd.user = rr.Token // a takeover revoked the old one
			}
		}
		// The nonce is spent whatever the outcome (unless the request
		// was refused before the proof was looked at).
		if sent.Nonce == nonce && protocol.ValidateName(name) == nil && proof != "" {
			again := fd.do("POST", "/v1/auth/register", string(body), "")
			if e := wantDocumented(t, "replay", again); e == nil || e.Code != protocol.CodeNonceInvalid {
				t.Fatalf("a replayed answer got %d %s", again.Code, again.Body)
			}
		}
	})
}
