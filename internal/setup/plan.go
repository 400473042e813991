package setup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Request is what the user asked for.
type Request struct {
	Client string
	// Name is the IPC_NAME to set; empty keeps the one already configured,
	// if any.
	Name string
	// NoHooks leaves hooks alone and writes only the MCP server entry.
	NoHooks bool
	// Project (cursor only) writes DIR/.cursor/mcp.json instead of the
	// global file; Dir defaults to Options.WorkDir.
	Project bool
	Dir     string
}

// Change is everything setup would write for one request.
type Change struct {
	Client string
	Title  string // the client's own name, "Claude Code"
	Name   string // the IPC_NAME in effect ("" for none)
	Files  []*FileChange
	// Notes are what the user should know about what setup leaves as it
	// is.
	Notes []string
}

// FileChange is one file's contents before and after.
type FileChange struct {
	Path    string // as setup resolves it (symbolic links followed)
	Existed bool
	Mode    fs.FileMode // of the existing file; 0600 for a new one
	Before  []byte
	After   []byte
	// What lists the parts setup looked after, for the summary.
	What []string
}

// Changed reports whether the file would be written.
func (f *FileChange) Changed() bool { return !f.Existed || !bytes.Equal(f.Before, f.After) }

// Changed reports whether any file would be written.
func (c *Change) Changed() bool {
	for _, f := range c.Files {
		if f.Changed() {
			return true
		}
	}
	return false
}

// Plan reads the client's files and computes their new contents; it writes
// nothing.
func Plan(o *Options, req Request) (*Change, error) {
	o, err := o.resolved()
	if err != nil {
		return nil, err
	}
	c, err := lookupClient(req.Client)
	if err != nil {
		return nil, err
	}
	if req.Project && c.name != Cursor {
		return nil, usagef("check flags: --project is supported only for %s", Cursor)
	}
	if req.Name != "" {
		if perr := protocol.ValidateName(req.Name); perr != nil {
			return nil, usagef("check name: %w", perr)
		}
	}
	var specs, hooksLeft []fileSpec
	for _, spec := range c.files(o, req) {
		if req.NoHooks {
			if spec.hooks != nil {
				hooksLeft = append(hooksLeft, spec)
			}
			if spec.server == nil {
				continue
			}
			spec.hooks = nil
		}
		specs = append(specs, spec)
	}
	files := make([]*FileChange, len(specs))
	for i, spec := range specs {
		if files[i], err = readFile(spec.path); err != nil {
			return nil, err
		}
	}
	// The name: the one asked for, else the one the server entry has.
	name := req.Name
	var notes []string
	for i, spec := range specs {
		if spec.server == nil {
			continue
		}
		st, err := readServer(spec, files[i].Before)
		if err != nil {
			return nil, withPath(err, files[i].Path)
		}
		if name == "" && protocol.ValidateName(st.name) == nil {
			name = st.name
		}
		if st.sharedSecret {
			notes = append(notes, fmt.Sprintf("%s: the entry's env sets IPC_SHARED_SECRET, which setup keeps; the daemon refuses it (bad_proof) unless it is the daemon's own secret, so delete it unless you gave the daemon the same one (docs/install.md)", files[i].Path))
		}
	}
	for _, spec := range hooksLeft {
		if n := staleHooks(spec, o, name); n != "" {
			notes = append(notes, n)
		}
	}
	e := entry{command: o.Executable, name: name}
	for i, spec := range specs {
		if err := edit(spec, files[i], e, o); err != nil {
			return nil, withPath(err, files[i].Path)
		}
	}
	return &Change{Client: c.name, Title: c.title, Name: name, Files: files, Notes: notes}, nil
}

// staleHooks says whether the ipcd hooks that --no-hooks leaves in spec's
// file act as another name than the server's: they would deliver that
// name's mail into this client's conversation.
func staleHooks(spec fileSpec, o *Options, name string) string {
	data, err := os.ReadFile(spec.path)
	if err != nil {
		return ""
	}
	d, err := parseJSONDoc(data)
	if err != nil {
		return ""
	}
	found, err := readJSONHooks(d, spec.hooks, o.Executable)
	if err != nil {
		return ""
	}
	for _, command := range found {
		if as := hookName(command); as != name {
			return fmt.Sprintf("%s: its ipcd hooks, left alone with --no-hooks, act as %s, not as the server's %s; run setup again without --no-hooks to update them, or remove them", spec.path, orNone(as), orNone(name))
		}
	}
	return ""
}

func orNone(name string) string {
	if name == "" {
		return "no name"
	}
	return name
}

// readFile reads a configuration file, following symbolic links so that a
// file kept in a dotfiles repository stays a link.
func readFile(path string) (*FileChange, error) {
	f := &FileChange{Path: path, Mode: 0o600}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		f.Path = real
	} else if target, lerr := os.Readlink(path); lerr == nil {
		// A link to a file that does not exist yet: create the target, so
		// that the link stays (writing the link's path would replace it).
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		if _, err := os.Lstat(target); err == nil {
			return nil, fmt.Errorf("read %s: it is a link that goes round in circles or through a link to nothing", path)
		}
		f.Path = target
	}
	info, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	case info.IsDir():
		return nil, fmt.Errorf("read %s: it is a directory", path)
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f.Existed, f.Mode, f.Before = true, info.Mode().Perm(), data
	return f, nil
}

func readServer(spec fileSpec, data []byte) (serverState, error) {
	if spec.format == formatTOML {
		d, err := parseCodexDoc(data)
		if err != nil {
			return serverState{}, err
		}
		return d.state(), nil
	}
	d, err := parseJSONDoc(data)
	if err != nil {
		return serverState{}, err
	}
	return readJSONServer(d, spec.server)
}

// edit computes f.After.
func edit(spec fileSpec, f *FileChange, e entry, o *Options) error {
	if spec.format == formatTOML {
		d, err := parseCodexDoc(f.Before)
		if err != nil {
			return err
		}
		f.After = d.apply(e)
		f.What = append(f.What, fmt.Sprintf("MCP server [mcp_servers.%s]", ServerKey))
		return nil
	}
	d, err := parseJSONDoc(f.Before)
	if err != nil {
		return err
	}
	if spec.server != nil {
		if _, err := applyJSONServer(d, spec.server, e); err != nil {
			return err
		}
		f.What = append(f.What, fmt.Sprintf("MCP server %q in %q", ServerKey, spec.server.serversKey))
	}
	if spec.hooks != nil {
		if err := hookPathProblem(o.GOOS, o.Executable); err != nil {
			return err
		}
		cmd := hookCommand(o.GOOS, o.Executable, e.name)
		if _, err := applyJSONHooks(d, spec.hooks, cmd, o.Executable); err != nil {
			return err
		}
		f.What = append(f.What, "hooks "+joinEvents(spec.hooks.events))
	}
	f.After = d.bytes()
	return nil
}

func joinEvents(events []string) string {
	var b bytes.Buffer
	for i, ev := range events {
		switch {
		case i == 0:
		case i == len(events)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(ev)
	}
	return b.String()
}
