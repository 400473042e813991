package setup

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"new file", "", "a\nb\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"insert in the middle", numbered(1, 10), strings.Replace(numbered(1, 10), "line 5\n", "line 5\nNEW\n", 1),
			"--- old\n+++ new\n@@ -3,6 +3,7 @@\n line 3\n line 4\n line 5\n+NEW\n line 6\n line 7\n line 8\n"},
		{"two hunks", numbered(1, 30), strings.Replace(strings.Replace(numbered(1, 30), "line 2\n", "two\n", 1), "line 28\n", "", 1),
			"--- old\n+++ new\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n@@ -25,6 +25,5 @@\n line 25\n line 26\n line 27\n-line 28\n line 29\n line 30\n"},
		{"close changes share a hunk", numbered(1, 12), strings.Replace(strings.Replace(numbered(1, 12), "line 3\n", "", 1), "line 8\n", "eight\n", 1),
			"--- old\n+++ new\n@@ -1,11 +1,10 @@\n line 1\n line 2\n-line 3\n line 4\n line 5\n line 6\n line 7\n-line 8\n+eight\n line 9\n line 10\n line 11\n"},
		{"CRLF shown as lines", "a\r\nb\r\n", "a\r\nc\r\n", "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unifiedDiff("old", "new", []byte(tt.a), []byte(tt.b))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffLinesIsAnEditScript applies the script to a and expects b.
func TestDiffLinesIsAnEditScript(t *testing.T) {
	cases := [][2]string{
		{"abcabba", "cbabac"},
		{"", "xyz"},
		{"xyz", ""},
		{"aaaa", "aa"},
		{"abcdefg", "gfedcba"},
	}
	for _, c := range cases {
		a, b := strings.Split(c[0], ""), strings.Split(c[1], "")
		if c[0] == "" {
			a = nil
		}
		if c[1] == "" {
			b = nil
		}
		var gotA, gotB []string
		for _, op := range diffLines(a, b) {
			if op.kind != '+' {
				gotA = append(gotA, op.text)
			}
			if op.kind != '-' {
				gotB = append(gotB, op.text)
			}
		}
		if !cmp.Equal(a, gotA) || !cmp.Equal(b, gotB) {
			t.Errorf("%q -> %q: script gives %q -> %q", c[0], c[1], gotA, gotB)
		}
	}
}
