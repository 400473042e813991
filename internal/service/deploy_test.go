package service

import (
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const deployDir = "../../deploy"

// The files in deploy/ are what the installer writes for the documented
// default binary, so they cannot drift apart.
func TestShippedFilesMatchRenderer(t *testing.T) {
	tests := []struct {
		file     string
		platform Platform
		home     string
	}{
		{"systemd/ipcd.service", PlatformSystemd, "/home/you"},
		{"launchd/dev.ipcd.plist", PlatformLaunchd, "/Users/you"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := Render(tt.platform, Config{Executable: "/usr/local/bin/ipcd", Home: tt.home})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(deployDir, tt.file), p.Content)
		})
	}
}

// The plist must be well-formed XML with the keys launchd acts on.
func TestLaunchAgentIsWellFormed(t *testing.T) {
	p, err := Render(PlatformLaunchd, Config{Executable: "/Apps/a & b/ipcd", Home: "/Users/a<b>",
		DataDir: `/Users/x/"quoted" 'dir'`})
	if err != nil {
		t.Fatal(err)
	}
	var keys, strs []string
	dec := xml.NewDecoder(strings.NewReader(p.Content))
	dec.Strict = true
	var inKey, inString bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plist is not well-formed XML: %v\n%s", err, p.Content)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inKey, inString = tok.Name.Local == "key", tok.Name.Local == "string"
		case xml.EndElement:
			inKey, inString = false, false
		case xml.CharData:
			if inKey {
				keys = append(keys, string(tok))
			}
			if inString {
				strs = append(strs, string(tok))
			}
		}
	}
	wantKeys := []string{"Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "SuccessfulExit",
		"ThrottleInterval", "Umask", "StandardOutPath", "StandardErrorPath"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	wantStrings := []string{"dev.ipcd", "/Apps/a & b/ipcd", "run", "--data-dir", `/Users/x/"quoted" 'dir'`,
		"/Users/a<b>/Library/Logs/ipcd.log", "/Users/a<b>/Library/Logs/ipcd.log"}
	if diff := cmp.Diff(wantStrings, strs); diff != "" {
		t.Errorf("strings (-want +got):\n%s", diff)
	}
}
