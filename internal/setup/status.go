package setup

import (
	"errors"
	"io/fs"
	"os"
)

// Status is what `setup --list` reports for one client.
type Status struct {
	Client string
	Title  string
	// Path is the file holding the MCP server entry.
	Path string
	// Found: that file exists.
	Found bool
	// SetUp: it has ipcd's entry.
	SetUp bool
	// Name is the entry's IPC_NAME ("" for none).
	Name string
	// Command is what the entry launches; Current tells whether that is
	// this ipc-mcp.
	Command string
	Current bool
	// Hooks counts the events that run ipcd's hook, of HookEvents (0 for
	// clients without hooks).
	Hooks, HookEvents int
	// HooksAs is the name a hook acts as when it is not Name ("" when
	// they agree).
	HooksAs string
	// Err is set when a file could not be read or parsed.
	Err error
}

// List reports, for every supported client, whether its configuration file
// exists and whether ipcd is set up in it. A Cursor project file in the
// working directory gets a row of its own.
func List(o *Options) ([]Status, error) {
	o, err := o.resolved()
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, c := range clients {
		out = append(out, status(o, c, Request{Client: c.name}))
		if c.name == Cursor {
			st := status(o, c, Request{Client: c.name, Project: true})
			if st.Found && st.Path != out[len(out)-1].Path {
				st.Client = Cursor + " --project"
				out = append(out, st)
			}
		}
	}
	return out, nil
}

func status(o *Options, c clientInfo, req Request) Status {
	st := Status{Client: c.name, Title: c.title}
	var hooksAs []string
	for _, spec := range c.files(o, req) {
		data, err := os.ReadFile(spec.path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) && st.Err == nil {
			st.Err = err
		}
		if spec.server != nil {
			st.Path, st.Found = spec.path, exists
			if exists {
				srv, err := readServer(spec, data)
				if err != nil && st.Err == nil {
					st.Err = withPath(err, spec.path)
				}
				st.SetUp, st.Name, st.Command = srv.found, srv.name, srv.command
				st.Current = srv.command == o.Executable
			}
		}
		if spec.hooks != nil {
			st.HookEvents = len(spec.hooks.events)
			if exists {
				d, err := parseJSONDoc(data)
				if err != nil {
					if st.Err == nil {
						st.Err = withPath(err, spec.path)
					}
					continue
				}
				found, err := readJSONHooks(d, spec.hooks, o.Executable)
				if err != nil && st.Err == nil {
					st.Err = withPath(err, spec.path)
				}
				st.Hooks = len(found)
				for _, command := range found {
					hooksAs = append(hooksAs, hookName(command))
				}
			}
		}
	}
	for _, as := range hooksAs {
		if as != st.Name {
			st.HooksAs = orNone(as)
		}
	}
	return st
}
