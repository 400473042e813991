package crashtest

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestPackageDoc keeps the package comment that says what crashtest owns.
func TestPackageDoc(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil || !strings.HasPrefix(f.Doc.Text(), "Package crashtest ") {
		t.Error("doc.go lacks the package comment")
	}
}
