package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Leases.
//
// A lease makes one piece of work (a schedule tick, a follow-up DM, one
// person's DM of a fan-out, the digest's post…) happen once, whatever the
// replicas, restarts or catch-up runs: an owner claims it, keeps it alive
// while it works, and marks it done at the end; when the owner dies its
// lease expires and the next claimer takes the work over. Every exactly-once
// job of the bot uses this one protocol.
//
// A lease is one string key under a team's hash tag. Its value is
//
//	run:<owner>        held by <owner>; the key expires with the lease
//	done               finished (kept for a retention period, or deleted)
//	done:<result>      finished, with a result kept beside it
//
// Any other value (the "1" of older claim keys) counts as done, so that work
// finished by an older version stays finished.
//
// Claim, Refresh, Done and Release are each one Lua script. A protocol that
// must check or change more in the same atomic step (the follow-up that is
// due no more, the audit event of a sent follow-up) adds a Lua fragment to
// some of the scripts (leaseHooks): its keys are KEYS[2…] (same hash tag as
// the lease) and its arguments ARGV[4…]. Every script is safe to run twice by
// the same owner: claiming a lease one holds renews it, finishing a finished
// one or releasing a free one changes nothing.

// LeaseState says what a claim found.
type LeaseState int

// The answers of a claim. The zero value is no answer (an error).
const (
	// LeaseClaimed: the caller holds the lease and does the work.
	LeaseClaimed LeaseState = iota + 1
	// LeaseHeld: another owner holds a live lease on it.
	LeaseHeld
	// LeaseDone: the work is finished (or, for some protocols, needs doing
	// no more).
	LeaseDone
)

// String names the state ("claimed", "held", "done").
func (st LeaseState) String() string {
	switch st {
	case LeaseClaimed:
		return "claimed"
	case LeaseHeld:
		return "held"
	case LeaseDone:
		return "done"
	}
	return "LeaseState(" + strconv.Itoa(int(st)) + ")"
}

// NewOwner returns a fresh owner ID for leases: 16 random hex digits. Each
// scheduler replica, job run or call that claims work takes its own.
func NewOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Lease names one lease without protocol-specific rules; build it with
// TickLease or TickStepLease.
type Lease struct {
	key  string
	name string // the key after the team's tag, for errors
}

func (s *Store) lease(team string, parts ...string) Lease {
	return Lease{key: s.keys.Team(team, parts...), name: strings.Join(parts, ":")}
}

// TickLease is the lease of job's run at a schedule tick
// ("<prefix>:{T}:tick:<job>:<tick Unix ms>"), which the scheduler holds
// while the job runs.
func (s *Store) TickLease(team, job string, tick time.Time) Lease {
	return s.lease(team, "tick", job, strconv.FormatInt(tick.UnixMilli(), 10))
}

// TickStepLease is the lease of one step of a tick that must happen once
// even when the tick's run is taken over, such as the digest's post
// ("<prefix>:{T}:claim:<step>:<tick Unix ms>").
func (s *Store) TickStepLease(team, step string, tick time.Time) Lease {
	return s.lease(team, "claim", step, strconv.FormatInt(tick.UnixMilli(), 10))
}

// ClaimLease claims l for owner for ttl. LeaseClaimed means the caller does
// the work and must refresh the lease while it takes longer than ttl;
// claiming a lease one holds again renews it.
func (s *Store) ClaimLease(ctx context.Context, l Lease, owner string, ttl time.Duration) (LeaseState, error) {
	st, _, err := s.claimLease(ctx, plainLease, []string{l.key}, owner, ttl)
	if err != nil {
		return 0, fmt.Errorf("claim lease %s: %w", l.name, err)
	}
	return st, nil
}

