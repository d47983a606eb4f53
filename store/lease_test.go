package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/store/redistest"
)

// The lease protocol's tests, written once: every exactly-once job (schedule
// ticks, follow-ups, commitment reminders, DM opens, the fan-out, the
// digest's post) runs on these scripts, so their tests check only their own
// rules.

func newLeaseStore(t *testing.T) (*Store, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	return New(srv.Client(t), NewKeys(srv.Prefix(t))), srv
}

var leaseTick = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustClaim(t *testing.T, s *Store, l Lease, owner string, ttl time.Duration) LeaseState {
	t.Helper()
	st, err := s.ClaimLease(t.Context(), l, owner, ttl)
	if err != nil {
		t.Fatalf("ClaimLease(%s, %s): %v", l.name, owner, err)
	}
	return st
}

func TestLeaseOneOfConcurrentClaimersWins(t *testing.T) {
	s, srv := newLeaseStore(t)
	l := s.TickLease("T1", "feedback", leaseTick)
	// Ten replicas, each with its own client, race for the same lease.
	var mu sync.Mutex
	got := map[LeaseState]int{}
	var wg sync.WaitGroup
	for i := range 10 {
		r := New(srv.Client(t), s.Keys())
		wg.Go(func() {
			st, err := r.ClaimLease(t.Context(), l, string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			got[st]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[LeaseClaimed] != 1 || got[LeaseHeld] != 9 {
		t.Fatalf("claims = %v; want 1 claimed, 9 held", got)
	}
}

func TestLeaseNames(t *testing.T) {
	s, srv := newLeaseStore(t)
	rdb := srv.Client(t)
	if st := mustClaim(t, s, s.TickLease("T1", "feedback", leaseTick), "a", time.Minute); st != LeaseClaimed {
		t.Fatalf("first claim = %v; want claimed", st)
	}
	// The key names are stable: ticks run (and done) by an earlier version
	// stay so.
	key := s.Keys().Team("T1", "tick", "feedback", "1772442000000")
	if v, err := rdb.Get(t.Context(), key).Result(); err != nil || v != "run:a" {
		t.Errorf("GET %s = %q, %v; want run:a", key, v, err)
	}
	tests := []struct {
		name string
		l    Lease
		want LeaseState
	}{
		{"same tick in another zone", s.TickLease("T1", "feedback", leaseTick.In(time.FixedZone("CST", -6*3600))), LeaseHeld},
		{"next tick", s.TickLease("T1", "feedback", leaseTick.Add(time.Minute)), LeaseClaimed},
		{"other job", s.TickLease("T1", "digest", leaseTick), LeaseClaimed},
		{"other team", s.TickLease("T2", "feedback", leaseTick), LeaseClaimed},
		{"a step of the tick", s.TickStepLease("T1", "feedback", leaseTick), LeaseClaimed},
	}
	for _, tt := range tests {
		if got := mustClaim(t, s, tt.l, "b", time.Minute); got != tt.want {
			t.Errorf("%s: claim = %v; want %v", tt.name, got, tt.want)
		}
	}
	step := s.Keys().Team("T1", "claim", "feedback", "1772442000000")
	if n, err := rdb.Exists(t.Context(), step).Result(); err != nil || n != 1 {
		t.Errorf("EXISTS %s = %d, %v; want 1", step, n, err)
	}
}

func TestLeaseExpiresAndIsTakenOver(t *testing.T) {
	s, _ := newLeaseStore(t)
	ctx := t.Context()
	l := s.TickLease("T1", "feedback", leaseTick)
	if st := mustClaim(t, s, l, "a", 50*time.Millisecond); st != LeaseClaimed {
		t.Fatalf("a's claim = %v; want claimed", st)
	}
	if st := mustClaim(t, s, l, "b", time.Minute); st != LeaseHeld {
		t.Fatalf("b's claim while a is alive = %v; want held", st)
	}
	// a dies: b, waiting, takes the lease over once a's expires.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if st, err := s.AwaitLease(wctx, l, "b", time.Minute, 5*time.Millisecond); err != nil || st != LeaseClaimed {
		t.Fatalf("b's AwaitLease = %v, %v; want claimed", st, err)
	}
	// a, back, owns nothing: it can neither refresh, release nor finish.
	if ok, err := s.RefreshLease(ctx, l, "a", time.Minute); err != nil || ok {
		t.Errorf("a's refresh = %v, %v; want false", ok, err)
	}
	if ok, err := s.ReleaseLease(ctx, l, "a"); err != nil || ok {
		t.Errorf("a's release = %v, %v; want false", ok, err)
	}
	if ok, err := s.FinishLease(ctx, l, "a", time.Hour); err != nil || ok {
		t.Errorf("a's finish = %v, %v; want false", ok, err)
	}
	if st := mustClaim(t, s, l, "c", time.Minute); st != LeaseHeld {
		t.Errorf("c's claim = %v; want held (by b)", st)
	}
	// An owner's claim renews its own lease.
	if st := mustClaim(t, s, l, "b", time.Minute); st != LeaseClaimed {
		t.Errorf("b's second claim = %v; want claimed", st)
	}
}

func TestLeaseAwaitEndsWithItsContext(t *testing.T) {
	s, _ := newLeaseStore(t)
	l := s.TickLease("T1", "feedback", leaseTick)
	mustClaim(t, s, l, "a", time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if st, err := s.AwaitLease(ctx, l, "b", time.Minute, time.Millisecond); !errors.Is(err, context.Canceled) || st != 0 {
		t.Errorf("AwaitLease with an ended context = %v, %v; want context.Canceled", st, err)
	}
}

func TestLeaseRefresh(t *testing.T) {
	s, srv := newLeaseStore(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	l := s.TickLease("T1", "feedback", leaseTick)
	mustClaim(t, s, l, "a", time.Second)
	if ok, err := s.RefreshLease(ctx, l, "b", time.Hour); err != nil || ok {
		t.Errorf("refresh by a non-owner = %v, %v; want false", ok, err)
	}
	if ttl, _ := rdb.PTTL(ctx, l.key).Result(); ttl > time.Second {
		t.Errorf("PTTL after a non-owner's refresh = %v; want at most 1s", ttl)
	}
	if ok, err := s.RefreshLease(ctx, l, "a", time.Hour); err != nil || !ok {
		t.Errorf("owner's refresh = %v, %v; want true", ok, err)
	}
	if ttl, _ := rdb.PTTL(ctx, l.key).Result(); ttl <= time.Minute {
		t.Errorf("PTTL after the owner's refresh = %v; want about 1h", ttl)
	}
	if _, err := s.FinishLease(ctx, l, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.RefreshLease(ctx, l, "a", time.Hour); err != nil || ok {
		t.Errorf("refresh of a done lease = %v, %v; want false", ok, err)
	}
}

func TestLeaseDoneIsFinal(t *testing.T) {
	s, srv := newLeaseStore(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	l := s.TickLease("T1", "feedback", leaseTick)
	mustClaim(t, s, l, "a", time.Minute)
	if ok, err := s.FinishLease(ctx, l, "b", time.Hour); err != nil || ok {
		t.Errorf("finish by a non-owner = %v, %v; want false", ok, err)
	}
	if ok, err := s.FinishLease(ctx, l, "a", time.Hour); err != nil || !ok {
		t.Fatalf("owner's finish = %v, %v; want true", ok, err)
	}
	if v, _ := rdb.Get(ctx, l.key).Result(); v != "done" {
		t.Errorf("done lease's value = %q; want done", v)
	}
	if ttl, _ := rdb.PTTL(ctx, l.key).Result(); ttl <= time.Minute || ttl > time.Hour {
		t.Errorf("done lease's PTTL = %v; want about 1h", ttl)
	}
	for _, owner := range []string{"a", "b"} {
		if st := mustClaim(t, s, l, owner, time.Minute); st != LeaseDone {
			t.Errorf("claim by %s after done = %v; want done", owner, st)
		}
		if ok, err := s.ReleaseLease(ctx, l, owner); err != nil || ok {
			t.Errorf("release by %s after done = %v, %v; want false", owner, ok, err)
		}
		if ok, err := s.FinishLease(ctx, l, owner, time.Minute); err != nil || !ok {
			t.Errorf("finish by %s after done = %v, %v; want true (done already)", owner, ok, err)
		}
	}
	if ttl, _ := rdb.PTTL(ctx, l.key).Result(); ttl <= time.Minute {
		t.Errorf("PTTL after finishing again = %v; want still about 1h", ttl)
	}

	// A late finish (the lease expired, nobody took it over) counts.
	free := s.TickLease("T1", "feedback", leaseTick.Add(time.Minute))
	if ok, err := s.FinishLease(ctx, free, "a", 0); err != nil || !ok {
		t.Errorf("finish of a free lease = %v, %v; want true", ok, err)
	}
	// Done with nothing kept deletes the key: the work's result is recorded
	// elsewhere.
	if n, _ := rdb.Exists(ctx, free.key).Result(); n != 0 {
		t.Errorf("lease finished with keep 0 still exists")
	}
	// A claim key of an earlier version ("1") is done.
	old := s.TickStepLease("T1", "digest_post", leaseTick)
	if err := rdb.Set(ctx, old.key, "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if st := mustClaim(t, s, old, "a", time.Minute); st != LeaseDone {
		t.Errorf("claim of an old claim key = %v; want done", st)
	}
}

func TestLeaseReleaseOnlyByItsOwner(t *testing.T) {
	s, _ := newLeaseStore(t)
	ctx := t.Context()
	l := s.TickLease("T1", "feedback", leaseTick)
	mustClaim(t, s, l, "a", time.Minute)
	if ok, err := s.ReleaseLease(ctx, l, "b"); err != nil || ok {
		t.Errorf("release by a non-owner = %v, %v; want false", ok, err)
	}
	if st := mustClaim(t, s, l, "c", time.Minute); st != LeaseHeld {
		t.Errorf("claim after a non-owner's release = %v; want held", st)
	}
	if ok, err := s.ReleaseLease(ctx, l, "a"); err != nil || !ok {
		t.Errorf("owner's release = %v, %v; want true", ok, err)
	}
	if st := mustClaim(t, s, l, "c", time.Minute); st != LeaseClaimed {
		t.Errorf("claim after the owner's release = %v; want claimed", st)
	}
}

func TestLeaseRefusesBadArguments(t *testing.T) {
	s, _ := newLeaseStore(t)
	ctx := t.Context()
	l := s.TickLease("T1", "feedback", leaseTick)
	if _, err := s.ClaimLease(ctx, l, "", time.Minute); err == nil {
		t.Error("claim without an owner = nil error")
	}
	if _, err := s.ClaimLease(ctx, l, "a", 0); err == nil {
		t.Error("claim with ttl 0 = nil error")
	}
	if _, err := s.RefreshLease(ctx, l, "a", -time.Second); err == nil {
		t.Error("refresh with a negative ttl = nil error")
	}
	if _, err := s.FinishLease(ctx, l, "a", -time.Second); err == nil {
		t.Error("finish with a negative keep = nil error")
	}
}

// countingLease is a protocol whose hooks count their runs in KEYS[2]
// (claim), KEYS[3] (done) and KEYS[4] (release); its claim answers done,
// with KEYS[5]'s value as the result, when KEYS[5] is set, and notes
// ARGV[4].
var countingLease = newLeaseKind(leaseHooks{
	claim: `
local r = redis.call('GET', KEYS[5])
if r then return lease_done(r) end
redis.call('INCR', KEYS[2])
note = ARGV[4]`,
	done:    `redis.call('INCR', KEYS[3])`,
	release: `redis.call('INCR', KEYS[4])`,
})

func TestLeaseHooksRunOnceEvenWhenScriptsRunTwice(t *testing.T) {
	s, srv := newLeaseStore(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	k := func(name string) string { return s.Keys().Team("T1", "test", name) }
	keys := []string{k("lease"), k("claims"), k("dones"), k("releases"), k("result")}
	count := func(name string) int {
		t.Helper()
		n, err := rdb.Get(ctx, k(name)).Int()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		return n
	}
	for range 2 {
		if st, _, err := s.claimLease(ctx, countingLease, keys, "a", time.Minute, "hello"); err != nil || st != LeaseClaimed {
			t.Fatalf("claim = %v, %v; want claimed", st, err)
		}
	}
	if n := count("claims"); n != 1 {
		t.Errorf("claim hook ran %d times for two claims by one owner; want 1", n)
	}
	if ok, err := s.releaseLease(ctx, countingLease, keys, "a"); err != nil || !ok {
		t.Fatalf("release = %v, %v; want true", ok, err)
	}
	if ok, err := s.releaseLease(ctx, countingLease, keys, "a"); err != nil || ok {
		t.Fatalf("second release = %v, %v; want false", ok, err)
	}
	if n := count("releases"); n != 1 {
		t.Errorf("release hook ran %d times for two releases; want 1", n)
	}
	if st, note, err := s.claimLease(ctx, countingLease, keys, "b", time.Minute, "hello"); err != nil || st != LeaseClaimed || note != "hello" {
		t.Fatalf("claim after release = %v, %q, %v; want claimed with the hook's note", st, note, err)
	}
	for range 2 {
		if ok, err := s.finishLease(ctx, countingLease, keys, "b", time.Hour, "r1"); err != nil || !ok {
			t.Fatalf("finish = %v, %v; want true", ok, err)
		}
	}
	if n := count("dones"); n != 1 {
		t.Errorf("done hook ran %d times for two finishes; want 1", n)
	}
	if st, result, err := s.claimLease(ctx, countingLease, keys, "c", time.Minute); err != nil || st != LeaseDone || result != "r1" {
		t.Errorf("claim of the done lease = %v, %q, %v; want done with result r1", st, result, err)
	}
	// The claim hook may answer done without taking the lease.
	free := []string{k("lease2"), k("claims"), k("dones"), k("releases"), k("result")}
	if err := rdb.Set(ctx, k("result"), "elsewhere", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if st, result, err := s.claimLease(ctx, countingLease, free, "c", time.Minute); err != nil || st != LeaseDone || result != "elsewhere" {
		t.Errorf("claim the hook answers = %v, %q, %v; want done with result elsewhere", st, result, err)
	}
	if n, _ := rdb.Exists(ctx, k("lease2")).Result(); n != 0 {
		t.Error("the hook answered done, but the lease was taken")
	}
	if n := count("claims"); n != 2 {
		t.Errorf("claim hook ran %d times; want 2", n)
	}
}
