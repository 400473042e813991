package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fiveMessages writes a database with five unread messages for two
// recipients, interleaved.
func fiveMessages(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "messages.db")
	var rows []row
	for i := int64(1); i <= 5; i++ {
		to := "claude"
		if i%2 == 0 {
			to = "gemini"
		}
		rows = append(rows, row{id: i * 10, from: "barney", to: to, content: fmt.Sprintf("message %d", i),
			timestamp: fmt.Sprintf("2025-07-06T14:30:0%d", i)})
	}
	legacyDB(t, path, nil, rows)
	return path
}

func contents(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.To+": "+m.Content)
	}
	return out
}

func TestRunBatches(t *testing.T) {
	src, err := Read(context.Background(), Options{Path: fiveMessages(t), BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeTarget()
	report, err := Run(context.Background(), src, fake)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, fake.batches); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	want := []string{"claude: message 1", "gemini: message 2", "claude: message 3", "gemini: message 4", "claude: message 5"}
	if diff := cmp.Diff(want, contents(fake.delivered)); diff != "" {
		t.Errorf("delivery order (-want +got):\n%s", diff)
	}
	if report.Messages.Imported != 5 || report.Names.Created != 2 {
		t.Errorf("report: names %+v, messages %+v", report.Names, report.Messages)
	}
}

func TestRunResumesAfterFailure(t *testing.T) {
	src, err := Read(context.Background(), Options{Path: fiveMessages(t), BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeTarget()
	fake.failAt = 2
	report, err := Run(context.Background(), src, fake)
	if !errors.Is(err, errFake) {
		t.Fatalf("Run error = %v, want the target's", err)
	}
	if report.Messages.Imported != 2 {
		t.Errorf("report after failure counts %d imported, want 2", report.Messages.Imported)
	}

	report, err = Run(context.Background(), src, fake)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if report.Messages.Imported != 3 || report.Messages.AlreadyImported != 2 {
		t.Errorf("resumed report: %+v", report.Messages)
	}
	if len(fake.delivered) != 5 {
		t.Errorf("delivered %d messages, want 5 with no duplicates", len(fake.delivered))
	}
}

func TestRunRejectsImpossibleCounts(t *testing.T) {
	src, err := Read(context.Background(), Options{Path: fiveMessages(t)})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeTarget()
	fake.lie = true
	if _, err := Run(context.Background(), src, fake); !errors.Is(err, ErrTarget) {
		t.Fatalf("Run error = %v, want ErrTarget", err)
	}
}

func TestRunCanceled(t *testing.T) {
	src, err := Read(context.Background(), Options{Path: fiveMessages(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake := newFakeTarget()
	if _, err := Run(ctx, src, fake); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if len(fake.delivered) != 0 {
		t.Errorf("a canceled Run delivered %d messages", len(fake.delivered))
	}
}

func TestReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, Options{Path: fiveMessages(t)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read error = %v, want context.Canceled", err)
	}
}