// AwaitLease claims l for owner for ttl like ClaimLease, but while another
// owner holds it, it claims again every poll until it wins (the other owner
// finished and released it, or died and its lease expired) or finds the
// work done. It returns LeaseClaimed or LeaseDone, or ctx's error when ctx
// ends first.
func (s *Store) AwaitLease(ctx context.Context, l Lease, owner string, ttl, poll time.Duration) (LeaseState, error) {
	for {
		st, err := s.ClaimLease(ctx, l, owner, ttl)
		if err != nil || st != LeaseHeld {
			return st, err
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("await lease %s: %w", l.name, ctx.Err())
		case <-t.C:
		}
	}
}

// RefreshLease extends owner's lease l to ttl from now; false means owner
// does not hold it any more (it expired, maybe taken over, or was finished).
func (s *Store) RefreshLease(ctx context.Context, l Lease, owner string, ttl time.Duration) (bool, error) {
	ok, err := s.refreshLease(ctx, l.key, owner, ttl)
	if err != nil {
		return false, fmt.Errorf("refresh lease %s: %w", l.name, err)
	}
	return ok, nil
}

// FinishLease marks l done and keeps that for keep (0: the key is deleted,
// for work whose result is recorded elsewhere). It succeeds when owner holds
// the lease, when nobody does (a late finish after the lease expired and
// before anyone took over still counts), and when it is done already; false
// means another owner holds it now, and nothing is changed.
func (s *Store) FinishLease(ctx context.Context, l Lease, owner string, keep time.Duration) (bool, error) {
	ok, err := s.finishLease(ctx, plainLease, []string{l.key}, owner, keep, "")
	if err != nil {
		return false, fmt.Errorf("finish lease %s: %w", l.name, err)
	}
	return ok, nil
}

