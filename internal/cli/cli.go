// Package cli holds what both command lines share: the process
// environment as an injectable value, exit codes, how a cobra root is run
// (one line on stderr for a failure), client settings from flags and
// environment, and human formatting of ages and sizes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// Env is what a command needs from the process; tests pass their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Executable is the running binary's path (to find its sibling).
	Executable string
}

// OSEnv is the real process environment.
func OSEnv() Env {
	exe, _ := os.Executable()
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Executable: exe}
}

// ExitError ends a command with a given exit code. A nil Err prints
// nothing (the command already said what it had to).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	// ExitDown means the daemon is not running (status, doctor).
	ExitDown = 3
)

// Run executes root with args and returns the exit code, printing a
// failure as one line on stderr, prefixed with the program's name.
func Run(ctx context.Context, root *cobra.Command, args []string, env Env) int {
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(flagError)
	// cobra's own "completion" shows its help for a shell it does not
	// know, and exits 0; it is a usage mistake like any other.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" && c.Run == nil && c.RunE == nil {
			c.Args = cobra.NoArgs
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
	}
	if isUsage(err) {
		code = ExitUsage
	}
	fmt.Fprintf(env.Stderr, "%s: %s\n", root.Name(), oneLine(Describe(err)))
	return code
}

// Describe turns an error into the sentence a person should read: API
// errors keep the daemon's sentence and add their code.
func Describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (%s)", pe.Message, pe.Code)
	}
	if errors.Is(err, client.ErrDaemonDown) {
		return err.Error() + "; start it with: ipcd start (in the background) or ipcd run"
	}
	return err.Error()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flagError says a bad flag value without the parser's internals
// ("strconv.ParseUint: parsing ...").
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ": strconv.Parse"); i >= 0 {
		parser := msg[i:]
		switch {
		case strings.Contains(parser, "out of range"):
			msg = msg[:i] + ": out of range"
		case strings.Contains(parser, "ParseBool"):
			msg = msg[:i] + ": not true or false"
		case strings.Contains(parser, "ParseFloat"):
			msg = msg[:i] + ": not a number"
		default:
			msg = msg[:i] + ": not a whole number"
		}
	}
	return UsageErrorf("%s (see %s --help)", msg, c.CommandPath())
}

// ArgsUsage wraps a check of a command's arguments so that a mistake is
// answered with the command's usage line, which says what is missing.
func ArgsUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return UsageErrorf("usage: %s (%v; see %s --help)", strings.TrimSuffix(cmd.UseLine(), " [flags]"), err, cmd.CommandPath())
		}
		return nil
	}
}

// usageError marks a mistake in how a command was called.
type usageError struct{ error }

// UsageErrorf returns an error that exits with ExitUsage.
func UsageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func isUsage(err error) bool {
	var u usageError
	var marked interface{ IsUsage() bool }
	if errors.As(err, &marked) && marked.IsUsage() {
		return true // a package's own usage error (setup's ErrUsage)
	}
	if errors.As(err, &u) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "requires exactly"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
