package handlers

import (
	"testing"
	"time"
)

func TestElapsedText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "<1m", 45 * time.Minute: "45m", 3 * time.Hour: "3h", 3*time.Hour + 5*time.Minute: "3h 5m",
		50 * time.Hour: "2d 2h", 48 * time.Hour: "2d",
	} {
		if got := elapsedText(d); got != want {
			t.Errorf("elapsedText(%v) = %q; want %q", d, got, want)
		}
	}
}

func TestPolicyDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4 * time.Hour: "4h", 24 * time.Hour: "24h", 72 * time.Hour: "72h", 30 * time.Minute: "30m",
		90 * time.Minute: "1h30m", 3 * time.Second: "3s", 0: "0s",
	} {
		if got := policyDurationText(d); got != want {
			t.Errorf("policyDurationText(%v) = %q; want %q", d, got, want)
		}
	}
}
