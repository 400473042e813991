package ipcdcli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// TestBackupUnderLoad takes backups while messages keep arriving: every
// backup that succeeds is a whole database (the size the daemon declared
// up front used to come from another transaction than the copy, so a
// copy could be cut short when the file grew in between).
func TestBackupUnderLoad(t *testing.T) {
	w := newWorld(t)
	w.start()
	alice := w.as("alice")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			c := w.client()
			if _, err := c.Register(ctx, fmt.Sprintf("sender%d", i), false); err != nil {
				t.Error(err)
				return
			}
			for ctx.Err() == nil {
				_, err := c.Send(ctx, protocol.SendRequest{To: "bob", Content: strings.Repeat("y", 8<<10)})
				if err != nil && ctx.Err() == nil && !client.IsCode(err, protocol.CodeRateLimited) {
					t.Error(err)
					return
				}
			}
		})
	}
	w.send(alice, "bob", "marker")
	for i := range 15 {
		file := filepath.Join(w.dir, fmt.Sprintf("b%d.db", i))
		if _, errOut, code := w.run("backup", file); code != 0 {
			t.Errorf("backup %d: %s", i, errOut)
			continue
		}
		fi, _ := os.Stat(file)
		if fi.Size()%4096 != 0 {
			t.Errorf("backup %d is %d bytes, not whole pages", i, fi.Size())
		}
	}
	cancel()
	wg.Wait()
	for i := range 15 {
		file := filepath.Join(w.dir, fmt.Sprintf("b%d.db", i))
		if _, err := os.Stat(file); err != nil {
			continue
		}
		got := restoredInbox(t, file, filepath.Join(w.dataDir, "secret"), "bob")
		if len(got) == 0 || got[0] != "marker" {
			t.Errorf("backup %d: bob's inbox starts %.20q", i, got)
		}
	}
}
