package setup

import (
	"strings"

	"github.com/tailscale/hujson"
)

// entry is what ipcd's MCP server entry should say.
type entry struct {
	command string // absolute path of ipc-mcp
	name    string // IPC_NAME, "" for none
}

// jsonEntry spells e the way the client's own tools do.
func (s *serverStyle) jsonEntry(e entry) object {
	o := object{}
	if s.withType {
		o = append(o, field{"type", "stdio"})
	}
	o = append(o, field{"command", e.command}, field{"args", []string{}})
	switch {
	case e.name != "":
		o = append(o, field{"env", object{{"IPC_NAME", e.name}}})
	case s.alwaysEnv:
		o = append(o, field{"env", object{}})
	}
	return o
}

// serverState is what a file says about ipcd's MCP server.
type serverState struct {
	found        bool
	command      string
	name         string // IPC_NAME
	sharedSecret bool   // env sets IPC_SHARED_SECRET
}

func readJSONServer(d *jsonDoc, s *serverStyle) (serverState, error) {
	servers, found, err := d.object(d.rootObj(), s.serversKey)
	if err != nil || !found {
		return serverState{}, err
	}
	i, err := d.find(servers, ServerKey)
	if err != nil || i < 0 {
		return serverState{}, err
	}
	st := serverState{found: true}
	ipc, isObj := servers.obj.Members[i].Value.Value.(*hujson.Object)
	if !isObj {
		return st, nil
	}
	ref := objRef{obj: ipc, where: childWhere(servers.where, ServerKey)}
	st.command, _ = d.str(ref, "command")
	if env, found, err := d.object(ref, "env"); err == nil && found {
		st.name, _ = d.str(env, "IPC_NAME")
		i, err := d.find(env, "IPC_SHARED_SECRET")
		st.sharedSecret = err == nil && i >= 0
	}
	return st, nil
}

