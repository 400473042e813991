package crashtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// load is the clients: senders that send numbered messages round-robin to
// the readers, and readers that wait, take what arrives and acknowledge it
// with their next call, as ipc-mcp does.
type load struct {
	l       layout
	ledger  *ledger
	senders []string
	readers []string

	stopSend, stopRead context.CancelFunc
	sendWG, readWG     sync.WaitGroup
}

func startLoad(l layout, lg *ledger, senders, readers int) *load {
	ld := &load{l: l, ledger: lg}
	for i := range senders {
		ld.senders = append(ld.senders, fmt.Sprintf("s%d", i))
	}
	for i := range readers {
		ld.readers = append(ld.readers, fmt.Sprintf("r%d", i))
	}
	sendCtx, stopSend := context.WithCancel(context.Background())
	readCtx, stopRead := context.WithCancel(context.Background())
	ld.stopSend, ld.stopRead = stopSend, stopRead
	for _, name := range ld.senders {
		ld.sendWG.Go(func() { ld.send(sendCtx, name) })
	}
	for _, name := range ld.readers {
		ld.readWG.Go(func() { ld.read(readCtx, name) })
	}
	return ld
}

func (ld *load) client(name string) *client.Client {
	secret := []byte(ld.l.secret)
	c := client.New(client.Options{Socket: ld.l.socket, Timeout: 10 * time.Second,
		Secret: func() ([]byte, error) { return secret, nil }})
	c.As(name)
	return c
}

// pause backs off after a failed call: the daemon is down or restarting.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Millisecond):
	}
}

func (ld *load) send(ctx context.Context, name string) {
	c := ld.client(name)
	defer c.Close()
	for n := 0; ctx.Err() == nil; n++ {
		to := ld.readers[n%len(ld.readers)]
		// The send is never cancelled half way: once it is out, the
		// daemon's answer (or its death) decides.
		_, err := c.Send(context.WithoutCancel(ctx), protocol.SendRequest{To: to, Content: content(name, to, n)})
		if err == nil {
			ld.ledger.ack(stream{name, to}, n)
			continue
		}
		ld.ledger.fail()
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code != protocol.CodeUnavailable && pe.Code != protocol.CodeInboxFull {
			ld.ledger.mu.Lock()
			ld.ledger.problem("%s: send refused with %s: %s", name, pe.Code, pe.Message)
			ld.ledger.mu.Unlock()
		}
		pause(ctx)
	}
}

func (ld *load) read(ctx context.Context, name string) {
	c := ld.client(name)
	defer c.Close()
	var through uint64
	for ctx.Err() == nil {
		r, err := c.Wait(ctx, protocol.WaitRequest{CheckRequest: protocol.CheckRequest{Ack: through, Limit: 500}, TimeoutMS: 200})
		if err != nil {
			// Half the time the reader "restarts" too and forgets what
			// it was about to acknowledge: it must be handed that again.
			if rand.IntN(2) == 0 {
				through = 0
			}
			pause(ctx)
			continue
		}
		for _, m := range r.Messages {
			ld.ledger.got(name, m)
		}
		if len(r.Messages) > 0 {
			through = r.Through
			// Work on the mail a moment before acknowledging it with the
			// next call, as an AI does: a kill in between means redelivery.
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(rand.IntN(20)) * time.Millisecond):
			}
		}
	}
}

// drain stops the senders, then lets the readers run until every
// acknowledged send has been handed over or the timeout passes.
func (ld *load) drain(timeout time.Duration) {
	ld.stopSend()
	ld.sendWG.Wait()
	deadline := time.Now().Add(timeout)
	for len(ld.ledger.missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ld.stopRead()
	ld.readWG.Wait()
}

// stop ends every client at once.
func (ld *load) stop() {
	ld.stopSend()
	ld.stopRead()
	ld.sendWG.Wait()
	ld.readWG.Wait()
}
