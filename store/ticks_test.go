package store_test

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

func TestTickLease(t *testing.T) {
	rs := redistest.Start(t)
	s := store.New(rs.Client(t), store.NewKeys(rs.Prefix(t)))
	ctx := t.Context()
	tick := time.Unix(1_700_000_000, 0)
	claim := func(owner string, lease time.Duration) store.TickState {
		t.Helper()
		st, err := s.ClaimTickLease(ctx, "T1", "feedback", tick, owner, lease)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if got := claim("a", time.Minute); got != store.TickWon {
		t.Fatalf("first claim = %v, want won", got)
	}
	if got := claim("b", time.Minute); got != store.TickRunning {
		t.Fatalf("second replica's claim = %v, want running", got)
	}
	if got := claim("a", time.Minute); got != store.TickWon {
		t.Fatalf("owner's re-claim = %v, want won", got)
	}
	// Giving the lease back lets another replica take the tick over.
	if err := s.EndTick(ctx, "T1", "feedback", tick, "a", false, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := claim("b", 50*time.Millisecond); got != store.TickWon {
		t.Fatalf("claim after release = %v, want won", got)
	}
	// A dead owner's lease expires and the tick is taken over.
	time.Sleep(80 * time.Millisecond)
	if got := claim("c", time.Minute); got != store.TickWon {
		t.Fatalf("claim after lease expiry = %v, want won", got)
	}
	if ok, err := s.RefreshTickLease(ctx, "T1", "feedback", tick, "b", time.Minute); err != nil || ok {
		t.Fatalf("refresh by the old owner = %v, %v; want false", ok, err)
	}
	// Only the owner may end it; done is final.
	if err := s.EndTick(ctx, "T1", "feedback", tick, "b", true, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := claim("b", time.Minute); got != store.TickRunning {
		t.Fatalf("claim after a non-owner's end = %v, want running", got)
	}
	if err := s.EndTick(ctx, "T1", "feedback", tick, "c", true, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"a", "b", "c"} {
		if got := claim(owner, time.Minute); got != store.TickDone {
			t.Fatalf("claim by %s after done = %v, want done", owner, got)
		}
	}
}
