package importer

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Report says what an import found and did. It marshals to JSON as is.
type Report struct {
	// Path is the database read.
	Path string `json:"path"`
	// DryRun is true for a report of Source.Preview: nothing was sent.
	DryRun bool `json:"dry_run,omitempty"`
	// Compared is true for a dry run that the running daemon counted:
	// Names.Created and Messages.Imported are what it would take.
	Compared bool          `json:"compared,omitempty"`
	Names    NameCounts    `json:"names"`
	Messages MessageCounts `json:"messages"`
	// Skipped lists every name and message left out, with why.
	Skipped []Skip `json:"skipped"`
	// Notes lists what was imported but changed on the way.
	Notes []Note `json:"notes"`
	// NotImported lists parts of the database deliberately left behind.
	NotImported []string `json:"not_imported,omitempty"`
}

// NameCounts counts names.
type NameCounts struct {
	Found        int `json:"found"`         // valid names to import
	Created      int `json:"created"`       // new to the daemon
	AlreadyKnown int `json:"already_known"` // the daemon knew them
	Skipped      int `json:"skipped"`       // invalid or reserved
}

// MessageCounts counts message rows.
type MessageCounts struct {
	Rows            int `json:"rows"`             // every row of the messages table
	AlreadyRead     int `json:"already_read"`     // read in the earlier tool: skipped
	Skipped         int `json:"skipped"`          // unread but not importable
	ToImport        int `json:"to_import"`        // unread and importable
	Imported        int `json:"imported"`         // new to the daemon
	AlreadyImported int `json:"already_imported"` // imported by an earlier run
}

// Skip is a name or message row left out. Row is zero for a name.
type Skip struct {
	Row    int64         `json:"row,omitempty"`
	Name   string        `json:"name,omitempty"`
	Code   protocol.Code `json:"code"`
	Reason string        `json:"reason"`
}

// NoteCode says what a Note is about.
type NoteCode string

// Notes on imported rows.
const (
	NoteBadTimestamp     NoteCode = "bad_timestamp"      // the sent time was unreadable; the import time is used
	NoteBadLastSeen      NoteCode = "bad_last_seen"      // an instance's last-seen time was unreadable
	NoteBadData          NoteCode = "bad_data"           // data was not a JSON object and was dropped
	NoteInvalidUTF8      NoteCode = "invalid_utf8"       // content had bytes that are not UTF-8; they were replaced
	NoteFullContent      NoteCode = "full_content"       // the full content was taken from the large-message file
	NoteLargeFileMissing NoteCode = "large_file_missing" // the large-message file is gone; the summary is kept
	NoteLargeFileIgnored NoteCode = "large_file_ignored" // the large-message file could not be used; the summary is kept
)

// Note is something changed on the way in. Row is zero for a name.
type Note struct {
	Row  int64    `json:"row,omitempty"`
	Name string   `json:"name,omitempty"`
	Code NoteCode `json:"code"`
	Text string   `json:"text"`
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	switch {
	case r.DryRun && r.Compared:
		fmt.Fprintf(bw, "Dry run of the import from %s (nothing was written; counted by the running daemon)\n", r.Path)
		fmt.Fprintf(bw, "Names: %d new, %d already known, %d skipped\n",
			r.Names.Created, r.Names.AlreadyKnown, r.Names.Skipped)
		fmt.Fprintf(bw, "Messages: %d to import, %d already imported, %d skipped; %d already read, skipped\n",
			r.Messages.Imported, r.Messages.AlreadyImported, r.Messages.Skipped, r.Messages.AlreadyRead)
	case r.DryRun:
		fmt.Fprintf(bw, "Dry run of the import from %s (nothing was sent; no daemon runs, so what it may already hold is counted too)\n", r.Path)
		fmt.Fprintf(bw, "Names: %d to import, %d skipped\n", r.Names.Found, r.Names.Skipped)
		fmt.Fprintf(bw, "Messages: %d to import, %d skipped; %d already read, skipped\n",
			r.Messages.ToImport, r.Messages.Skipped, r.Messages.AlreadyRead)
	default:
		fmt.Fprintf(bw, "Import from %s\n", r.Path)
		fmt.Fprintf(bw, "Names: %d new, %d already known, %d skipped\n",
			r.Names.Created, r.Names.AlreadyKnown, r.Names.Skipped)
		fmt.Fprintf(bw, "Messages: %d imported, %d already imported, %d skipped; %d already read, skipped\n",
			r.Messages.Imported, r.Messages.AlreadyImported, r.Messages.Skipped, r.Messages.AlreadyRead)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(bw, "Skipped (%d):\n", len(r.Skipped))
		for _, s := range r.Skipped {
			fmt.Fprintf(bw, "  %s: %s\n", subject(s.Row, s.Name), s.Reason)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(bw, "Notes (%d):\n", len(r.Notes))
		for _, n := range r.Notes {
			fmt.Fprintf(bw, "  %s: %s\n", subject(n.Row, n.Name), n.Text)
		}
	}
	if len(r.NotImported) > 0 {
		fmt.Fprintf(bw, "Not imported:\n")
		for _, s := range r.NotImported {
			fmt.Fprintf(bw, "  %s\n", s)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// subject names what a line is about; names are quoted so that control
// characters written by hand into the old database cannot reach a terminal.
func subject(row int64, name string) string {
	if row != 0 {
		return "row " + strconv.FormatInt(row, 10)
	}
	return "name " + quote(name)
}

// quote quotes s with Go escapes, shortened when long.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// clone copies r so that each Run has a report of its own.
func (r *Report) clone() *Report {
	c := *r
	c.Skipped = append([]Skip{}, r.Skipped...)
	c.Notes = append([]Note{}, r.Notes...)
	c.NotImported = append([]string(nil), r.NotImported...)
	return &c
}
