package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/auth"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// access is who may call a route.
type access int

const (
	public     access = iota // anyone on the socket (health, the handshake)
	identity                 // a session acting as a name
	admin                    // an admin session (ipcd status, watch, backup, import)
	anySession               // either kind (logout)
)

// call is what a handler knows about its caller.
type call struct {
	token string
	sess  auth.Session
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

type route struct {
	method  string
	pattern string
	access  access
	h       handlerFunc
}

type peerKey struct{}

// routes is the one route table of the API.
func (d *Daemon) routes() http.Handler {
	table := []route{
		{"GET", "/v1/health", public, d.handleHealth},
		{"POST", "/v1/auth/challenge", public, d.handleChallenge},
		{"POST", "/v1/auth/register", public, d.handleRegister},
		{"POST", "/v1/auth/admin", public, d.handleAdminAuth},
		{"POST", "/v1/auth/logout", anySession, d.handleLogout},
		{"GET", "/v1/whoami", identity, d.handleWhoami},
		{"POST", "/v1/send", identity, d.handleSend},
		{"POST", "/v1/broadcast", identity, d.handleBroadcast},
		{"POST", "/v1/check", identity, d.handleCheck},
		{"POST", "/v1/ack", identity, d.handleAck},
		{"POST", "/v1/wait", identity, d.handleWait},
		{"POST", "/v1/history", identity, d.handleHistory},
		{"GET", "/v1/messages/{id}", identity, d.handleMessage},
		{"GET", "/v1/identities", identity, d.handleList},
		{"POST", "/v1/rename", identity, d.handleRename},
		{"GET", "/v1/autocheck", identity, d.handleAutoCheckGet},
		{"POST", "/v1/autocheck", identity, d.handleAutoCheckSet},
		{"POST", "/v1/autocheck/run", identity, d.handleAutoCheckRun},
		{"GET", "/v1/admin/status", admin, d.handleStatus},
		{"GET", "/v1/admin/watch", admin, d.handleWatch},
		{"GET", "/v1/admin/backup", admin, d.handleBackup},
		{"POST", "/v1/admin/import", admin, d.handleImport},
		{"POST", "/v1/admin/shutdown", admin, d.handleShutdown},
	}
	byPattern := map[string]map[string]http.HandlerFunc{}
	for _, rt := range table {
		if byPattern[rt.pattern] == nil {
			byPattern[rt.pattern] = map[string]http.HandlerFunc{}
		}
		byPattern[rt.pattern][rt.method] = d.wrap(rt)
	}
	mux := http.NewServeMux()
	for pattern, methods := range byPattern {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if h, ok := methods[r.Method]; ok {
				h(w, r)
				return
			}
			allowed := make([]string, 0, len(methods))
			for m := range methods {
				allowed = append(allowed, m)
			}
			sort.Strings(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			d.writeError(w, protocol.Errorf(protocol.CodeMethodNotAllowed,
				"%s %s is not allowed; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
		})
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		d.writeError(w, protocol.Errorf(protocol.CodeNotFound, "no endpoint %s %s; see docs/protocol.md", r.Method, r.URL.Path))
	}
	mux.HandleFunc("/", notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Browsers and other users are refused before routing: they learn
		// nothing of the API, not even which methods a path takes.
		if err := d.guard(r); err != nil {
			d.writeError(w, err)
			return
		}
		// The mux would answer a path with "." or ".." segments or
		// doubled slashes with an HTML redirect, and "*" (OPTIONS *) with
		// a bare 400; the API has one shape.
		if p := r.URL.Path; !strings.HasPrefix(p, "/") || p != path.Clean(p) {
			notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// wrap applies what every route shares: the body bound, authentication,
// presence, and the one error writer. (The browser and peer checks come
// before routing.)
func (d *Daemon) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, d.cfg.maxBody())
		c := &call{}
		if rt.access != public {
			if err := d.authenticate(r, rt.access, c); err != nil {
				d.writeError(w, err)
				return
			}
		}
		if err := rt.h(w, r, c); err != nil {
			d.writeError(w, err)
		}
	}
}

// guard refuses browsers (DNS rebinding and cross-site requests) and
// peers that are another OS user.
func (d *Daemon) guard(r *http.Request) error {
	if r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Mode") != "" {
		return protocol.Errorf(protocol.CodeOriginForbidden,
			"requests from web pages are refused; ipcd serves local programs only")
	}
	if p, ok := r.Context().Value(peerKey{}).(auth.Peer); ok {
		return auth.CheckPeer(p, d.uid)
	}
	return nil
}

func (d *Daemon) authenticate(r *http.Request, need access, c *call) error {
	h := r.Header.Get(protocol.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return protocol.Errorf(protocol.CodeUnauthorized,
			"this endpoint needs a session: send \"Authorization: Bearer <token>\" from /v1/auth/register")
	}
	sess, err := d.sessions.Lookup(token)
	if err != nil {
		return err
	}
	c.token, c.sess = token, sess
	switch {
	case need == admin && !sess.Admin:
		return protocol.Errorf(protocol.CodeAdminRequired, "this endpoint needs an admin session (/v1/auth/admin)")
	case need == identity && sess.Admin:
		return protocol.Errorf(protocol.CodeIdentityMismatch, "an admin session acts as no name; register one to use this endpoint")
	}
	if want := r.Header.Get(protocol.HeaderName); need == identity && want != "" && want != sess.Name {
		return protocol.Errorf(protocol.CodeIdentityMismatch,
			"this token acts as %q, not %q; a token acts only as its own name", sess.Name, want).
			WithDetail("name", sess.Name)
	}
	if need == identity {
		d.presence.touch(sess.Name, d.cfg.Clock.Now())
	}
	return nil
}

// writeJSON writes v as the 200 response. The body is encoded whole
// first so that it goes out with a Content-Length in one write: a large
// answer (a check of 1,000 messages) is not chunked, and the client, which
// stops reading at the end of the JSON, sees the end of the body and keeps
// the connection alive.
func writeJSON(w http.ResponseWriter, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return writeBody(w, buf.Bytes())
}

// writeBody writes body, a whole JSON answer, as the 200 response.
func writeBody(w http.ResponseWriter, body []byte) error {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, err := w.Write(body)
	return err
}

// contentTypeJSON is shared by every response's header map: net/http only
// reads header values, and a shared slice saves an allocation a response.
var contentTypeJSON = []string{"application/json"}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuf returns a buffer to the pool unless it grew too large to keep.
func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// writeError is the one place errors reach the wire. Errors without a
// code are internal: logged here (never with a body or secret), and
// answered with a sentence that points at the log.
func (d *Daemon) writeError(w http.ResponseWriter, err error) {
	d.rejected.Add(1)
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		d.log.Error("request failed", "err", err)
		pe = protocol.Errorf(protocol.CodeInternal, "the daemon hit an internal error; its log says more")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(pe.Code.Status())
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(protocol.ErrorResponse{Error: pe})
}

// decode reads a JSON body strictly: unknown fields, trailing data and a
// body over the bound each get their own code. An empty body is {}.
func decode(r *http.Request, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	_, err := buf.ReadFrom(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return protocol.Errorf(protocol.CodeBodyTooLarge,
			"the request body is over %d bytes, the daemon's limit", tooBig.Limit)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The request timeout (ConnLimits.RequestTimeout) cut a body that
		// kept arriving or never finished.
		return protocol.Errorf(protocol.CodeMalformedJSON,
			"the request body did not finish arriving within the daemon's request timeout; send it whole")
	}
	if err != nil {
		return protocol.Errorf(protocol.CodeMalformedJSON, "read the request body: %v", err)
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	// Decoding copies every string out of body, so the buffer can go back
	// to the pool.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return protocol.Errorf(protocol.CodeMalformedJSON, "the request body has data after its JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	var timeErr *time.ParseError
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return protocol.Errorf(protocol.CodeUnknownField, "the request has a field this endpoint does not take: %s", field)
	case errors.As(err, &typeErr):
		return protocol.Errorf(protocol.CodeInvalidArgument, "the field %q must be a JSON %s", typeErr.Field, typeErr.Type)
	case errors.As(err, &synErr):
		return protocol.Errorf(protocol.CodeMalformedJSON, "the request body is not valid JSON (at byte %d)", synErr.Offset)
	case errors.As(err, &timeErr) || strings.HasPrefix(err.Error(), "Time.UnmarshalJSON: "):
		// A time field (import's sent_at, last_seen) that is no RFC 3339
		// string: encoding/json passes time's own error on, without the
		// field's name.
		return protocol.Errorf(protocol.CodeInvalidArgument, "a time must be an RFC 3339 string, like \"2026-11-26T05:16:27Z\"")
	default:
		return protocol.Errorf(protocol.CodeMalformedJSON, "the request body is not valid JSON: %v", err)
	}
}
