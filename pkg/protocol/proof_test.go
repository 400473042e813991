package protocol_test

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// The test vector of docs/protocol.md ("Worked example"), computed
// independently with Python's hmac module, not with this package.
const (
	kaSecret   = "correct horse battery staple"
	kaNonce    = "q7Xw2nO0c5vQk3Z9yJtN1bHcR8eLmA4sUuPfGdVx6Ko"
	kaMessage  = "00000010697063642f72656769737465722f76310000002b71375877326e4f30633576516b335a39794a744e316248635238654c6d4134735575506647645678364b6f00000005616c696365"
	kaRegister = "4b66b1c8308378f7c3623c9013381a6e1127425f78fd92472e7eb954120149fd"
	kaAdmin    = "1e2017ca10b40f2776d467a3573dfb93a2680d8afec0a0e74bc8f75fefb5eb19"
)

func TestProofKnownAnswer(t *testing.T) {
	if got := hex.EncodeToString(protocol.ProofMessage(protocol.LabelRegister, kaNonce, "alice")); got != kaMessage {
		t.Errorf("ProofMessage:\n got %s\nwant %s", got, kaMessage)
	}
	for _, tc := range []struct {
		label, name, want string
	}{
		{protocol.LabelRegister, "alice", kaRegister},
		{protocol.LabelAdmin, "", kaAdmin},
	} {
		got := protocol.Proof([]byte(kaSecret), tc.label, kaNonce, tc.name)
		if got != tc.want {
			t.Errorf("Proof(%s, %q) = %s, want %s", tc.label, tc.name, got, tc.want)
		}
		if !protocol.VerifyProof([]byte(kaSecret), tc.label, kaNonce, tc.name, tc.want) {
			t.Errorf("VerifyProof refuses the test vector for %s", tc.label)
		}
	}
}

func TestProofLabels(t *testing.T) {
	if protocol.LabelRegister != "ipcd/register/v1" || protocol.LabelAdmin != "ipcd/admin/v1" {
		t.Errorf("labels are %q and %q; they are part of the wire contract", protocol.LabelRegister, protocol.LabelAdmin)
	}
}

func TestProofMessageLayout(t *testing.T) {
	got := protocol.ProofMessage("ab", "c", "")
	want := []byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 'c', 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("ProofMessage(ab, c, \"\") = %x, want %x", got, want)
	}
	// Lengths count bytes, not characters.
	got = protocol.ProofMessage("", "", "é")
	want = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xc3, 0xa9}
	if !bytes.Equal(got, want) {
		t.Errorf("ProofMessage with a 2-byte rune = %x, want %x", got, want)
	}
}

// TestProofMessageNoCollisions: the same bytes split differently among
// label, nonce and name sign different messages and give different proofs.
func TestProofMessageNoCollisions(t *testing.T) {
	splits := [][3]string{
		{"ab", "c", "d"}, {"a", "bc", "d"}, {"a", "b", "cd"}, {"abc", "", "d"},
		{"abcd", "", ""}, {"", "abcd", ""}, {"", "", "abcd"}, {"", "ab", "cd"},
		{"ab", "", "cd"}, {"a", "", "bcd"},
		// A nonce that looks like a length prefix followed by a name.
		{protocol.LabelRegister, "n\x00\x00\x00\x01x", ""}, {protocol.LabelRegister, "n", "x"},
	}
	secret := []byte("s")
	msgs := map[string][3]string{}
	proofs := map[string][3]string{}
	for _, s := range splits {
		m := string(protocol.ProofMessage(s[0], s[1], s[2]))
		if prev, ok := msgs[m]; ok {
			t.Errorf("%q and %q sign the same bytes", prev, s)
		}
		msgs[m] = s
		p := protocol.Proof(secret, s[0], s[1], s[2])
		if prev, ok := proofs[p]; ok {
			t.Errorf("%q and %q have the same proof", prev, s)
		}
		proofs[p] = s
	}
}

func TestProofForm(t *testing.T) {
	lowerHex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	p := protocol.Proof([]byte("secret"), protocol.LabelRegister, "nonce", "alice")
	if !lowerHex.MatchString(p) {
		t.Errorf("Proof = %q, want 64 lowercase hex digits", p)
	}
}

func TestVerifyProof(t *testing.T) {
	secret := []byte("secret")
	const nonce, name = "nonce-1", "alice"
	right := protocol.Proof(secret, protocol.LabelRegister, nonce, name)
	tests := []struct {
		what   string
		secret []byte
		label  string
		nonce  string
		name   string
		proof  string
		want   bool
	}{
		{"the right proof", secret, protocol.LabelRegister, nonce, name, right, true},
		{"a wrong secret", []byte("secreT"), protocol.LabelRegister, nonce, name, right, false},
		{"an empty secret", nil, protocol.LabelRegister, nonce, name, right, false},
		{"another nonce", secret, protocol.LabelRegister, "nonce-2", name, right, false},
		{"another name", secret, protocol.LabelRegister, nonce, "alicf", right, false},
		{"another name of other case", secret, protocol.LabelRegister, nonce, "Alice", right, false},
		{"the admin label", secret, protocol.LabelAdmin, nonce, name, right, false},
		{"not hex", secret, protocol.LabelRegister, nonce, name, "zz" + right[2:], false},
		{"an odd length", secret, protocol.LabelRegister, nonce, name, right[1:], false},
		{"a truncated proof", secret, protocol.LabelRegister, nonce, name, right[:62], false},
		{"an extra byte", secret, protocol.LabelRegister, nonce, name, right + "00", false},
		{"surrounding space", secret, protocol.LabelRegister, nonce, name, " " + right, false},
		{"empty", secret, protocol.LabelRegister, nonce, name, "", false},
		{"the secret itself", secret, protocol.LabelRegister, nonce, name, hex.EncodeToString(secret), false},
		{"a flipped last digit", secret, protocol.LabelRegister, nonce, name, right[:63] + flip(right[63]), false},
	}
	for _, tc := range tests {
		t.Run(tc.what, func(t *testing.T) {
			if got := protocol.VerifyProof(tc.secret, tc.label, tc.nonce, tc.name, tc.proof); got != tc.want {
				t.Errorf("VerifyProof = %v, want %v", got, tc.want)
			}
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
