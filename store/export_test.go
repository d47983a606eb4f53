package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

func TestEachAuditStreamsPagesAndTrimKeepsTheRecent(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	n := 2*500 + 7 // more than two pages
	for i := range n {
		ev := domain.Event{Actor: "U1", Subject: "x", At: t0.Add(time.Duration(i) * time.Minute),
			Payload: domain.PraiseGivenData{Text: "thanks"}}
		if _, err := s.Audit(ctx, team, ev); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
	var got []time.Time
	if err := s.EachAudit(ctx, team, t0, t0.Add(time.Duration(n)*time.Minute), func(ev domain.Event) error {
		got = append(got, ev.At)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n || !slices.IsSortedFunc(got, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Fatalf("EachAudit gave %d events (sorted: %v), want %d in order", len(got), slices.IsSortedFunc(got, func(a, b time.Time) int { return a.Compare(b) }), n)
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.EachAudit(ctx, team, t0, t0.Add(time.Hour*100), func(domain.Event) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("EachAudit did not stop at fn's error: %v after %d calls", err, calls)
	}
	// No cap: every entry is still there; retention trims the old ones, twice safely.
	cut := t0.Add(100 * time.Minute)
	for range 2 {
		if _, err := s.TrimAudit(ctx, team, cut); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Duration(n)*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n-100 || evs[0].At.Before(cut) {
		t.Errorf("after trimming before %v: %d events from %v, want %d", cut, len(evs), evs[0].At, n-100)
	}
	teams, err := s.AuditTeams(ctx)
	if err != nil || !slices.Contains(teams, team) {
		t.Errorf("AuditTeams = %v, %v; want %s among them", teams, err, team)
	}
}
