package shimcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// hookInput is what an AI client writes on a hook's stdin; only the
// fields the hook acts on. Claude Code and Gemini CLI share these names.
type hookInput struct {
	HookEventName  string `json:"hook_event_name"`
	StopHookActive bool   `json:"stop_hook_active"`
}

// hookOutput is the JSON a hook prints: Claude Code's and Gemini CLI's
// documented shapes (docs/mcp.md cites them).
type hookOutput struct {
	Decision           string        `json:"decision,omitempty"`
	Reason             string        `json:"reason,omitempty"`
	HookSpecificOutput *hookSpecific `json:"hookSpecificOutput,omitempty"`
}

type hookSpecific struct {
	HookEventName     string `json:"hookEventName"`
	AdditionalContext string `json:"additionalContext"`
}

// The moments the hook acts at, whichever client names them.
type moment int

const (
	momentNone moment = iota
	momentStart
	momentPrompt
	momentStop
)

// hookEvents maps each event setup installs the hook for to its moment,
// and says what a stop is refused with in that client.
var hookEvents = map[string]struct {
	moment moment
	block  string
}{
	"SessionStart":     {momentStart, ""},
	"UserPromptSubmit": {momentPrompt, ""},
	"Stop":             {momentStop, "block"}, // Claude Code
	"BeforeAgent":      {momentPrompt, ""},
	"AfterAgent":       {momentStop, "deny"}, // Gemini CLI
}

// maxHookInput bounds what is read from stdin: events carry a prompt or a
// response, never more than this.
const maxHookInput = 4 << 20

// parseHookInput reads the event; it fails on anything but a JSON object
// naming an event.
func parseHookInput(data []byte) (hookInput, error) {
	var in hookInput
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return hookInput{}, fmt.Errorf("read hook event: %w", err)
	}
	if in.HookEventName == "" {
		return hookInput{}, errors.New("read hook event: no hook_event_name")
	}
	return in, nil
}

func newCmdHook(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Deliver due messages into an AI client's conversation (for Claude Code and Gemini CLI hooks)",
		Long: `The command an AI client's hook runs (ipc-mcp setup installs it). It reads the hook
event as JSON on stdin and prints the client's hook JSON on stdout:

  SessionStart                  says how many messages wait, or delivers them if auto check is due
  UserPromptSubmit, BeforeAgent delivers unread mail when auto checking is on and due
  Stop, AfterAgent              with auto checking on and mail unread, keeps the agent going to
                                read it (once per stop: never when stop_hook_active is set)

It acts as --as NAME (or $IPC_NAME) only, never as the name registered last. When nothing
is due it prints {}. It never fails the client: it exits 0 even when the daemon is down
(it does not start one) or the input is not understood, with a note on stderr and {} on
stdout. What it hands over stays under 9,000 bytes (Claude Code keeps 10,000 characters
of a hook's text); mail that does not fit stays unread for the next turn.`,
		Example: `  echo '{"hook_event_name":"UserPromptSubmit"}' | ipc-mcp hook --as alice`,
		// A hook that exits 2 blocks the client (Claude Code drops the
		// prompt, Gemini CLI blocks the turn): a stray argument or flag in
		// a hand-edited hook line is only a note.
		Args:               cobra.ArbitraryArgs,
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
		RunE: func(cmd *cobra.Command, _ []string) error {
			wrote, err := runHook(cmd, app)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ipc-mcp hook: %s\n", cli.Describe(err))
			}
			if !wrote {
				// An empty answer as JSON: Gemini CLI shows a hook's stderr
				// in the conversation when its stdout is empty.
				fmt.Fprintln(cmd.OutOrStdout(), "{}")
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		fmt.Fprintf(cmd.ErrOrStderr(), "ipc-mcp hook: %v\n", err)
		fmt.Fprintln(cmd.OutOrStdout(), "{}")
		return nil
	})
	return cmd
}

