package setup

import (
	"strings"
)

// tomlItem is one table header or key/value line of a TOML file. setup
// edits TOML by lines, so it needs to know where each item starts and
// ends, not the values themselves; it decodes only the strings it reads.
type tomlItem struct {
	header  bool     // [table] (or [[array]] when array is set)
	array   bool     // [[array of tables]]
	key     []string // the header's path, or the key of a key/value
	keyRaw  []string // the key's parts as written
	start   int      // offset of the start of the item's first line
	end     int      // offset after the item's last line break (or EOF)
	valFrom int      // key/value: offsets of the value as written
	valTo   int
	inline  []tomlMember // key/value whose value is an inline table
}

// tomlMember is one key = value of an inline table.
type tomlMember struct {
	key    []string
	keyRaw []string
	valRaw string
}

type tomlScanner struct {
	src   []byte
	pos   int
	items []tomlItem
}

// scanTOML splits a TOML file into items, or reports where it stops making
// sense. It checks the structure (strings, arrays, inline tables, headers),
// not every rule of TOML.
func scanTOML(src []byte) ([]tomlItem, error) {
	s := &tomlScanner{src: src}
	for i, c := range src {
		if c == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			s.pos = i
			return nil, s.errf("a carriage return without a line feed")
		}
	}
	for s.pos < len(s.src) {
		lineStart := s.pos
		s.skipBlanks()
		if s.pos >= len(s.src) {
			break
		}
		switch c := s.src[s.pos]; {
		case c == '\n':
			s.pos++
		case c == '\r' && s.peek(1) == '\n':
			s.pos += 2
		case c == '#':
			if err := s.endOfLine(); err != nil {
				return nil, err
			}
		case c == '[':
			if err := s.header(lineStart); err != nil {
				return nil, err
			}
		default:
			if err := s.keyValue(lineStart); err != nil {
				return nil, err
			}
		}
	}
	return s.items, nil
}

func (s *tomlScanner) errf(format string, args ...any) error {
	return errAt(s.src, s.pos, format, args...)
}

func (s *tomlScanner) peek(n int) byte {
	if s.pos+n < len(s.src) {
		return s.src[s.pos+n]
	}
	return 0
}

