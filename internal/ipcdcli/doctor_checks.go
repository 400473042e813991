package ipcdcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/client"
	"github.com/ipcd/ipcd/internal/daemon"
	"github.com/ipcd/ipcd/internal/paths"
	"github.com/ipcd/ipcd/internal/service"
	"github.com/ipcd/ipcd/pkg/protocol"
)

// doctor runs the checks in order; later checks use what earlier ones
// found (whether the daemon answers, its status).
type doctor struct {
	app    *App
	loc    cli.Location
	checks []Check

	health *protocol.HealthResponse
	status *protocol.StatusResponse
	down   bool
}

func (d *doctor) add(name string, o Outcome, fix, format string, args ...any) {
	d.checks = append(d.checks, Check{Name: name, Outcome: o, Detail: fmt.Sprintf(format, args...), Fix: fix})
}

func (d *doctor) run(ctx context.Context) {
	c := client.New(d.loc.ClientOptions(d.app.Env.Getenv))
	defer c.Close()
	d.checkDataDir()
	d.checkDaemon(ctx, c) // first, so the others know whether it runs
	d.checkSecret()
	d.checkSocket()
	d.checkVersions(ctx)
	d.checkService(ctx)
	d.checkDisk()
	d.checkDatabase()
	// Keep the order people read best: where things are, then what runs.
	order := map[string]int{"data dir": 0, "secret": 1, "socket": 2, "daemon": 3, "admin access": 4, "mode": 5}
	sortChecks(d.checks, order)
}

// sortChecks moves the named checks to the front in the given order,
// keeping the rest as they were.
func sortChecks(cs []Check, order map[string]int) {
	rank := func(c Check) int {
		if r, ok := order[c.Name]; ok {
			return r
		}
		return len(order)
	}
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && rank(cs[j]) < rank(cs[j-1]); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func (d *doctor) checkDataDir() {
	dir := d.loc.DataDir
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.add("data dir", OutcomeNote, "", "%s does not exist yet; the daemon creates it (0700) when it first starts", dir)
	case err != nil:
		d.add("data dir", OutcomeProblem, "check the path and its parent directories' permissions", "%s: %v", dir, err)
	case !fi.IsDir():
		d.add("data dir", OutcomeProblem, "move the file away, or choose another --data-dir / IPC_DATA_DIR", "%s is not a directory", dir)
	case othersMayRead(fi.Mode()):
		d.add("data dir", OutcomeProblem, "chmod 700 "+shellQuote(dir),
			"%s has mode %04o: other users may look into your mail", dir, fi.Mode().Perm())
	default:
		d.add("data dir", OutcomeOK, "", "%s", dir)
	}
}

func (d *doctor) checkSecret() {
	getenv := d.app.Env.Getenv
	if getenv(paths.EnvSecret) != "" {
		d.add("secret", OutcomeOK, "", "from $%s (the daemon must be started with the same value)", paths.EnvSecret)
		return
	}
	opts := d.loc.SecretOptions(getenv, false)
	path := opts.File
	if path == "" {
		path = opts.Default
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		switch {
		case d.status != nil && d.status.Mode == protocol.ModeOpen:
			d.add("secret", OutcomeNote, "", "no secret file; the daemon runs in open mode")
		case d.down:
			d.add("secret", OutcomeNote, "", "%s does not exist yet; the daemon creates it (random, 0600) when it first starts", path)
		default:
			d.add("secret", OutcomeProblem,
				"start the daemon and its clients with the same secret: the same --secret-file / IPC_SECRET_FILE / IPC_SHARED_SECRET",
				"%s does not exist, but the daemon runs in secure mode: it got its secret from somewhere else", path)
		}
		return
	case err != nil:
		d.add("secret", OutcomeProblem, "check the file's and its directory's permissions", "%s: %v", path, err)
		return
	case othersMayRead(fi.Mode()):
		d.add("secret", OutcomeProblem, "chmod 600 "+shellQuote(path),
			"%s has mode %04o: other users can read the secret (clients and the daemon refuse to use it)", path, fi.Mode().Perm())
		return
	case !fi.Mode().IsRegular():
		d.add("secret", OutcomeProblem, "point --secret-file / IPC_SECRET_FILE at the secret file itself",
			"%s is not a regular file", path)
		return
	}
	// Read as the daemon reads it: white space around the secret does not count.
	if b, err := os.ReadFile(path); err != nil {
		d.add("secret", OutcomeProblem, "check the file's permissions", "%s: %v", path, err)
		return
	} else if len(bytes.TrimSpace(b)) == 0 {
		d.add("secret", OutcomeProblem, "rm "+shellQuote(path)+" and restart the daemon: it writes a new random secret",
			"%s is empty", path)
		return
	}
	d.add("secret", OutcomeOK, "", "%s (mode %04o)", path, fi.Mode().Perm())
}

