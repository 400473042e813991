// Package ipcd_test holds checks that span the whole module.
package ipcd_test

import (
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/ipcdcli"
	"github.com/ipcd/ipcd/internal/shimcli"
)

// TestPackageDocs: every package says what it is in a package comment
// ("Package name ..." or, for a command, "Command name ...").
func TestPackageDocs(t *testing.T) {
	seen := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		for name, pkg := range pkgs {
			seen++
			want := "Package " + name + " "
			if name == "main" {
				want = "Command " + filepath.Base(path) + " "
			}
			found := false
			for _, f := range pkg.Files {
				if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no package comment starting %q", path, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("only %d packages found: is the test running at the module root?", seen)
	}
}

// TestCommandsDocumented: docs/commands.md names every command of both
// binaries, and every flag of `ipcd run`, so the reference cannot fall
// behind the code.
func TestCommandsDocumented(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("docs", "commands.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	env := cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	for _, root := range []*cobra.Command{ipcdcli.NewRootCmd(env), shimcli.NewRootCmd(env)} {
		var walk func(*cobra.Command)
		walk = func(c *cobra.Command) {
			if c.Hidden {
				return
			}
			if c != root && !regexp.MustCompile("`"+regexp.QuoteMeta(c.CommandPath())+"[` ,]").MatchString(doc) {
				t.Errorf("docs/commands.md does not name %q", c.CommandPath())
			}
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		walk(root)
	}
	run, _, err := ipcdcli.NewRootCmd(env).Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	run.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !strings.Contains(doc, "`--"+f.Name) {
			t.Errorf("docs/commands.md does not list ipcd run --%s", f.Name)
		}
	})
}
