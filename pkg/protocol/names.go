package protocol

import "strings"

// Reserved names: "system" signs the daemon's own messages; "all" and "*"
// would read as broadcasts. They are compared without regard to case.
var reservedNames = []string{"system", "all", "*"}

// MaxNameLength is the longest name allowed.
const MaxNameLength = 32

// SystemName is the sender of messages the daemon writes.
const SystemName = "system"

// ValidateName returns nil for a name an identity may hold, else an Error
// with CodeInvalidName or CodeReservedName. Names match ^[A-Za-z0-9_-]{1,32}$,
// the rule of the earlier Python tool, so the names users have keep working.
func ValidateName(name string) *Error {
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return Errorf(CodeReservedName, "the name %q is reserved; choose another", name)
		}
	}
	if name == "" {
		return Errorf(CodeInvalidName, "a name is required: 1-32 letters, digits, '_' or '-'")
	}
	if len(name) > MaxNameLength {
		return Errorf(CodeInvalidName, "the name is %d characters long; at most %d are allowed", len(name), MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return Errorf(CodeInvalidName, "the name %q has a character other than letters, digits, '_' or '-'", clip(name))
		}
	}
	return nil
}

// clip keeps error sentences short when a name is long or binary.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
