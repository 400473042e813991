package importer

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that Read closes its database: database/sql keeps a
// goroutine per open handle.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
