package protocol_test

import (
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		want protocol.Code // "" for a valid name
	}{
		{"a", ""},
		{"alice", ""},
		{"Claude-2_x", ""},
		{"_", ""},
		{"-", ""},
		{"42", ""},
		{"systems", ""}, // only the exact reserved words are reserved
		{"all-hands", ""},
		{"my_system", ""},
		{strings.Repeat("n", 32), ""},
		{strings.Repeat("n", 33), protocol.CodeInvalidName},
		{"", protocol.CodeInvalidName},
		{"bob smith", protocol.CodeInvalidName},
		{"bob.smith", protocol.CodeInvalidName},
		{"a/b", protocol.CodeInvalidName},
		{"../etc", protocol.CodeInvalidName},
		{"alice\n", protocol.CodeInvalidName},
		{"a\x00b", protocol.CodeInvalidName},
		{"é", protocol.CodeInvalidName},
		{"bob@host", protocol.CodeInvalidName},
		{"all ", protocol.CodeInvalidName},
		{"system", protocol.CodeReservedName},
		{"System", protocol.CodeReservedName},
		{"SYSTEM", protocol.CodeReservedName},
		{"all", protocol.CodeReservedName},
		{"ALL", protocol.CodeReservedName},
		{"aLl", protocol.CodeReservedName},
		{"*", protocol.CodeReservedName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := protocol.ValidateName(tc.name)
			var got protocol.Code
			if err != nil {
				got = err.Code
				if err.Message == "" {
					t.Error("the error has no sentence")
				}
			}
			if got != tc.want {
				t.Errorf("ValidateName(%q) = %q (%v), want %q", tc.name, got, err, tc.want)
			}
		})
	}
}

func TestNameConstants(t *testing.T) {
	if protocol.MaxNameLength != 32 {
		t.Errorf("MaxNameLength = %d, want 32", protocol.MaxNameLength)
	}
	if err := protocol.ValidateName(protocol.SystemName); err == nil || err.Code != protocol.CodeReservedName {
		t.Errorf("the system sender's name %q can be registered: %v", protocol.SystemName, err)
	}
}

// A long or binary name is not echoed whole into the error sentence.
func TestValidateNameShortSentence(t *testing.T) {
	for _, name := range []string{strings.Repeat("x", 10000), strings.Repeat("é", 5000), strings.Repeat("a b", 3000)} {
		err := protocol.ValidateName(name)
		if err == nil {
			t.Fatalf("ValidateName accepts a %d-byte name", len(name))
		}
		if len(err.Message) > 200 {
			t.Errorf("the sentence for a %d-byte name is %d bytes long", len(name), len(err.Message))
		}
	}
}