// runHook does the work and says whether it wrote the client an answer;
// its error is only ever a note on stderr.
func runHook(cmd *cobra.Command, app *App) (bool, error) {
	data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxHookInput))
	if err != nil {
		return false, fmt.Errorf("read hook event: %w", err)
	}
	in, err := parseHookInput(data)
	if err != nil {
		return false, err
	}
	ev, ok := hookEvents[in.HookEventName]
	if !ok || (ev.moment == momentStop && in.StopHookActive) {
		return false, nil
	}
	name := app.As
	if name == "" {
		name = app.Env.Getenv(paths.EnvName)
	}
	if name == "" {
		return false, nil // whose mail? not the last registered name's: it may be another AI's
	}
	if err := protocol.ValidateName(name); err != nil {
		return false, err
	}
	l, err := app.Loc.Resolve(app.Env.Getenv)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	c := client.New(l.ClientOptions(app.Env.Getenv))
	defer c.Close()
	c.As(name)
	out, mail, err := decideHook(ctx, c, in.HookEventName, ev.moment, ev.block)
	if err != nil || out == nil {
		return false, err
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return true, fmt.Errorf("write hook output: %w", err)
	}
	// Only mail that was written out counts as read.
	if mail.Through != 0 {
		if _, err := c.Ack(ctx, mail.Through); err != nil {
			return true, err
		}
	}
	return true, nil
}

// decideHook asks the daemon whether an auto check is due and builds the
// output for the moment; nil output means say nothing.
func decideHook(ctx context.Context, c *client.Client, event string, m moment, block string) (*hookOutput, protocol.CheckResponse, error) {
	var none protocol.CheckResponse
	run, err := c.RunAutoCheck(ctx, protocol.AutoCheckRunRequest{CheckRequest: protocol.CheckRequest{Limit: 20}})
	if err != nil {
		return nil, none, err
	}
	mail := run.CheckResponse
	if m == momentStop && !run.Due && run.AutoCheck.Enabled && run.Unread > 0 {
		// About to stop with unread mail: hand it over now, interval or not.
		forced, err := c.RunAutoCheck(ctx, protocol.AutoCheckRunRequest{CheckRequest: protocol.CheckRequest{Limit: 20}, Force: true})
		if err != nil {
			return nil, none, err
		}
		mail = forced.CheckResponse
	}
	name := c.Name()
	if len(mail.Messages) == 0 {
		if m == momentStart && run.Unread > 0 {
			return withContext(event, fmt.Sprintf("ipc: %s waiting for %s: use the ipc check tool (or: ipc-mcp check --as %s) to read.",
				plural(run.Unread, "unread message"), name, name)), none, nil
		}
		return nil, none, nil
	}
	now := time.Now()
	head := fmt.Sprintf("New ipc messages for %s (delivered by auto check; they are now marked read):\n\n", name)
	const tail = "\nAnswer with the ipc send tool (reply_to = the message's #id) if they need a reply."
	mail, fits := cli.FitMail(mail, hookBudget-len(head)-len(tail), func(part protocol.CheckResponse) string {
		var b strings.Builder
		printMessages(&b, part, "", now)
		return b.String()
	})
	if !fits {
		// Even the oldest message is too long for the client to keep in
		// the conversation: leave it unread and point at check.
		text := fmt.Sprintf("ipc: %s waiting for %s, the next one too long to show here: use the ipc check tool (or: ipc-mcp check --as %s) to read.",
			plural(run.Unread, "unread message"), name, name)
		if m == momentStop {
			return &hookOutput{Decision: block, Reason: "Before you stop: " + text}, none, nil
		}
		return withContext(event, text), none, nil
	}
	var body strings.Builder
	if err := printMessages(&body, mail, "", now); err != nil {
		return nil, none, err
	}
	text := head + body.String() + tail
	if m == momentStop {
		return &hookOutput{Decision: block, Reason: "Before you stop: " + text}, mail, nil
	}
	return withContext(event, text), mail, nil
}

// hookBudget bounds the text the hook hands the client, in bytes. Claude
// Code keeps at most 10,000 characters of a hook's text in the
// conversation and puts the rest in a file behind a short preview; mail
// shown that way would be marked read but not read.
const hookBudget = 9000

func withContext(event, text string) *hookOutput {
	return &hookOutput{HookSpecificOutput: &hookSpecific{HookEventName: event, AdditionalContext: text}}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what + " is"
	}
	return fmt.Sprintf("%d %ss are", n, what)
}
