package protocol_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// wantStatus is the HTTP status of every code, as docs/protocol.md's table
// gives it. A change here is a change of the wire contract.
var wantStatus = map[protocol.Code]int{
	protocol.CodeMalformedJSON:     400,
	protocol.CodeUnknownField:      400,
	protocol.CodeInvalidArgument:   400,
	protocol.CodeBodyTooLarge:      413,
	protocol.CodeNotFound:          404,
	protocol.CodeMethodNotAllowed:  405,
	protocol.CodeOriginForbidden:   403,
	protocol.CodePeerForbidden:     403,
	protocol.CodeInvalidName:       400,
	protocol.CodeReservedName:      400,
	protocol.CodeNameTaken:         409,
	protocol.CodeUnauthorized:      401,
	protocol.CodeSessionExpired:    401,
	protocol.CodeBadProof:          401,
	protocol.CodeNonceInvalid:      401,
	protocol.CodeNonceExpired:      401,
	protocol.CodeIdentityMismatch:  403,
	protocol.CodeAdminRequired:     403,
	protocol.CodeMessageTooLarge:   413,
	protocol.CodeEmptyMessage:      400,
	protocol.CodeInboxFull:         507,
	protocol.CodeRateLimited:       429,
	protocol.CodeTooManyPending:    429,
	protocol.CodeRenameCooldown:    429,
	protocol.CodeStorageFull:       507,
	protocol.CodeTooManyChallenges: 429,
	protocol.CodeUnavailable:       503,
	protocol.CodeInternal:          500,
}

// serverSide are the codes that are not the client's fault: the only ones
// answered with a 5xx status.
var serverSide = map[protocol.Code]bool{
	protocol.CodeInternal:    true,
	protocol.CodeUnavailable: true,
	protocol.CodeInboxFull:   true, // the recipient's storage, not the request
	protocol.CodeStorageFull: true,
}

var codeForm = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

func TestCodeStatus(t *testing.T) {
	got := map[protocol.Code]int{}
	for _, c := range protocol.AllCodes() {
		got[c] = c.Status()
	}
	if diff := cmp.Diff(wantStatus, got); diff != "" {
		t.Errorf("Code.Status() differs from the documented table (-want +got):\n%s", diff)
	}
	for _, c := range protocol.AllCodes() {
		s := c.Status()
		switch {
		case s < 400 || s > 599:
			t.Errorf("%s: status %d is not an error status", c, s)
		case http.StatusText(s) == "":
			t.Errorf("%s: status %d is not a known HTTP status", c, s)
		case serverSide[c] && s < 500:
			t.Errorf("%s: status %d; a server-side condition needs a 5xx", c, s)
		case !serverSide[c] && s >= 500:
			t.Errorf("%s: status %d; a client error needs a 4xx", c, s)
		}
	}
	if s := protocol.Code("no_such_code").Status(); s != http.StatusInternalServerError {
		t.Errorf("an unknown code has status %d, want 500", s)
	}
}

func TestAllCodesUniqueAndWellFormed(t *testing.T) {
	seen := map[protocol.Code]bool{}
	for _, c := range protocol.AllCodes() {
		if seen[c] {
			t.Errorf("%s is listed twice", c)
		}
		seen[c] = true
		if !codeForm.MatchString(string(c)) {
			t.Errorf("%q is not a lowercase snake_case code", c)
		}
	}
}

// TestAllCodesComplete parses errors.go so that a Code constant added
// without listing it in AllCodes (and so without documentation) fails.
func TestAllCodesComplete(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[protocol.Code]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("a Code constant at %s is not a string literal", fset.Position(v.Pos()))
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				declared[protocol.Code(s)] = true
			}
		}
	}
	listed := map[protocol.Code]bool{}
	for _, c := range protocol.AllCodes() {
		listed[c] = true
	}
	if diff := cmp.Diff(declared, listed); diff != "" {
		t.Errorf("AllCodes differs from the Code constants in errors.go (-declared +listed):\n%s", diff)
	}
}

