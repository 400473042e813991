package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

// fakeSystem is a kardianos service.System with a given name.
type fakeSystem struct{ name string }

func (s fakeSystem) String() string  { return s.name }
func (fakeSystem) Detect() bool      { return true }
func (fakeSystem) Interactive() bool { return true }
func (fakeSystem) New(service.Interface, *service.Config) (service.Service, error) {
	return nil, errors.New("fake system cannot make services")
}

func TestDetect(t *testing.T) {
	noBus := "Failed to connect to bus: No medium found\n"
	tests := []struct {
		name       string
		system     service.System
		systemctl  bool   // systemctl is on PATH
		probeOut   string // output of "systemctl --user show"
		probeFails bool
		want       Platform
		wantReason []string // parts of the UnsupportedError, when unsupported
	}{
		{name: "systemd with a user bus", system: fakeSystem{"linux-systemd"}, systemctl: true, want: PlatformSystemd},
		{name: "systemd without a user bus", system: fakeSystem{"linux-systemd"}, systemctl: true,
			probeOut: noBus, probeFails: true,
			wantReason: []string{"detected linux-systemd", "systemctl --user", "No medium found", "enable-linger"}},
		{name: "systemd installed in a container", system: fakeSystem{"unix-systemv"}, systemctl: true,
			wantReason: []string{"detected unix-systemv", `PID 1 is "bash"`}},
		{name: "openrc", system: fakeSystem{"linux-openrc"},
			wantReason: []string{"detected linux-openrc", "only as a systemd user service"}},
		{name: "no system", wantReason: []string{"detected nothing"}},
		{name: "launchd", system: fakeSystem{"darwin-launchd"}, want: PlatformLaunchd},
		{name: "windows", system: fakeSystem{"windows-service"}, want: PlatformWindows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var probed []string
			k := &kardianosManager{
				system: func() service.System { return tt.system },
				command: func(_ context.Context, name string, args ...string) (string, error) {
					probed = append(probed, name+" "+strings.Join(args, " "))
					if tt.probeFails {
						return tt.probeOut, errors.New("exit status 1")
					}
					return "Version=252\n", nil
				},
				lookPath: func(string) (string, error) {
					if tt.systemctl {
						return "/usr/bin/systemctl", nil
					}
					return "", errors.New("not found")
				},
				readFile: func(string) ([]byte, error) { return []byte("bash\n"), nil },
			}
			got, err := k.Detect(t.Context())
			if tt.wantReason == nil {
				if err != nil || got != tt.want {
					t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Detect = %q, %v; want an UnsupportedError", got, err)
			}
			for _, s := range tt.wantReason {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.system != nil && tt.system.String() == "linux-systemd" && len(probed) != 1 {
				t.Errorf("probed %v, want one systemctl --user call", probed)
			}
		})
	}
}

func TestKardianosRefusesTemplateSyntax(t *testing.T) {
	k := &kardianosManager{system: func() service.System { return fakeSystem{"linux-systemd"} }}
	// Render refuses such a path already; the manager checks again what
	// it is given.
	if _, err := Render(PlatformSystemd, Config{Executable: "/opt/{{x}}/ipcd", Home: "/h"}); err == nil {
		t.Fatal("Render took a path with {{")
	}
	p, err := Render(PlatformSystemd, Config{Executable: "/opt/x/ipcd", Home: "/h"})
	if err != nil {
		t.Fatal(err)
	}
	p.Content = strings.ReplaceAll(p.Content, "/opt/x/", "/opt/{{x}}/")
	if err := k.Install(t.Context(), p); err == nil || !strings.Contains(err.Error(), "{{") {
		t.Errorf("Install = %v, want a refusal", err)
	}
}

func TestKardianosHonoursContext(t *testing.T) {
	k := &kardianosManager{system: func() service.System { return fakeSystem{"linux-systemd"} }}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p, _ := Render(PlatformSystemd, Config{Executable: "/bin/ipcd", Home: "/h"})
	if _, err := k.Status(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Status = %v, want context.Canceled", err)
	}
}
