package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Labels bind a proof to its purpose, so a proof made for one can never be
// replayed as the other.
const (
	LabelRegister = "ipcd/register/v1"
	LabelAdmin    = "ipcd/admin/v1"
)

// Proof is the answer to a challenge: lowercase hex of HMAC-SHA256 keyed
// with the shared secret over ProofMessage(label, nonce, name). The secret
// itself never crosses the socket.
func Proof(secret []byte, label, nonce, name string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(ProofMessage(label, nonce, name))
	return hex.EncodeToString(mac.Sum(nil))
}

// ProofMessage is the byte string a proof signs: each of label, nonce and
// name as a 4-byte big-endian length followed by its bytes. The length
// prefixes make the encoding unambiguous ("ab"+"c" differs from "a"+"bc").
func ProofMessage(label, nonce, name string) []byte {
	b := make([]byte, 0, 12+len(label)+len(nonce)+len(name))
	for _, s := range []string{label, nonce, name} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// VerifyProof reports, in constant time, whether proof is the right answer.
func VerifyProof(secret []byte, label, nonce, name, proof string) bool {
	got, err := hex.DecodeString(proof)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(ProofMessage(label, nonce, name))
	return hmac.Equal(got, mac.Sum(nil))
}
