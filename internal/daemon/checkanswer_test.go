package daemon

import (
	"reflect"
	"testing"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// checkAnswer stands in for protocol.CheckResponse on the wire: the same
// JSON names, in the same order, with the same options.
func TestCheckAnswerShape(t *testing.T) {
	a, p := reflect.TypeFor[checkAnswer](), reflect.TypeFor[protocol.CheckResponse]()
	if a.NumField() != p.NumField() {
		t.Fatalf("checkAnswer has %d fields, protocol.CheckResponse %d", a.NumField(), p.NumField())
	}
	for i := range a.NumField() {
		fa, fp := a.Field(i), p.Field(i)
		if fa.Name != fp.Name || fa.Tag.Get("json") != fp.Tag.Get("json") {
			t.Errorf("field %d: checkAnswer has %s %q, protocol.CheckResponse %s %q",
				i, fa.Name, fa.Tag.Get("json"), fp.Name, fp.Tag.Get("json"))
		}
		if fa.Name != "Messages" && fa.Type != fp.Type {
			t.Errorf("field %s: %v against %v", fa.Name, fa.Type, fp.Type)
		}
	}
}
