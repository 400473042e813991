package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// KeyPrefix starts every import key, so keys of imported mail cannot collide
// with other keys the daemon may keep.
const KeyPrefix = "claude-ipc:"

// messageKey identifies a row of the earlier tool whatever file it is read
// from: sha256 over the row id, sender, recipient, timestamp text and
// original content, each as an 8-byte big-endian length and its bytes.
func messageKey(id int64, from, to, timestamp, content string) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range []string{strconv.FormatInt(id, 10), from, to, timestamp, content} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return KeyPrefix + hex.EncodeToString(h.Sum(nil))
}

// parseTimestamp reads the earlier tool's datetime.isoformat() text: naive
// local time, with or without microseconds. A time with an offset keeps it.
func parseTimestamp(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	// Fractional seconds are accepted after the seconds even though the
	// layouts do not name them.
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseData returns data when it is a JSON object. ok is false when data is
// present but not an object.
func parseData(data string) (raw json.RawMessage, ok bool) {
	trimmed := bytes.TrimSpace([]byte(data))
	if len(trimmed) == 0 {
		return nil, true
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, false
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, trimmed); err != nil {
		return nil, false
	}
	return json.RawMessage(compact.Bytes()), true
}
