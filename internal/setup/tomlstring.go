package setup

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// describe names the next character for an error message.
func describe(rest []byte) string {
	if len(rest) == 0 {
		return "the end of the file"
	}
	r, _ := utf8.DecodeRune(rest)
	return strconv.QuoteRune(r)
}

// decodeTOMLString returns the text of a TOML string as written in raw.
func decodeTOMLString(raw string) (string, bool) {
	switch {
	case strings.HasPrefix(raw, `"""`) && len(raw) >= 6:
		return unescapeTOML(trimNewline(raw[3 : len(raw)-3]))
	case strings.HasPrefix(raw, `'''`) && len(raw) >= 6:
		return trimNewline(raw[3 : len(raw)-3]), true
	case strings.HasPrefix(raw, `"`) && len(raw) >= 2:
		return unescapeTOML(raw[1 : len(raw)-1])
	case strings.HasPrefix(raw, `'`) && len(raw) >= 2:
		return raw[1 : len(raw)-1], true
	}
	return "", false
}

// trimNewline drops the line break that may follow the opening quotes of a
// multi-line string.
func trimNewline(s string) string {
	if strings.HasPrefix(s, "\r\n") {
		return s[2:]
	}
	return strings.TrimPrefix(s, "\n")
}

func unescapeTOML(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"':
			b.WriteByte('"')
		case '\\':
			b.WriteByte('\\')
		case 'u', 'U':
			n := 4
			if s[i] == 'U' {
				n = 8
			}
			if i+1+n > len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(v))
			i += n
		default:
			// A backslash at the end of a line in a multi-line string
			// trims the line break and leading blanks that follow it.
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			if j < len(s) && (s[j] == '\n' || s[j] == '\r') {
				for j < len(s) && strings.IndexByte(" \t\r\n", s[j]) >= 0 {
					j++
				}
				i = j - 1
				continue
			}
			return "", false
		}
	}
	return b.String(), true
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
