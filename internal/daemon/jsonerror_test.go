package daemon

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Each way a body can fail to decode has its code; a time that is no
// RFC 3339 string is a bad argument, not broken JSON.
func TestDecodeErrorCodes(t *testing.T) {
	type body struct {
		N    int       `json:"n"`
		When time.Time `json:"when"`
	}
	for in, want := range map[string]protocol.Code{
		`{"n":1`:                            protocol.CodeMalformedJSON,
		`{"n":"x"}`:                         protocol.CodeInvalidArgument,
		`{"m":1}`:                           protocol.CodeUnknownField,
		`{"when":5}`:                        protocol.CodeInvalidArgument,
		`{"when":"yesterday"}`:              protocol.CodeInvalidArgument,
		`{"when":"2026-11-26T05:16:27Z"} x`: protocol.CodeMalformedJSON,
	} {
		r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(in))
		var v body
		err := decode(r, &v)
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != want {
			t.Errorf("%s: %v, want %s", in, err, want)
		}
	}
}
