package importer

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// messageRow is one row of the messages table. Every text column is
// nullable here: rows written by hand may break the declared schema.
type messageRow struct {
	id                                 int64
	from, to, timestamp, data, summary sql.NullString
	largeFile                          sql.NullString
	unread                             bool
	size                               sql.NullInt64  // bytes of content
	content                            sql.NullString // NULL when read or over the limit
}

// messagesQuery reads rows in id order. Content is fetched only for unread
// rows within the size limit, so huge or already-read rows are never copied
// into memory.
const messagesQuery = `
SELECT id, from_id, to_id, timestamp, data, summary, large_file_path, ipcd_unread, ipcd_size,
       CASE WHEN ipcd_unread AND ipcd_size <= ? THEN content END
FROM (SELECT *, (read_flag IS NULL OR read_flag = 0) AS ipcd_unread,
             length(CAST(content AS BLOB)) AS ipcd_size
      FROM messages)
ORDER BY id`

// readMessages reads every row and keeps the unread, importable ones.
func (rd *reader) readMessages(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, messagesQuery, rd.opts.MaxMessageBytes)
	if err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m messageRow
		if err := rows.Scan(&m.id, &m.from, &m.to, &m.timestamp, &m.data, &m.summary,
			&m.largeFile, &m.unread, &m.size, &m.content); err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		rd.report.Messages.Rows++
		rd.message(m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	return nil
}

// message checks one row and, if it can be imported, adds it.
func (rd *reader) message(m messageRow) {
	if !m.unread {
		rd.report.Messages.AlreadyRead++
		return
	}
	from, to := m.from.String, m.to.String
	if perr := rd.checkName(from); perr != nil {
		rd.skipRow(m.id, perr.Code, "the sender %s is not a valid name", quote(from))
		return
	}
	if perr := rd.checkName(to); perr != nil {
		rd.skipRow(m.id, perr.Code, "the recipient %s is not a valid name", quote(to))
		return
	}
	if m.size.Int64 > int64(rd.opts.MaxMessageBytes) {
		rd.skipRow(m.id, protocol.CodeMessageTooLarge,
			"the content is %s, over the message size limit of %s; raise --max-message-size and import again",
			sizeText(m.size.Int64), sizeText(int64(rd.opts.MaxMessageBytes)))
		return
	}
	if strings.TrimSpace(m.content.String) == "" {
		rd.skipRow(m.id, protocol.CodeEmptyMessage, "the content is empty")
		return
	}

	content := rd.fullContent(m)
	if !utf8.ValidString(content) {
		content = strings.ToValidUTF8(content, "\uFFFD")
		rd.note(m.id, "", NoteInvalidUTF8, "the content had bytes that are not UTF-8; they were replaced with U+FFFD")
	}
	sentAt, ok := parseTimestamp(m.timestamp.String, rd.opts.Location)
	if !ok {
		sentAt = rd.opts.Now()
		rd.note(m.id, "", NoteBadTimestamp, "the sent time %s is not a date; the import time is used", quote(m.timestamp.String))
	}
	data, ok := parseData(m.data.String)
	if !ok {
		rd.note(m.id, "", NoteBadData, "the data is not a JSON object and was dropped; the content is imported")
	}
	if len(data) > rd.opts.MaxMessageBytes {
		// With it the message would not fit in a request the daemon takes.
		rd.note(m.id, "", NoteBadData, "the data is %s, over the message size limit of %s, and was dropped; the content is imported",
			sizeText(int64(len(data))), sizeText(int64(rd.opts.MaxMessageBytes)))
		data = nil
	}
	if _, known := rd.names[to]; !known {
		rd.names[to] = Name{Name: to}
	}
	rd.messages = append(rd.messages, Message{
		Key:     messageKey(m.id, from, to, m.timestamp.String, m.content.String),
		From:    from,
		To:      to,
		Content: content,
		SentAt:  sentAt,
		Data:    data,
	})
}

// fullContent is the row's content, or the full text from the earlier
// tool's large-message file when the row holds only its summary.
func (rd *reader) fullContent(m messageRow) string {
	path := m.largeFile.String
	if path == "" || !looksLikeSummary(m.content.String, m.summary.String) {
		return m.content.String
	}
	full, outcome, detail := readLargeFile(path, rd.dir, rd.opts.MaxMessageBytes)
	shown := strconv.QuoteToASCII(path)
	switch outcome {
	case fileUsed:
		rd.note(m.id, "", NoteFullContent, "imported the full content (%s) from %s instead of its summary",
			sizeText(int64(len(full))), shown)
		return full
	case fileMissing:
		rd.note(m.id, "", NoteLargeFileMissing, "the large-message file %s is gone; imported the summary", shown)
	case fileNotRegular:
		rd.note(m.id, "", NoteLargeFileIgnored, "%s is not a regular file; imported the summary", shown)
	case fileUnknown:
		rd.note(m.id, "", NoteLargeFileIgnored, "%s is not a large-message file of the earlier tool; imported the summary", shown)
	case fileTooLarge:
		rd.note(m.id, "", NoteLargeFileIgnored,
			"the full content in %s is %s, over the message size limit of %s; imported the summary (raise --max-message-size and import again for the full text)",
			shown, detail, sizeText(int64(rd.opts.MaxMessageBytes)))
	default:
		rd.note(m.id, "", NoteLargeFileIgnored, "cannot read %s (%s); imported the summary", shown, detail)
	}
	return m.content.String
}
