package setup

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrUnparseable is matched (errors.Is) by every ParseError.
var ErrUnparseable = errors.New("config file cannot be edited safely")

// ErrChanged is returned by Apply when a file changed on disk after Plan read
// it (the client itself may have rewritten it); nothing was written.
var ErrChanged = errors.New("config file changed while setup ran")

// ParseError reports a configuration file that setup will not edit because
// it cannot read it, or cannot place its entry in it without guessing. The
// file is left byte for byte as it was.
type ParseError struct {
	Path   string
	Line   int // 1-based; 0 when the problem has no single position
	Column int // 1-based, in bytes
	Reason string
}

func (e *ParseError) Error() string {
	pos := ""
	if e.Line > 0 {
		pos = fmt.Sprintf(":%d:%d", e.Line, e.Column)
	}
	return fmt.Sprintf("parse %s%s: %s (the file was left unchanged)", e.Path, pos, e.Reason)
}

// Unwrap makes errors.Is(err, ErrUnparseable) true.
func (e *ParseError) Unwrap() error { return ErrUnparseable }

// errAt builds a ParseError for byte offset off of src.
func errAt(src []byte, off int, format string, args ...any) *ParseError {
	line, col := lineCol(src, off)
	return &ParseError{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(src []byte, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	col = 1 + off - (bytes.LastIndexByte(src[:off], '\n') + 1)
	return line, col
}

// withPath fills in the file name of a ParseError.
func withPath(err error, path string) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Path == "" {
		pe.Path = path
	}
	return err
}
