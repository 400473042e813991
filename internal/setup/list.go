package setup

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
)

func runList(w io.Writer, opts *Options) error {
	all, err := List(opts)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tSTATUS\tCONFIG FILE")
	for _, st := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Client, describeStatus(st), st.Path)
	}
	return tw.Flush()
}

func describeStatus(st Status) string {
	switch {
	case st.Err != nil:
		var pe *ParseError
		if errors.As(st.Err, &pe) {
			// The path only when it is not the config file listed beside
			// it, and the reason short: run setup CLIENT for all of it.
			what := "cannot parse"
			if pe.Path != st.Path {
				what += " " + pe.Path
			}
			reason := pe.Reason
			if r := []rune(reason); len(r) > 60 {
				reason = string(r[:57]) + "..."
			}
			if pe.Line > 0 {
				return fmt.Sprintf("%s: line %d, column %d: %s", what, pe.Line, pe.Column, reason)
			}
			return fmt.Sprintf("%s: %s", what, reason)
		}
		return "cannot read: " + st.Err.Error()
	case !st.Found:
		return "no config file"
	case !st.SetUp:
		return "not set up"
	}
	s := "set up, no IPC_NAME"
	if st.Name != "" {
		s = "set up as " + st.Name
	}
	if st.HookEvents > 0 {
		s += fmt.Sprintf(", hooks %d/%d", st.Hooks, st.HookEvents)
		if st.HooksAs != "" {
			s += " acting as " + st.HooksAs
		}
	}
	if !st.Current {
		s += fmt.Sprintf(", runs another ipc-mcp (%s)", st.Command)
	}
	return s
}
