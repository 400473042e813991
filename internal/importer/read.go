package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Source is what Read found: the names and messages to import, in order,
// and the report of what was left out or changed.
type Source struct {
	Path     string
	Names    []Name    // sorted by name
	Messages []Message // in the order of the earlier tool's row ids

	batchSize int
	report    Report
}

// Preview is the report of an import that has not run: what would be sent.
func (s *Source) Preview() *Report {
	r := s.report.clone()
	r.DryRun = true
	return r
}

// Read reads the earlier tool's database at opts.Path and checks every row.
// It never writes to the database, and only reads large-message files that
// rows point to.
func Read(ctx context.Context, opts Options) (*Source, error) {
	opts = opts.withDefaults()
	if opts.Path == "" {
		return nil, errors.New("read database: no path given")
	}
	db, err := openReadOnly(opts.Path, opts.BusyTimeout)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	// One transaction, so the earlier tool, if still running, cannot change
	// the rows between the queries.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, classify(opts.Path, err)
	}
	defer tx.Rollback()

	tables, err := tableNames(ctx, tx)
	if err != nil {
		return nil, classify(opts.Path, err)
	}
	for _, want := range []string{"messages", "instances"} {
		if !tables[want] {
			return nil, fmt.Errorf("read %s: %w: it has no %q table", opts.Path, ErrNotLegacyDatabase, want)
		}
	}
	for _, want := range []string{"messages", "instances"} {
		missing, err := missingColumn(ctx, tx, want)
		if err != nil {
			return nil, classify(opts.Path, err)
		}
		if missing != "" {
			return nil, fmt.Errorf("read %s: %w: its %q table has no %q column", opts.Path, ErrNotLegacyDatabase, want, missing)
		}
	}

	rd := newReader(opts)
	if err := rd.readInstances(ctx, tx); err != nil {
		return nil, classify(opts.Path, err)
	}
	if err := rd.readMessages(ctx, tx); err != nil {
		return nil, classify(opts.Path, err)
	}
	if tables["name_history"] {
		if err := rd.readNameHistory(ctx, tx); err != nil {
			return nil, classify(opts.Path, err)
		}
	}
	return rd.source(), nil
}

// tableNames lists the tables of the database.
func tableNames(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables[name] = true
	}
	return tables, rows.Err()
}

// requiredColumns are the columns Read uses, per table.
var requiredColumns = map[string][]string{
	"messages":  {"id", "from_id", "to_id", "content", "timestamp", "data", "summary", "large_file_path", "read_flag"},
	"instances": {"instance_id", "last_seen"},
}

// missingColumn returns the first column of requiredColumns[table] that the
// table lacks, or "".
func missingColumn(ctx context.Context, tx *sql.Tx, table string) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, c := range requiredColumns[table] {
		if !have[c] {
			return c, nil
		}
	}
	return "", nil
}

// reader turns rows into names, messages and report lines.
type reader struct {
	opts     Options
	dir      string // the database's directory, for relative file paths
	report   Report
	names    map[string]Name
	badNames map[string]*protocol.Error
	messages []Message
}

func newReader(opts Options) *reader {
	return &reader{
		opts:     opts,
		dir:      filepath.Dir(opts.Path),
		report:   Report{Path: opts.Path, Skipped: []Skip{}, Notes: []Note{}},
		names:    map[string]Name{},
		badNames: map[string]*protocol.Error{},
	}
}

// checkName validates name; an invalid name is put in the report once.
func (rd *reader) checkName(name string) *protocol.Error {
	if perr, seen := rd.badNames[name]; seen {
		return perr
	}
	perr := protocol.ValidateName(name)
	if perr == nil {
		return nil
	}
	rd.badNames[name] = perr
	rd.report.Names.Skipped++
	rd.report.Skipped = append(rd.report.Skipped, Skip{
		Name: name, Code: perr.Code, Reason: strings.TrimSuffix(perr.Message, "; choose another") + "; the name and its messages are not imported",
	})
	return perr
}

func (rd *reader) note(row int64, name string, code NoteCode, format string, args ...any) {
	rd.report.Notes = append(rd.report.Notes, Note{Row: row, Name: name, Code: code, Text: fmt.Sprintf(format, args...)})
}

func (rd *reader) skipRow(row int64, code protocol.Code, format string, args ...any) {
	rd.report.Messages.Skipped++
	rd.report.Skipped = append(rd.report.Skipped, Skip{Row: row, Code: code, Reason: fmt.Sprintf(format, args...)})
}

// readInstances reads the names that registered with the earlier tool.
func (rd *reader) readInstances(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT instance_id, last_seen FROM instances ORDER BY instance_id`)
	if err != nil {
		return fmt.Errorf("read instances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, lastSeen sql.NullString
		if err := rows.Scan(&id, &lastSeen); err != nil {
			return fmt.Errorf("read instances: %w", err)
		}
		if rd.checkName(id.String) != nil {
			continue
		}
		seen, ok := parseTimestamp(lastSeen.String, rd.opts.Location)
		if !ok {
			rd.note(0, id.String, NoteBadLastSeen, "last seen %s is not a date; imported without a last-seen time", quote(lastSeen.String))
		}
		rd.names[id.String] = Name{Name: id.String, LastSeen: seen}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read instances: %w", err)
	}
	return nil
}

// readNameHistory reports renames, which are not imported.
func (rd *reader) readNameHistory(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM name_history`).Scan(&n); err != nil {
		return fmt.Errorf("read name_history: %w", err)
	}
	if n > 0 {
		rd.report.NotImported = append(rd.report.NotImported, fmt.Sprintf(
			"name_history: %d rename(s); the earlier tool forwarded an old name for two hours only, "+
				"and mail it forwarded is imported under the new name", n))
	}
	return nil
}

// source assembles the result, names sorted for a stable order.
func (rd *reader) source() *Source {
	names := make([]Name, 0, len(rd.names))
	for _, n := range rd.names {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Name < names[j].Name })
	rd.report.Names.Found = len(names)
	rd.report.Messages.ToImport = len(rd.messages)
	return &Source{
		Path:      rd.opts.Path,
		Names:     names,
		Messages:  rd.messages,
		batchSize: rd.opts.BatchSize,
		report:    rd.report,
	}
}