// applyJSONServer merges ipcd's entry: it owns type, command, args and
// env.IPC_NAME; other keys of the entry and other variables in env stay,
// except that an entry that ran another program (the earlier Python
// tool's "ipc", started in its checkout) loses its "cwd": that directory
// was the old program's and may be gone, and a client cannot start a
// server in a directory that does not exist.
func applyJSONServer(d *jsonDoc, s *serverStyle, e entry) (bool, error) {
	root := d.rootObj()
	want := s.jsonEntry(e)
	servers, found, err := d.object(root, s.serversKey)
	if err != nil {
		return false, err
	}
	if !found {
		return d.set(root, s.serversKey, object{{ServerKey, want}})
	}
	i, err := d.find(servers, ServerKey)
	if err != nil {
		return false, err
	}
	if i < 0 || servers.obj.Members[i].Value.Value.Kind() != '{' {
		return d.set(servers, ServerKey, want)
	}
	ipc, _, err := d.object(servers, ServerKey)
	if err != nil {
		return false, err
	}
	changed := false
	if cmd, _ := d.str(ipc, "command"); cmd != "" && !isShim(cmd) {
		j, err := d.find(ipc, "cwd")
		if err != nil {
			return false, err
		}
		if j >= 0 {
			d.removeMember(ipc, j)
			changed = true
		}
	}
	for _, f := range want {
		var c bool
		if f.key == "env" {
			c, err = mergeEnv(d, ipc, f.val.(object))
		} else {
			c, err = d.set(ipc, f.key, f.val)
		}
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

// isShim says whether command runs an ipc-mcp, wherever it is installed.
func isShim(command string) bool {
	base := command[strings.LastIndexAny(command, `/\`)+1:]
	return base == "ipc-mcp" || strings.EqualFold(base, "ipc-mcp.exe")
}

// mergeEnv sets the variables of want in ipc's env, leaving the others.
func mergeEnv(d *jsonDoc, ipc objRef, want object) (bool, error) {
	i, err := d.find(ipc, "env")
	if err != nil {
		return false, err
	}
	if i < 0 || ipc.obj.Members[i].Value.Value.Kind() != '{' {
		return d.set(ipc, "env", want)
	}
	env, _, err := d.object(ipc, "env")
	if err != nil {
		return false, err
	}
	changed := false
	for _, f := range want {
		c, err := d.set(env, f.key, f.val)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

// hookPos locates one hook handler: group g of an event, handler h in it.
type hookPos struct{ g, h int }

// findHooks returns the ipcd handlers of one event's groups.
func findHooks(d *jsonDoc, groups arrRef, exe string) []hookPos {
	var found []hookPos
	for g := range groups.arr.Elements {
		group, ok := d.elemObject(groups, g)
		if !ok {
			continue
		}
		handlers, isArr, err := d.array(group, "hooks")
		if err != nil || !isArr {
			continue
		}
		for h := range handlers.arr.Elements {
			handler, ok := d.elemObject(handlers, h)
			if !ok {
				continue
			}
			if cmd, ok := d.str(handler, "command"); ok && isIpcdHook(cmd, exe) {
				found = append(found, hookPos{g, h})
			}
		}
	}
	return found
}

// readJSONHooks returns the events that already run an ipcd hook, with its
// command.
func readJSONHooks(d *jsonDoc, hs *hookStyle, exe string) (map[string]string, error) {
	out := map[string]string{}
	hooks, found, err := d.object(d.rootObj(), "hooks")
	if err != nil || !found {
		return out, err
	}
	for _, ev := range hs.events {
		groups, found, err := d.array(hooks, ev)
		if err != nil {
			return out, err
		}
		if !found {
			continue
		}
		if pos := findHooks(d, groups, exe); len(pos) > 0 {
			group, _ := d.elemObject(groups, pos[0].g)
			handlers, _, _ := d.array(group, "hooks")
			handler, _ := d.elemObject(handlers, pos[0].h)
			out[ev], _ = d.str(handler, "command")
		}
	}
	return out, nil
}

// applyJSONHooks gives each event exactly one ipcd handler: an existing one
// is updated where it stands, extra copies are removed, and a missing one
// is appended as a group of its own.
func applyJSONHooks(d *jsonDoc, hs *hookStyle, command, exe string) (bool, error) {
	root := d.rootObj()
	handler := hs.handler(command)
	group := object{{"hooks", []any{handler}}}
	hooks, found, err := d.object(root, "hooks")
	if err != nil {
		return false, err
	}
	if !found {
		all := object{}
		for _, ev := range hs.events {
			all = append(all, field{ev, []any{group}})
		}
		return d.set(root, "hooks", all)
	}
	changed := false
	for _, ev := range hs.events {
		c, err := applyEventHook(d, hooks, ev, group, handler, exe)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

func applyEventHook(d *jsonDoc, hooks objRef, ev string, group, handler object, exe string) (bool, error) {
	groups, found, err := d.array(hooks, ev)
	if err != nil {
		return false, err
	}
	if !found {
		return d.set(hooks, ev, []any{group})
	}
	pos := findHooks(d, groups, exe)
	if len(pos) == 0 {
		return true, d.appendElem(groups, group)
	}
	changed := false
	// Remove duplicates from the back, so earlier positions stay valid.
	for k := len(pos) - 1; k >= 1; k-- {
		g, _ := d.elemObject(groups, pos[k].g)
		handlers, _, _ := d.array(g, "hooks")
		d.removeElem(handlers, pos[k].h)
		if len(handlers.arr.Elements) == 0 {
			d.removeElem(groups, pos[k].g)
		}
		changed = true
	}
	g, _ := d.elemObject(groups, pos[0].g)
	handlers, _, _ := d.array(g, "hooks")
	h, _ := d.elemObject(handlers, pos[0].h)
	for _, f := range handler {
		c, err := d.set(h, f.key, f.val)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}
