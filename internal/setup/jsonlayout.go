package setup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// layout tells how the items of a container are laid out: the indentation
// of its items, or inline when they share one line.
func layout[T any](d *jsonDoc, containerIndent string, items []T, before func(*T) hujson.Extra) (indent string, inline bool) {
	for i := len(items) - 1; i >= 0; i-- {
		if ind, ok := lineIndent(before(&items[i])); ok {
			return ind, false
		}
	}
	if len(items) > 0 || d.oneLine {
		return "", true
	}
	return containerIndent + d.unit, false
}

// placeNew returns the whitespace before a new last item of a container
// that has n items, and adjusts the container's closing whitespace.
func (d *jsonDoc) placeNew(n int, indent string, inline bool, closeIndent string, closing *hujson.Extra) hujson.Extra {
	if inline {
		if n == 0 {
			return nil
		}
		return hujson.Extra(" ")
	}
	before := d.nl + indent
	if n > 0 {
		// A comment on the line of the last item stays on that line.
		if head, rest, ok := sameLineComment(*closing); ok {
			*closing = rest
			return hujson.Extra(string(head) + before)
		}
		return hujson.Extra(before)
	}
	if hasComment(*closing) {
		before = strings.TrimRight(string(*closing), " \t\r\n") + before
	}
	*closing = hujson.Extra(d.nl + closeIndent)
	return hujson.Extra(before)
}

// render turns compact JSON into a value laid out for its place.
func (d *jsonDoc) render(compact []byte, indent string, inline bool) (hujson.Value, error) {
	text := compact
	if !inline {
		var b bytes.Buffer
		if err := json.Indent(&b, compact, indent, d.unit); err != nil {
			return hujson.Value{}, fmt.Errorf("indent value: %w", err)
		}
		text = b.Bytes()
		if d.nl != "\n" {
			text = bytes.ReplaceAll(text, []byte("\n"), []byte(d.nl))
		}
	}
	v, err := hujson.Parse(text)
	if err != nil {
		return hujson.Value{}, fmt.Errorf("parse rendered value: %w", err)
	}
	return v, nil
}

// itemIndent is the indentation of the line an item starts on.
func (d *jsonDoc) itemIndent(fallback string, before hujson.Extra) string {
	if ind, ok := lineIndent(before); ok {
		return ind
	}
	return fallback
}

// lineIndent returns the blanks that start the last line of extra, and false
// when extra has no line break.
func lineIndent(extra hujson.Extra) (string, bool) {
	i := bytes.LastIndexByte(extra, '\n')
	if i < 0 {
		return "", false
	}
	rest := extra[i+1:]
	n := 0
	for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
		n++
	}
	return string(rest[:n]), true
}

// sameLineComment splits off the part of extra before its first line break
// when that part holds a comment.
func sameLineComment(extra hujson.Extra) (head, rest hujson.Extra, ok bool) {
	i := bytes.IndexByte(extra, '\n')
	if i < 0 {
		return nil, nil, false
	}
	j := i
	if j > 0 && extra[j-1] == '\r' {
		j--
	}
	head = extra[:j]
	if !hasComment(head) || !hujson.Extra(string(head)+"\n").IsValid() {
		return nil, nil, false
	}
	return head, extra[j:], true
}

// hasComment: extras hold only blanks and comments, so any slash is one.
func hasComment(extra hujson.Extra) bool {
	return bytes.IndexByte(extra, '/') >= 0
}

// standard returns v as plain JSON.
func standard(v hujson.Value) []byte {
	c := v.Clone()
	c.Standardize()
	return c.Pack()
}

func kindName(k hujson.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "a value"
}