func (d *doctor) checkSocket() {
	sock := d.loc.Socket
	if strings.HasPrefix(sock, "tcp://") {
		d.add("socket", OutcomeNote, "", "%s: TCP; the secret protects it", sock)
		return
	}
	if len(sock) > daemon.MaxSocketPath {
		d.add("socket", OutcomeProblem, "choose a shorter --socket / IPC_SOCKET",
			"%s is %d bytes long, over the %d a Unix socket path may have: no daemon can listen there", sock, len(sock), daemon.MaxSocketPath)
		return
	}
	if fi, err := os.Stat(filepath.Dir(sock)); err == nil && othersMayRead(fi.Mode()) && filepath.Dir(sock) != d.loc.DataDir {
		d.add("socket", OutcomeWarn, "chmod 700 "+shellQuote(filepath.Dir(sock)),
			"the socket's directory %s has mode %04o; the daemon serves only your user anyway", filepath.Dir(sock), fi.Mode().Perm())
	}
	fi, err := os.Lstat(sock)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if d.down {
			d.add("socket", OutcomeNote, "", "%s does not exist: no daemon is listening", sock)
		} else {
			d.add("socket", OutcomeOK, "", "%s", sock)
		}
	case err != nil:
		d.add("socket", OutcomeProblem, "check the permissions of the socket's directory", "%s: %v", sock, err)
	case !isSocket(fi.Mode()):
		kind := "file"
		if fi.IsDir() {
			kind = "directory"
		} else if !fi.Mode().IsRegular() {
			kind = "special file (" + fi.Mode().Type().String() + ")"
		}
		d.add("socket", OutcomeProblem, "move it away, or choose another --socket / IPC_SOCKET (the daemon never removes it)",
			"%s is a %s, not a socket; no daemon can listen there", sock, kind)
	case d.down:
		d.add("socket", OutcomeProblem, "start the daemon (ipcd start, or ipcd run): it removes a stale socket; or: rm "+shellQuote(sock),
			"%s is stale: a daemon that died left it behind and nothing answers on it", sock)
	default:
		d.add("socket", OutcomeOK, "", "%s", sock)
	}
}

func (d *doctor) checkDaemon(ctx context.Context, c *client.Client) {
	h, err := c.Health(ctx)
	if client.IsDown(err) {
		d.down = true
		d.add("daemon", OutcomeProblem, startFix(), "not running: nothing answers on %s", d.loc.Socket)
		return
	}
	if err != nil {
		d.add("daemon", OutcomeProblem, "check that --socket / IPC_SOCKET points at ipcd", "%s", cli.Describe(err))
		return
	}
	d.health = &h
	d.add("daemon", OutcomeOK, "", "ipcd %s answers on %s", h.Version, d.loc.Socket)
	st, err := c.Status(ctx)
	switch {
	case err == nil:
		d.status = &st
		d.add("admin access", OutcomeOK, "", "the secret is accepted (pid %d, up %s)", st.PID, time.Duration(st.UptimeSeconds)*time.Second)
	case client.IsCode(err, protocol.CodeBadProof):
		d.add("admin access", OutcomeProblem,
			"use the secret the daemon uses: the same IPC_SHARED_SECRET / --secret-file, or the secret file in the daemon's data dir (a different --data-dir?)",
			"the daemon refuses this secret: %s", cli.Describe(err))
	default:
		fix := "see the daemon's log"
		var pe *protocol.Error
		if !errors.As(err, &pe) {
			// Refused on this side: the secret could not be read.
			fix = "fix what it says (the secret check names the file and its mode)"
		}
		d.add("admin access", OutcomeProblem, fix, "%s", cli.Describe(err))
	}
	if h.Mode == protocol.ModeOpen {
		d.add("mode", OutcomeWarn, "restart the daemon without --open: it then creates and uses a secret file",
			"open mode: no secret is checked; any process of your user can act as any name")
	} else {
		d.add("mode", OutcomeOK, "", "secure")
	}
}

