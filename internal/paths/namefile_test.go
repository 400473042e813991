package paths

import (
	"strings"
	"testing"
)

// Every case variant of a name has a file name of its own, even to a file
// system that ignores case; lower-case names keep theirs.
func TestNameFile(t *testing.T) {
	for name, want := range map[string]string{
		"carol": "carol", "Carol": "+carol", "CAROL": "+c+a+r+o+l", "a_B-9": "a_+b-9", "z": "z", "Z": "+z",
	} {
		if got := NameFile(name); got != want {
			t.Errorf("NameFile(%q) = %q, want %q", name, got, want)
		}
	}
	variants := []string{"carol", "Carol", "cArol", "caroL", "CAROL", "CaRoL"}
	seen := map[string]string{}
	for _, v := range variants {
		folded := strings.ToLower(NameFile(v))
		if other, ok := seen[folded]; ok {
			t.Errorf("%q and %q share the file name %q on a file system that ignores case", v, other, folded)
		}
		seen[folded] = v
	}
}