// ReleaseLease gives l back without finishing it, so that the next claim
// wins at once; it does nothing unless owner holds it, and reports whether
// it did.
func (s *Store) ReleaseLease(ctx context.Context, l Lease, owner string) (bool, error) {
	ok, err := s.releaseLease(ctx, plainLease, []string{l.key}, owner)
	if err != nil {
		return false, fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return ok, nil
}

// ErrLeaseHeld is returned (wrapped) when an owner records the end of work
// whose lease another owner holds now (it expired and was taken over):
// nothing was recorded.
var ErrLeaseHeld = errors.New("lease held by another owner")

// leaseHooks are the Lua fragments a protocol adds to the lease scripts. A
// fragment reads its keys from KEYS[2…] and its arguments from ARGV[4…]; it
// may return only from inside a block (if … then return … end).
type leaseHooks struct {
	// prelude is Lua put before each script (such as AuditLua).
	prelude string
	// claim runs when the lease is free, before it is taken. It may
	// `return lease_done(result)` to answer LeaseDone without taking it
	// (the work needs doing no more), and may set `note`, which the claim
	// returns with LeaseClaimed.
	claim string
	// done runs when the lease is finished now (not when it was done
	// already). With keep 0 no marker is left, so a second run finds the
	// lease free and runs it again: it must then be idempotent.
	done string
	// release runs when the owner gives the lease back.
	release string
}

// leaseKind holds the scripts of one lease protocol.
type leaseKind struct {
	claim, done, release *redis.Script
}

// leaseLua defines the helpers every lease script starts with.
const leaseLua = `
local function lease_done(result) return {3, result or ''} end
local function lease_result(v)
  if string.sub(v, 1, 5) == 'done:' then return string.sub(v, 6) end
  return ''
end
`

// newLeaseKind builds the scripts of a lease protocol from its hooks.
//
// claim: KEYS[1] lease; ARGV[1] owner, ARGV[2] lease ms. Returns {state, result}.
// done: KEYS[1] lease; ARGV[1] owner, ARGV[2] keep ms, ARGV[3] result.
// Returns 1 finished now, 2 done already, 0 held by another owner.
// release: KEYS[1] lease; ARGV[1] owner. Returns 1 released, 0 not held.
func newLeaseKind(h leaseHooks) *leaseKind {
	head := "#!lua\n" + h.prelude + leaseLua
	return &leaseKind{
		claim: redis.NewScript(head + `
local v = redis.call('GET', KEYS[1])
if v == 'run:' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, ''}
end
if v then
  if string.sub(v, 1, 4) == 'run:' then return {2, ''} end
  return lease_done(lease_result(v))
end
local note = ''
` + h.claim + `
redis.call('SET', KEYS[1], 'run:' .. ARGV[1], 'PX', ARGV[2])
return {1, note}
`),
		done: redis.NewScript(head + `
local v = redis.call('GET', KEYS[1])
if v and v ~= 'run:' .. ARGV[1] then
  if string.sub(v, 1, 4) == 'run:' then return 0 end
  return 2
end
` + h.done + `
if tonumber(ARGV[2]) > 0 then
  local marker = 'done'
  if ARGV[3] ~= '' then marker = 'done:' .. ARGV[3] end
  redis.call('SET', KEYS[1], marker, 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1
`),
		release: redis.NewScript(head + `
if redis.call('GET', KEYS[1]) ~= 'run:' .. ARGV[1] then return 0 end
` + h.release + `
redis.call('DEL', KEYS[1])
return 1
`),
	}
}

// plainLease is the protocol without hooks.
var plainLease = newLeaseKind(leaseHooks{})

// refreshLeaseScript extends a lease its owner holds. KEYS[1] lease;
// ARGV[1] owner, ARGV[2] lease ms. Returns 1 when extended.
var refreshLeaseScript = redis.NewScript(`#!lua
if redis.call('GET', KEYS[1]) ~= 'run:' .. ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// claimLease runs k's claim on keys (the lease first, then the hook's)
// with the hook's args, and returns the state and the result (a done
// lease's, or the hook's note).
func (s *Store) claimLease(ctx context.Context, k *leaseKind, keys []string, owner string, ttl time.Duration, args ...any) (LeaseState, string, error) {
	if owner == "" {
		return 0, "", errNoOwner
	}
	if ttl <= 0 {
		return 0, "", fmt.Errorf("lease ttl must be positive, got %s", ttl)
	}
	res, err := k.claim.Run(ctx, s.rdb, keys, leaseArgs(owner, ttl.Milliseconds(), "", args)...).Slice()
	if err != nil {
		return 0, "", err
	}
	if len(res) != 2 {
		return 0, "", fmt.Errorf("unexpected reply %v", res)
	}
	n, _ := res[0].(int64)
	result, _ := res[1].(string)
	st := LeaseState(n)
	if st < LeaseClaimed || st > LeaseDone {
		return 0, "", fmt.Errorf("unexpected reply %v", res)
	}
	return st, result, nil
}

// finishLease runs k's done script: the lease is done for keep (0: its key
// is deleted), with result kept in its marker. False means another owner
// holds it.
func (s *Store) finishLease(ctx context.Context, k *leaseKind, keys []string, owner string, keep time.Duration, result string, args ...any) (bool, error) {
	if owner == "" {
		return false, errNoOwner
	}
	if keep < 0 {
		return false, fmt.Errorf("lease keep must not be negative, got %s", keep)
	}
	n, err := k.done.Run(ctx, s.rdb, keys, leaseArgs(owner, keep.Milliseconds(), result, args)...).Int()
	if err != nil {
		return false, err
	}
	return n != 0, nil
}

// releaseLease runs k's release script; false means owner did not hold
// the lease.
func (s *Store) releaseLease(ctx context.Context, k *leaseKind, keys []string, owner string, args ...any) (bool, error) {
	n, err := k.release.Run(ctx, s.rdb, keys, leaseArgs(owner, 0, "", args)...).Int()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// errNoOwner refuses a lease call without an owner, which would match any
// free lease's missing value.
var errNoOwner = errors.New("lease owner must not be empty")

// refreshLease extends owner's lease at key to ttl; false means owner does
// not hold it.
func (s *Store) refreshLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("lease ttl must be positive, got %s", ttl)
	}
	n, err := refreshLeaseScript.Run(ctx, s.rdb, []string{key}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// leaseArgs are a lease script's arguments: owner, ms, result, then the
// hook's.
func leaseArgs(owner string, ms int64, result string, hook []any) []any {
	return append([]any{owner, ms, result}, hook...)
}
