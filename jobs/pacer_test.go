package jobs

import (
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestPacerCatchesUp: a run at 1,000 DMs a second starts at its pace (one
// DM at once, not a burst) and, woken late, may send the DMs it owes for up
// to 50 ms. With a burst of one they were lost: 849 DMs a second of 1,000
// on a busy machine (BenchmarkFanoutRate).
func TestPacerCatchesUp(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		r     rate.Limit
		after time.Duration
		want  float64 // DMs that may go at once at t0+after
	}{
		{"1000/s at the start", 1000, 0, 1},
		{"1000/s woken 20 ms late", 1000, 20 * time.Millisecond, 21},
		{"1000/s idle a second", 1000, time.Second, 50},
		{"50/s idle a second", 50, time.Second, 2},
		{"10/s idle a second", 10, time.Second, 1},
	} {
		lim := newPacer(tt.r, t0)
		if got := lim.TokensAt(t0.Add(tt.after)); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: %.3f DMs may go at once, want %v", tt.name, got, tt.want)
		}
	}
	if lim := newPacer(rate.Inf, t0); !lim.AllowN(t0, 10_000) {
		t.Error("no limit: 10,000 DMs at once refused")
	}
}
