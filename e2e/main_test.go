package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when goroutines are left running after every
// test: a net under apptest's per-test check, for tests that start the app
// without apptest.Start.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
