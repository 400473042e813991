package setup

import (
	"bytes"
	"slices"
	"strings"
)

// codexDoc is a Codex config.toml with ipcd's tables located in it. Codex
// keeps one [mcp_servers.NAME] table per server; ipcd's is
// [mcp_servers.ipc], with its environment in [mcp_servers.ipc.env].
type codexDoc struct {
	src    []byte
	items  []tomlItem
	nl     string
	blocks []tomlBlock // ipcd's tables, in file order
	// serversEnd is the offset after the last other [mcp_servers...]
	// table, where a new ipcd table goes; -1 when there is none.
	serversEnd int
}

// tomlBlock is one table of ipcd's: its header and its key/values.
type tomlBlock struct {
	sub   []string // path below mcp_servers.ipc: none, ["env"], or other
	start int      // start of the header line
	hdr   int      // end of the header line
	end   int      // end of the last key/value line (or of the header)
	items []tomlItem
}

var ipcPath = []string{"mcp_servers", ServerKey}

func parseCodexDoc(src []byte) (*codexDoc, error) {
	items, err := scanTOML(src)
	if err != nil {
		return nil, err
	}
	d := &codexDoc{src: src, items: items, nl: "\n", serversEnd: -1}
	if bytes.Contains(src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	var table []string
	var cur *tomlBlock
	inServers := false
	seen := map[string]int{}
	for _, it := range items {
		if it.header {
			table, cur, inServers = it.key, nil, false
			if hasPrefix(it.key, ipcPath) {
				if it.array {
					return nil, errAt(src, it.start, "[[%s]] makes %s an array of tables; ipc-mcp setup needs a [%s] table", strings.Join(it.keyRaw, "."), strings.Join(ipcPath, "."), strings.Join(ipcPath, "."))
				}
				name := strings.Join(it.key, "\x00")
				if prev, dup := seen[name]; dup {
					l1, _ := lineCol(src, prev)
					return nil, errAt(src, it.start, "[%s] is defined twice (also on line %d)", strings.Join(it.keyRaw, "."), l1)
				}
				seen[name] = it.start
				d.blocks = append(d.blocks, tomlBlock{sub: it.key[len(ipcPath):], start: it.start, hdr: it.end, end: it.end})
				cur = &d.blocks[len(d.blocks)-1]
				continue
			}
			if len(it.key) > 0 && it.key[0] == "mcp_servers" {
				inServers = true
				d.serversEnd = it.end
			}
			continue
		}
		switch {
		case len(table) == 0 && it.key[0] == "mcp_servers" && len(it.key) == 1:
			return nil, errAt(src, it.start, "mcp_servers is written as an inline table; ipc-mcp setup adds a [mcp_servers.ipc] table, which TOML does not allow next to it. Write each server as a [mcp_servers.NAME] table, or add ipcd by hand")
		case len(table) == 0 && hasPrefix(it.key, ipcPath),
			slices.Equal(table, ipcPath[:1]) && it.key[0] == ServerKey:
			return nil, errAt(src, it.start, "%s is written as an inline table or dotted keys; ipc-mcp setup edits only a [%s] table. Rewrite it as one, or edit it by hand", strings.Join(ipcPath, "."), strings.Join(ipcPath, "."))
		}
		switch {
		case cur != nil:
			cur.items = append(cur.items, it)
			cur.end = it.end
		case inServers:
			d.serversEnd = it.end
		}
	}
	if main := d.block(nil); main != nil && d.block([]string{"env"}) != nil {
		for _, it := range main.items {
			if it.key[0] == "env" {
				return nil, errAt(src, it.start, "env of %s is defined both here and as a [%s.env] table", strings.Join(ipcPath, "."), strings.Join(ipcPath, "."))
			}
		}
	}
	return d, nil
}

func hasPrefix(key, prefix []string) bool {
	return len(key) >= len(prefix) && slices.Equal(key[:len(prefix)], prefix)
}

func (d *codexDoc) block(sub []string) *tomlBlock {
	for i := range d.blocks {
		if slices.Equal(d.blocks[i].sub, sub) {
			return &d.blocks[i]
		}
	}
	return nil
}

func (d *codexDoc) raw(it tomlItem) string { return string(d.src[it.valFrom:it.valTo]) }

// state reads ipcd's entry.
func (d *codexDoc) state() serverState {
	st := serverState{found: len(d.blocks) > 0}
	if main := d.block(nil); main != nil {
		for _, it := range main.items {
			switch {
			case slices.Equal(it.key, []string{"command"}):
				st.command, _ = decodeTOMLString(d.raw(it))
			case slices.Equal(it.key, []string{"env", "IPC_NAME"}):
				st.name, _ = decodeTOMLString(d.raw(it))
			case slices.Equal(it.key, []string{"env", "IPC_SHARED_SECRET"}):
				st.sharedSecret = true
			case slices.Equal(it.key, []string{"env"}):
				for _, m := range it.inline {
					switch {
					case slices.Equal(m.key, []string{"IPC_NAME"}):
						st.name, _ = decodeTOMLString(m.valRaw)
					case slices.Equal(m.key, []string{"IPC_SHARED_SECRET"}):
						st.sharedSecret = true
					}
				}
			}
		}
	}
	if env := d.block([]string{"env"}); env != nil {
		for _, it := range env.items {
			switch {
			case slices.Equal(it.key, []string{"IPC_NAME"}):
				st.name, _ = decodeTOMLString(d.raw(it))
			case slices.Equal(it.key, []string{"IPC_SHARED_SECRET"}):
				st.sharedSecret = true
			}
		}
	}
	return st
}

// apply returns the file with ipcd's tables written for e. ipcd owns
// command, args and env.IPC_NAME; every other line of its tables is kept,
// and the rest of the file is not touched.
func (d *codexDoc) apply(e entry) []byte {
	table := d.render(e)
	if len(d.blocks) == 0 {
		return d.insert(table)
	}
	var out bytes.Buffer
	out.Write(d.src[:d.blocks[0].start])
	out.WriteString(table)
	for i, b := range d.blocks {
		next := len(d.src)
		if i+1 < len(d.blocks) {
			next = d.blocks[i+1].start
		}
		gap := d.src[b.end:next]
		if i+1 < len(d.blocks) {
			if len(bytes.TrimSpace(gap)) == 0 {
				continue // ipcd's tables were side by side
			}
			gap = trimBlankTail(gap)
		}
		out.Write(gap)
	}
	return out.Bytes()
}

// insert adds a new table after the other MCP servers, or at the end.
func (d *codexDoc) insert(table string) []byte {
	if len(bytes.TrimSpace(d.src)) == 0 {
		return []byte(table)
	}
	pos := len(d.src)
	if d.serversEnd >= 0 {
		pos = d.serversEnd
	}
	var out bytes.Buffer
	out.Write(d.src[:pos])
	if d.src[pos-1] != '\n' {
		out.WriteString(d.nl)
	}
	out.WriteString(d.nl)
	out.WriteString(table)
	rest := d.src[pos:]
	if len(rest) > 0 && !startsWithBlankLine(rest) {
		out.WriteString(d.nl)
	}
	out.Write(rest)
	return out.Bytes()
}

// render writes ipcd's tables.
func (d *codexDoc) render(e entry) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + d.nl) }
	line("[" + strings.Join(ipcPath, ".") + "]")
	line("command = " + tomlQuote(e.command))
	line("args = []")

	var envLines []string
	if main := d.block(nil); main != nil {
		var kept bytes.Buffer
		prev := main.hdr
		for _, it := range main.items {
			kept.Write(d.src[prev:it.start])
			prev = it.end
			switch {
			case slices.Equal(it.key, []string{"command"}), slices.Equal(it.key, []string{"args"}):
			case slices.Equal(it.key, []string{"env"}):
				for _, m := range it.inline {
					// Without a name to set, the one configured stays as it is.
					if !slices.Equal(m.key, []string{"IPC_NAME"}) || e.name == "" {
						envLines = append(envLines, strings.Join(m.keyRaw, ".")+" = "+m.valRaw)
					}
				}
			case it.key[0] == "env":
				if !slices.Equal(it.key, []string{"env", "IPC_NAME"}) || e.name == "" {
					envLines = append(envLines, strings.Join(it.keyRaw[1:], ".")+" = "+d.raw(it))
				}
			default:
				kept.Write(withNewline(d.src[it.start:it.end], d.nl))
			}
		}
		b.Write(trimBlankTail(kept.Bytes()))
	}

	var envKept bytes.Buffer
	if env := d.block([]string{"env"}); env != nil {
		prev := env.hdr
		for _, it := range env.items {
			envKept.Write(d.src[prev:it.start])
			prev = it.end
			if !slices.Equal(it.key, []string{"IPC_NAME"}) || e.name == "" {
				envKept.Write(withNewline(d.src[it.start:it.end], d.nl))
			}
		}
	}
	envText := trimBlankTail(envKept.Bytes())
	if e.name != "" || len(envLines) > 0 || len(bytes.TrimSpace(envText)) > 0 {
		line("")
		line("[" + strings.Join(ipcPath, ".") + ".env]")
		if e.name != "" {
			line("IPC_NAME = " + tomlQuote(e.name))
		}
		for _, l := range envLines {
			line(l)
		}
		b.Write(envText)
	}

	for _, blk := range d.blocks {
		if len(blk.sub) == 0 || slices.Equal(blk.sub, []string{"env"}) {
			continue
		}
		line("")
		b.Write(withNewline(d.src[blk.start:blk.end], d.nl))
	}
	return b.String()
}

func withNewline(b []byte, nl string) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return append(bytes.Clone(b), nl...)
	}
	return b
}

// trimBlankTail drops blank lines at the end of b.
func trimBlankTail(b []byte) []byte {
	end := len(b)
	for end > 0 {
		start := bytes.LastIndexByte(b[:end-1], '\n') + 1
		if len(bytes.TrimSpace(b[start:end])) != 0 {
			break
		}
		end = start
	}
	return b[:end]
}

func startsWithBlankLine(b []byte) bool {
	i := bytes.IndexByte(b, '\n')
	return i >= 0 && len(bytes.TrimSpace(b[:i])) == 0
}