func (d *doctor) checkVersions(ctx context.Context) {
	shim := d.app.shim(ctx)
	vs := []string{"ipcd " + protocol.Version}
	mismatch := []string{}
	if d.health != nil {
		vs = append(vs, "daemon "+d.health.Version)
		if d.health.Version != protocol.Version {
			mismatch = append(mismatch, "the daemon runs "+d.health.Version+", this ipcd is "+protocol.Version)
		}
	}
	if shim.Version != "" {
		vs = append(vs, "ipc-mcp "+shim.Version)
		if shim.Version != protocol.Version {
			mismatch = append(mismatch, shim.Path+" is "+shim.Version)
		}
	}
	switch {
	case len(mismatch) > 0:
		d.add("versions", OutcomeProblem,
			"install ipcd and ipc-mcp from one release, side by side, then restart the daemon (ipcd restart, or stop it and let ipc-mcp start it)",
			"%s", strings.Join(mismatch, "; "))
	case shim.Error != "":
		d.add("versions", OutcomeWarn, "install ipc-mcp beside ipcd (go install ./cmd/ipc-mcp): AI clients run it",
			"%s; ipc-mcp: %s", strings.Join(vs, ", "), shim.Error)
	default:
		d.add("versions", OutcomeOK, "", "%s", strings.Join(vs, ", "))
	}
}

func (d *doctor) checkService(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, serviceTimeout)
	defer cancel()
	st, err := d.app.Service.Status(ctx)
	if err != nil {
		d.add("service", OutcomeWarn, "", "cannot ask the service manager: %v", err)
		return
	}
	switch st {
	case service.StateRunning:
		d.add("service", OutcomeOK, "", "installed and running")
	case service.StateFailed:
		d.add("service", OutcomeProblem, "read the service log ("+serviceLog()+"), fix what it says, then: ipcd restart",
			"the service stopped after a failure")
	case service.StateStopped, service.StateInstalled:
		o := OutcomeNote
		if d.down {
			o = OutcomeProblem
		}
		d.add("service", o, "ipcd start", "installed but %s", st)
	case service.StateNotInstalled:
		d.add("service", OutcomeNote, "", "not installed: ipc-mcp starts the daemon on demand; \"ipcd install\" makes it permanent")
	case service.StateUnsupported:
		d.add("service", OutcomeNote, "", "no usable service manager here (a container?): run \"ipcd run\" under your own supervisor, or let ipc-mcp start it")
	default:
		d.add("service", OutcomeNote, "", "%s", st)
	}
}

// startFix says how to start the daemon here.
func startFix() string {
	return "ipcd start (the service, or in the background without one), or ipcd run; an AI client's ipc-mcp also starts it on demand"
}

// serviceLog says where the service's log is on this OS.
func serviceLog() string {
	switch runtime.GOOS {
	case "darwin":
		return "~/Library/Logs/ipcd.log"
	case "windows":
		return `%LOCALAPPDATA%\ipcd\ipcd.log`
	}
	return "journalctl --user -u " + service.UnitName
}

// shellQuote quotes a path for a command people paste into a shell.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&;|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
