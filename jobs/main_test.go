package jobs

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: the
// scheduler's runs, catch-ups and lease refreshes, and the fan-out's
// senders and heartbeat, all end before the call that started them returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
