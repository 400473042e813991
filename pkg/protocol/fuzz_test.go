package protocol_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

var nameRule = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// FuzzValidateName: a name is accepted exactly when it matches the
// documented rule and is not reserved; a refusal carries one of the two
// name codes, a 400 and a short sentence, whatever the input.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"", "a", "claude", "Claude-2_x", "system", "SYSTEM", "all", "*",
		strings.Repeat("n", 32), strings.Repeat("n", 33), "bad name", "é", "a\x00b", "../etc", "all ", "ALL"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := protocol.ValidateName(name)
		reserved := strings.EqualFold(name, "system") || strings.EqualFold(name, "all") || name == "*"
		want := nameRule.MatchString(name) && !reserved
		if (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v; the rule says accepted=%v", name, err, want)
		}
		if err == nil {
			return
		}
		switch {
		case err.Code != protocol.CodeInvalidName && err.Code != protocol.CodeReservedName:
			t.Fatalf("ValidateName(%q): code %s", name, err.Code)
		case (err.Code == protocol.CodeReservedName) != reserved:
			t.Fatalf("ValidateName(%q): code %s, reserved=%v", name, err.Code, reserved)
		case err.Code.Status() != 400:
			t.Fatalf("ValidateName(%q): status %d", name, err.Code.Status())
		case err.Message == "" || len(err.Message) > 200:
			t.Fatalf("ValidateName(%q): sentence of %d bytes", name, len(err.Message))
		}
	})
}

// FuzzVerifyProof: VerifyProof never panics on any proof text; it accepts
// a proof only when the proof decodes to the HMAC of exactly this label,
// nonce and name under exactly this secret, so the right answer works and
// answers for another name, nonce, label or secret never do.
func FuzzVerifyProof(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), protocol.LabelRegister, "nonce", "claude", "")
	f.Add([]byte("s"), protocol.LabelAdmin, "n", "", "zz")
	f.Add([]byte(""), "", "", "", "00")
	f.Add([]byte("secret"), protocol.LabelRegister, "abc", "x", strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, secret []byte, label, nonce, name, proof string) {
		mac := hmac.New(sha256.New, secret)
		mac.Write(protocol.ProofMessage(label, nonce, name))
		sum := mac.Sum(nil)
		got, decErr := hex.DecodeString(proof)
		if ok := protocol.VerifyProof(secret, label, nonce, name, proof); ok != (decErr == nil && bytes.Equal(got, sum)) {
			t.Fatalf("VerifyProof(%q) = %v, but the proof decodes to %x (%v) and the HMAC is %x", proof, ok, got, decErr, sum)
		}
		right := protocol.Proof(secret, label, nonce, name)
		if !protocol.VerifyProof(secret, label, nonce, name, right) {
			t.Fatal("the right proof is refused")
		}
		wrongSecret := append(bytes.Clone(secret), 'x')
		for _, tc := range []struct {
			what                string
			secret              []byte
			label, nonce, name2 string
		}{
			{"another name", secret, label, nonce, name + "x"},
			{"another nonce", secret, label, nonce + "x", name},
			{"another label", secret, label + "x", nonce, name},
			{"the admin label", secret, protocol.LabelAdmin, nonce, name},
			{"another secret", wrongSecret, label, nonce, name},
		} {
			if tc.label == label && tc.nonce == nonce && tc.name2 == name && bytes.Equal(tc.secret, secret) {
				continue // label is already LabelAdmin
			}
			if protocol.VerifyProof(secret, label, nonce, name, protocol.Proof(tc.secret, tc.label, tc.nonce, tc.name2)) {
				t.Fatalf("a proof made for %s is accepted", tc.what)
			}
		}
	})
}

// FuzzProofMessage: the signed encoding is unambiguous, so no two
// different (label, nonce, name) triples sign the same bytes and a proof
// can never be moved from one to another.
func FuzzProofMessage(f *testing.F) {
	f.Add("ab", "c", "d", "a", "bc", "d")
	f.Add(protocol.LabelRegister, "n", "x", protocol.LabelAdmin, "n", "x")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, l1, n1, m1, l2, n2, m2 string) {
		same := l1 == l2 && n1 == n2 && m1 == m2
		if eq := bytes.Equal(protocol.ProofMessage(l1, n1, m1), protocol.ProofMessage(l2, n2, m2)); eq != same {
			t.Fatalf("(%q,%q,%q) and (%q,%q,%q): equal encodings %v, equal triples %v", l1, n1, m1, l2, n2, m2, eq, same)
		}
	})
}
