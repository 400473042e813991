package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/daemon/daemontest"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Benchmarks of the handlers over a real socket with the real clock:
// durable (fsync before every answer) unless the name says nosync. Run:
//   go test -run '^$' -bench . ./internal/daemon
// ipcd bench measures the same paths end to end; docs/performance.md.

var benchBody = strings.Repeat("x", 100)

type benchDaemon struct {
	d      *daemon.Daemon
	socket string
	secret []byte
}

func startBench(b *testing.B, noSync bool) *benchDaemon {
	b.Helper()
	dir := daemontest.TempDir(b)
	secret := daemontest.Secret(b, filepath.Join(dir, "secret"))
	limits := daemon.DefaultLimits()
	limits.SendRate, limits.MaxInbox = 0, 1<<30
	sock := filepath.Join(dir, "s")
	d, _ := daemontest.Serve(b, daemon.Config{DataDir: filepath.Join(dir, "data"), Socket: sock, Secret: &secret, Limits: limits, NoSync: noSync})
	return &benchDaemon{d: d, socket: sock, secret: secret.Bytes()}
}

func (bd *benchDaemon) as(b *testing.B, name string) *client.Client {
	b.Helper()
	c := client.New(client.Options{Socket: bd.socket, Secret: func() ([]byte, error) { return bd.secret, nil }})
	b.Cleanup(c.Close)
	if _, err := c.Register(context.Background(), name, false); err != nil {
		b.Fatal(err)
	}
	return c
}

func reportPerCommit(b *testing.B, d *daemon.Daemon, before uint64, beforeCommits uint64) {
	st := d.StoreStats()
	if c := st.Commits - beforeCommits; c > 0 {
		b.ReportMetric(float64(st.Writes-before)/float64(c), "writes/commit")
	}
}

// BenchmarkSendHTTP is one sender over the socket, each send answered
// after its own commit.
func BenchmarkSendHTTP(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", noSync), func(b *testing.B) {
			bd := startBench(b, noSync)
			c := bd.as(b, "from")
			bd.as(b, "to")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Send(ctx, protocol.SendRequest{To: "to", Content: benchBody}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSendHTTPParallel is 16 clients sending at once, each to its
// own recipient; group commit shares the fsyncs.
func BenchmarkSendHTTPParallel(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", noSync), func(b *testing.B) {
			bd := startBench(b, noSync)
			const n = 16
			cs := make([]*client.Client, n)
			for i := range cs {
				cs[i] = bd.as(b, fmt.Sprintf("s%02d", i))
				bd.as(b, fmt.Sprintf("r%02d", i))
			}
			var next atomic.Int64
			ctx := context.Background()
			st := bd.d.StoreStats()
			b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)-1) % n
				to := fmt.Sprintf("r%02d", i)
				for pb.Next() {
					if _, err := cs[i].Send(ctx, protocol.SendRequest{To: to, Content: benchBody}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportPerCommit(b, bd.d, st.Writes, st.Commits)
		})
	}
}

// BenchmarkSendRawParallel is BenchmarkSendHTTPParallel with a
// hand-written HTTP/1.1 client (one kept connection per sender, the
// request written as bytes, the answer's status line and Content-Length
// read by hand) in place of internal/client: the difference between the
// two is what the client costs on this machine (docs/performance.md).
func BenchmarkSendRawParallel(b *testing.B) {
	bd := startBench(b, false)
	const n = 16
	reqs := make([][]byte, n)
	for i := range reqs {
		sessions := &client.MemorySessions{}
		c := client.New(client.Options{Socket: bd.socket, Secret: func() ([]byte, error) { return bd.secret, nil }, Sessions: sessions})
		b.Cleanup(c.Close)
		name := fmt.Sprintf("s%02d", i)
		if _, err := c.Register(context.Background(), name, false); err != nil {
			b.Fatal(err)
		}
		bd.as(b, fmt.Sprintf("r%02d", i))
		token, _ := sessions.Load(name)
		body := fmt.Sprintf(`{"to":"r%02d","content":%q}`, i, benchBody)
		reqs[i] = fmt.Appendf(nil, "POST /v1/send HTTP/1.1\r\nHost: ipcd\r\nAuthorization: Bearer %s\r\n%s: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			token, protocol.HeaderName, name, len(body), body)
	}
	var next atomic.Int64
	st := bd.d.StoreStats()
	b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)-1) % n
		conn, err := net.Dial("unix", bd.socket)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for pb.Next() {
			if _, err := conn.Write(reqs[i]); err != nil {
				b.Error(err)
				return
			}
			if err := readRawAnswer(br); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportPerCommit(b, bd.d, st.Writes, st.Commits)
}

// readRawAnswer reads one 200 answer with a Content-Length, and its body.
func readRawAnswer(br *bufio.Reader) error {
	status, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("answer %q", status)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return errors.New("answer without Content-Length")
	}
	var sr protocol.SendResponse
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return err
	}
	return json.Unmarshal(body, &sr)
}

// BenchmarkCheck1000HTTP reads 1,000 queued messages in one check.
func BenchmarkCheck1000HTTP(b *testing.B) {
	bd := startBench(b, true)
	s, r := bd.as(b, "from"), bd.as(b, "to")
	ctx := context.Background()
	for range 1000 {
		if _, err := s.Send(ctx, protocol.SendRequest{To: "to", Content: benchBody}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := r.Check(ctx, protocol.CheckRequest{Limit: 1000, Peek: true})
		if err != nil || len(got.Messages) != 1000 {
			b.Fatalf("check: %d messages, %v", len(got.Messages), err)
		}
	}
}

// BenchmarkWaitWake is a send to a reader blocked in wait, until the
// reader has it.
func BenchmarkWaitWake(b *testing.B) {
	bd := startBench(b, false)
	s, r := bd.as(b, "from"), bd.as(b, "to")
	ctx := context.Background()
	var after uint64
	b.ReportAllocs()
	for b.Loop() {
		got := make(chan error, 1)
		go func() {
			resp, err := r.Wait(ctx, protocol.WaitRequest{CheckRequest: protocol.CheckRequest{Ack: after}, After: after, TimeoutMS: 10000})
			if err == nil && len(resp.Messages) == 0 {
				err = fmt.Errorf("wait timed out")
			}
			if err == nil {
				after = resp.Through
			}
			got <- err
		}()
		if _, err := s.Send(ctx, protocol.SendRequest{To: "to", Content: benchBody}); err != nil {
			b.Fatal(err)
		}
		if err := <-got; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendHandler is the send handler alone, without socket or
// fsync: what a send costs in CPU inside the daemon.
func BenchmarkSendHandler(b *testing.B) {
	bd := startBench(b, true)
	bd.as(b, "to")
	sessions := &client.MemorySessions{}
	c := client.New(client.Options{Socket: bd.socket, Secret: func() ([]byte, error) { return bd.secret, nil }, Sessions: sessions})
	b.Cleanup(c.Close)
	if _, err := c.Register(context.Background(), "from", false); err != nil {
		b.Fatal(err)
	}
	token, _ := sessions.Load("from")
	h := bd.d.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/send", strings.NewReader(`{"to":"to","content":"`+benchBody+`"}`))
		req.Header.Set(protocol.HeaderAuthorization, "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("send: %d %s", w.Code, w.Body)
		}
	}
}