// TestCodesDocumented keeps the code lists of the two documents in step
// with AllCodes: every code has a section in docs/troubleshooting.md and a
// row with its HTTP status in docs/protocol.md's table, and neither
// document names a code that does not exist.
func TestCodesDocumented(t *testing.T) {
	all := map[protocol.Code]bool{}
	for _, c := range protocol.AllCodes() {
		all[c] = true
	}

	sections := map[protocol.Code]int{}
	heading := regexp.MustCompile("^#+ .*`([a-z_]+)`")
	for _, line := range readLines(t, "troubleshooting.md") {
		if m := heading.FindStringSubmatch(line); m != nil {
			sections[protocol.Code(m[1])]++
		}
	}
	for c := range all {
		if sections[c] != 1 {
			t.Errorf("docs/troubleshooting.md has %d sections for `%s`, want 1 (a heading like \"## `%s`\")", sections[c], c, c)
		}
	}
	for c := range sections {
		if !all[c] {
			t.Errorf("docs/troubleshooting.md has a section for `%s`, which is no code", c)
		}
	}

	rows := codeTable(t)
	for c := range all {
		s, ok := rows[c]
		switch {
		case !ok:
			t.Errorf("docs/protocol.md's code table has no row for `%s`", c)
		case s != c.Status():
			t.Errorf("docs/protocol.md gives `%s` status %d; Code.Status says %d", c, s, c.Status())
		}
	}
	for c := range rows {
		if !all[c] {
			t.Errorf("docs/protocol.md's code table has a row for `%s`, which is no code", c)
		}
	}
}

// codeTable reads the rows "| `code` | status | ..." of the table under
// the heading "### Every code" in docs/protocol.md.
func codeTable(t *testing.T) map[protocol.Code]int {
	t.Helper()
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| ([0-9]{3}) \\|")
	rows := map[protocol.Code]int{}
	in := false
	for _, line := range readLines(t, "protocol.md") {
		switch {
		case strings.HasPrefix(line, "#"):
			in = strings.TrimSpace(line) == "### Every code"
		case in:
			if m := row.FindStringSubmatch(line); m != nil {
				if _, dup := rows[protocol.Code(m[1])]; dup {
					t.Errorf("docs/protocol.md's code table has `%s` twice", m[1])
				}
				s, _ := strconv.Atoi(m[2])
				rows[protocol.Code(m[1])] = s
			}
		}
	}
	if len(rows) == 0 {
		t.Fatal(`docs/protocol.md has no code table under "### Every code"`)
	}
	return rows
}

func readLines(t *testing.T, doc string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", doc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestErrorJSON(t *testing.T) {
	e := protocol.Errorf(protocol.CodeNameTaken, "%q is in use", "alice").
		WithDetail("last_seen", "2026-11-26T05:16:26Z")
	b, err := json.Marshal(protocol.ErrorResponse{Error: e})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"error":{"code":"name_taken","message":"\"alice\" is in use","details":{"last_seen":"2026-11-26T05:16:26Z"}}}`
	if string(b) != want {
		t.Errorf("error envelope:\n got %s\nwant %s", b, want)
	}
	var back protocol.ErrorResponse
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back.Error); diff != "" {
		t.Errorf("round trip (-sent +decoded):\n%s", diff)
	}

	bare, _ := json.Marshal(protocol.Errorf(protocol.CodeInternal, "boom"))
	if want := `{"code":"internal","message":"boom"}`; string(bare) != want {
		t.Errorf("an error without details: got %s, want %s", bare, want)
	}
}

func TestErrorIs(t *testing.T) {
	var err error = protocol.Errorf(protocol.CodeInboxFull, "bob has 10 unread messages")
	wrapped := errors.Join(errors.New("send"), err)
	if !errors.Is(wrapped, &protocol.Error{Code: protocol.CodeInboxFull}) {
		t.Error("errors.Is does not match an Error by its code")
	}
	if errors.Is(wrapped, &protocol.Error{Code: protocol.CodeRateLimited}) {
		t.Error("errors.Is matches an Error of another code")
	}
	if got := err.Error(); got != "bob has 10 unread messages" {
		t.Errorf("Error() = %q, want the sentence", got)
	}
	var pe *protocol.Error
	if !errors.As(wrapped, &pe) || pe.Code != protocol.CodeInboxFull {
		t.Errorf("errors.As: %v", pe)
	}
}