func (s *tomlScanner) skipBlanks() {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// skipSpace skips blanks, line breaks and comments (inside arrays and
// inline tables).
func (s *tomlScanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		case '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

// endOfLine accepts blanks, a comment and the line break.
func (s *tomlScanner) endOfLine() error {
	s.skipBlanks()
	if s.pos < len(s.src) && s.src[s.pos] == '#' {
		for s.pos < len(s.src) && s.src[s.pos] != '\n' {
			s.pos++
		}
	}
	switch {
	case s.pos >= len(s.src):
		return nil
	case s.src[s.pos] == '\n':
		s.pos++
		return nil
	case s.src[s.pos] == '\r' && s.peek(1) == '\n':
		s.pos += 2
		return nil
	}
	return s.errf("unexpected %s after the value; expected the end of the line", describe(s.src[s.pos:]))
}

func (s *tomlScanner) header(lineStart int) error {
	it := tomlItem{header: true, start: lineStart}
	s.pos++
	if s.peek(0) == '[' {
		it.array = true
		s.pos++
	}
	var err error
	if it.key, it.keyRaw, err = s.keyPath(); err != nil {
		return err
	}
	s.skipBlanks()
	closing := "]"
	if it.array {
		closing = "]]"
	}
	if !strings.HasPrefix(string(s.src[s.pos:min(len(s.src), s.pos+len(closing))]), closing) {
		return s.errf("table header is not closed with %q", closing)
	}
	s.pos += len(closing)
	if err := s.endOfLine(); err != nil {
		return err
	}
	it.end = s.pos
	s.items = append(s.items, it)
	return nil
}

func (s *tomlScanner) keyValue(lineStart int) error {
	it := tomlItem{start: lineStart}
	var err error
	if it.key, it.keyRaw, err = s.keyPath(); err != nil {
		return err
	}
	s.skipBlanks()
	if s.peek(0) != '=' {
		return s.errf("expected '=' after the key %q", strings.Join(it.keyRaw, "."))
	}
	s.pos++
	s.skipBlanks()
	it.valFrom = s.pos
	if it.inline, err = s.value(); err != nil {
		return err
	}
	it.valTo = s.pos
	if err := s.endOfLine(); err != nil {
		return err
	}
	it.end = s.pos
	s.items = append(s.items, it)
	return nil
}

// keyPath reads a dotted key: bare, "basic" or 'literal' parts.
func (s *tomlScanner) keyPath() (key, raw []string, err error) {
	for {
		s.skipBlanks()
		from := s.pos
		var part string
		switch s.peek(0) {
		case '"', '\'':
			if s.peek(1) == s.peek(0) && s.peek(2) == s.peek(0) {
				return nil, nil, s.errf("a key cannot be a multi-line string")
			}
			if err := s.str(); err != nil {
				return nil, nil, err
			}
			part, _ = decodeTOMLString(string(s.src[from:s.pos]))
		default:
			for s.pos < len(s.src) && isBareKeyChar(s.src[s.pos]) {
				s.pos++
			}
			if s.pos == from {
				return nil, nil, s.errf("expected a key, found %s", describe(s.src[s.pos:]))
			}
			part = string(s.src[from:s.pos])
		}
		key = append(key, part)
		raw = append(raw, string(s.src[from:s.pos]))
		s.skipBlanks()
		if s.peek(0) != '.' {
			return key, raw, nil
		}
		s.pos++
	}
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value; for an inline table it returns the members.
func (s *tomlScanner) value() ([]tomlMember, error) {
	switch s.peek(0) {
	case '"', '\'':
		return nil, s.str()
	case '[':
		return nil, s.array()
	case '{':
		return s.inlineTable()
	}
	from := s.pos
	for s.pos < len(s.src) && !strings.ContainsRune(" \t\r\n,]}#", rune(s.src[s.pos])) {
		s.pos++
	}
	if s.pos == from {
		return nil, s.errf("expected a value, found %s", describe(s.src[s.pos:]))
	}
	return nil, nil
}

// str skips a basic, literal or multi-line string.
func (s *tomlScanner) str() error {
	q := s.src[s.pos]
	start := s.pos
	if s.peek(1) == q && s.peek(2) == q {
		s.pos += 3
		for s.pos < len(s.src) {
			c := s.src[s.pos]
			if c == '\\' && q == '"' {
				s.pos += 2
				continue
			}
			if c == q && s.peek(1) == q && s.peek(2) == q {
				s.pos += 3
				for i := 0; i < 2 && s.peek(0) == q; i++ { // up to two quotes end the content
					s.pos++
				}
				return nil
			}
			s.pos++
		}
		s.pos = start
		return s.errf("multi-line string is never closed")
	}
	s.pos++
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\\' && q == '"':
			s.pos += 2
			continue
		case c == q:
			s.pos++
			return nil
		case c == '\n':
			return s.errf("string is not closed on its line")
		}
		s.pos++
	}
	return s.errf("string is never closed")
}

func (s *tomlScanner) array() error {
	s.pos++
	for {
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.errf("array is never closed")
		}
		if s.src[s.pos] == ']' {
			s.pos++
			return nil
		}
		if _, err := s.value(); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.errf("array is never closed")
		}
		switch s.peek(0) {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errf("expected ',' or ']' in the array, found %s", describe(s.src[s.pos:]))
		}
	}
}

func (s *tomlScanner) inlineTable() ([]tomlMember, error) {
	s.pos++
	var members []tomlMember
	for {
		s.skipSpace()
		if s.pos >= len(s.src) {
			return nil, s.errf("inline table is never closed")
		}
		if s.src[s.pos] == '}' {
			s.pos++
			return members, nil
		}
		var m tomlMember
		var err error
		if m.key, m.keyRaw, err = s.keyPath(); err != nil {
			return nil, err
		}
		s.skipBlanks()
		if s.peek(0) != '=' {
			return nil, s.errf("expected '=' in the inline table")
		}
		s.pos++
		s.skipBlanks()
		from := s.pos
		if _, err := s.value(); err != nil {
			return nil, err
		}
		m.valRaw = string(s.src[from:s.pos])
		members = append(members, m)
		s.skipSpace()
		if s.pos >= len(s.src) {
			return nil, s.errf("inline table is never closed")
		}
		switch s.peek(0) {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return members, nil
		default:
			return nil, s.errf("expected ',' or '}' in the inline table, found %s", describe(s.src[s.pos:]))
		}
	}
}
