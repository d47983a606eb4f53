package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// The fan-out ledger.
//
// A fan-out run (one scheduled tick of a "DM many people" job, or one
// feedback round for the reminder) records every person's delivery in one
// hash, so that a rerun after a crash, a catch-up run or a second replica
// never DMs anyone twice and never skips anyone:
//
//	<prefix>:{T}:fanout:<job>:<run>                 person -> state
//	<prefix>:{T}:fanout-claim:<job>:<run>:<person>  the lease of one person's DM (see lease.go)
//	<prefix>:{T}:fanout-pending:<job>               runs begun and not finished: run -> begin time (Unix ms)
//
// A person's state is one of
//
//	c:<owner>                  claimed: <owner> is sending the DM, or was when it died
//	s:<channel>:<ts>           sent (the DM's channel and timestamp)
//	f:<code>                   failed for good (a Slack error such as user_not_found)
//
// A person's lease is claimed atomically just before the send, and ended
// right after it by the script that records s: or f:. A lease whose owner
// died expires (its run refreshes the leases of the sends in flight): the
// next run takes it over, and the c: entry left behind tells it so. The
// ledger expires FanoutTTL after its creation.

// FanoutTTL is how long a run's ledger is kept (the reminder of a weekly
// round reads the round's ledger days later).
const FanoutTTL = 45 * 24 * time.Hour

// FanoutState is a person's entry in a run's ledger.
type FanoutState struct {
	// Kind is 'c' (claimed), 's' (sent) or 'f' (failed), 0 when absent.
	Kind byte
	// Owner is the claiming run (Kind 'c').
	Owner string
	// Channel and TS locate the DM (Kind 's').
	Channel, TS string
	// Code is the Slack error (Kind 'f').
	Code string
}

// Sent reports whether the DM was delivered.
func (s FanoutState) Sent() bool { return s.Kind == 's' }

// Final reports whether the person needs nothing more (sent or failed for good).
func (s FanoutState) Final() bool { return s.Kind == 's' || s.Kind == 'f' }

// ParseFanoutState decodes a ledger value.
func ParseFanoutState(v string) FanoutState {
	kind, rest, _ := strings.Cut(v, ":")
	switch kind {
	case "c":
		return FanoutState{Kind: 'c', Owner: rest}
	case "s":
		ch, ts, _ := strings.Cut(rest, ":")
		return FanoutState{Kind: 's', Channel: ch, TS: ts}
	case "f":
		return FanoutState{Kind: 'f', Code: rest}
	}
	return FanoutState{}
}

func (s *Store) fanoutKey(team, job, run string) string {
	return s.keys.Team(team, "fanout", job, run)
}

func (s *Store) fanoutPendingKey(team, job string) string {
	return s.keys.Team(team, "fanout-pending", job)
}

// fanoutKeys are a person's lease and the run's ledger.
func (s *Store) fanoutKeys(team, job, run, person string) []string {
	return []string{s.keys.Team(team, "fanout-claim", job, run, person), s.fanoutKey(team, job, run)}
}

// fanoutKind is the lease of one person's DM in a run.
//
// claim: KEYS[2] ledger; ARGV[4] person, ARGV[5] ledger ttl ms. A person
// sent or failed for good is done (the ledger's state is the result).
// Otherwise the ledger says c:<owner>, and the claim notes "taken-over" when
// it held another owner's claim (that run died mid-send).
//
// done: KEYS[2] ledger; ARGV[4] person, ARGV[5] the state (s:… or f:…),
// ARGV[6] ledger ttl ms. Idempotent (the lease is deleted: the ledger keeps
// the result).
//
// release: KEYS[2] ledger; ARGV[4] person. The c: entry goes with the
// lease.
var fanoutKind = newLeaseKind(leaseHooks{
	claim: `
local cur = redis.call('HGET', KEYS[2], ARGV[4])
if cur and string.sub(cur, 1, 2) ~= 'c:' then return lease_done(cur) end
if cur and cur ~= 'c:' .. ARGV[1] then note = 'taken-over' end
redis.call('HSET', KEYS[2], ARGV[4], 'c:' .. ARGV[1])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end`,
	done: `
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end`,
	release: `
if redis.call('HGET', KEYS[2], ARGV[4]) == 'c:' .. ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[4]) end`,
})

// FanoutBegin starts (or resumes) a run at now: it lists the run as pending
// until FanoutComplete and returns the run's ledger as it is, in one round
// trip.
func (s *Store) FanoutBegin(ctx context.Context, team, job, run string, now time.Time) (map[string]FanoutState, error) {
	var all *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, s.fanoutPendingKey(team, job), redis.Z{Score: float64(now.UnixMilli()), Member: run})
		all = p.HGetAll(ctx, s.fanoutKey(team, job, run))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("begin fanout %s: %w", job, err)
	}
	out := make(map[string]FanoutState, len(all.Val()))
	for k, v := range all.Val() {
		out[k] = ParseFanoutState(v)
	}
	return out, nil
}

// FanoutBegun returns when a pending run began (its first FanoutBegin);
// the zero time when it is not pending (completed, or never begun).
func (s *Store) FanoutBegun(ctx context.Context, team, job, run string) (time.Time, error) {
	ms, err := s.rdb.ZScore(ctx, s.fanoutPendingKey(team, job), run).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("fanout %s begun: %w", job, err)
	}
	return time.UnixMilli(int64(ms)), nil
}

// FanoutLedger returns a run's ledger.
func (s *Store) FanoutLedger(ctx context.Context, team, job, run string) (map[string]FanoutState, error) {
	all, err := s.rdb.HGetAll(ctx, s.fanoutKey(team, job, run)).Result()
	if err != nil {
		return nil, fmt.Errorf("read fanout %s: %w", job, err)
	}
	out := make(map[string]FanoutState, len(all))
	for k, v := range all {
		out[k] = ParseFanoutState(v)
	}
	return out, nil
}

// FanoutDelivered returns the people a run's DM reached (recorded as sent),
// sorted.
func (s *Store) FanoutDelivered(ctx context.Context, team, job, run string) ([]string, error) {
	ledger, err := s.FanoutLedger(ctx, team, job, run)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ledger))
	for person, st := range ledger {
		if st.Sent() {
			out = append(out, person)
		}
	}
	slices.Sort(out)
	return out, nil
}

// FanoutClaim claims person's DM in a run for owner, for ttl (refresh it
// with FanoutRefresh while the send takes longer): LeaseClaimed means the
// caller sends it, and takenOver that it took over the claim of a run that
// died while sending (the DM may or may not have gone out); LeaseHeld that
// another live run is sending it; LeaseDone that the person was handled
// (sent, or failed for good).
func (s *Store) FanoutClaim(ctx context.Context, team, job, run, person, owner string, ttl time.Duration) (st LeaseState, takenOver bool, err error) {
	st, note, err := s.claimLease(ctx, fanoutKind, s.fanoutKeys(team, job, run, person), owner, ttl, person, FanoutTTL.Milliseconds())
	if err != nil {
		return 0, false, fmt.Errorf("claim fanout %s: %w", job, err)
	}
	return st, st == LeaseClaimed && note == "taken-over", nil
}

// FanoutRefresh extends owner's claim of person to ttl; false means it was
// lost (it expired, maybe taken over).
func (s *Store) FanoutRefresh(ctx context.Context, team, job, run, person, owner string, ttl time.Duration) (bool, error) {
	ok, err := s.refreshLease(ctx, s.fanoutKeys(team, job, run, person)[0], owner, ttl)
	if err != nil {
		return false, fmt.Errorf("refresh fanout claim %s: %w", job, err)
	}
	return ok, nil
}

// FanoutSent records that owner's DM to person went out in channel at ts,
// and ends the claim. It fails with ErrLeaseHeld when another run holds the
// claim now.
func (s *Store) FanoutSent(ctx context.Context, team, job, run, person, owner, channel, ts string) error {
	if err := s.fanoutDone(ctx, team, job, run, person, owner, "s:"+channel+":"+ts); err != nil {
		return fmt.Errorf("record fanout sent: %w", err)
	}
	return nil
}

// FanoutFailed records that person cannot be reached (code is Slack's
// error), and ends owner's claim.
func (s *Store) FanoutFailed(ctx context.Context, team, job, run, person, owner, code string) error {
	if err := s.fanoutDone(ctx, team, job, run, person, owner, "f:"+code); err != nil {
		return fmt.Errorf("record fanout failure: %w", err)
	}
	return nil
}

func (s *Store) fanoutDone(ctx context.Context, team, job, run, person, owner, state string) error {
	ok, err := s.finishLease(ctx, fanoutKind, s.fanoutKeys(team, job, run, person), owner, 0, "",
		person, state, FanoutTTL.Milliseconds())
	if err != nil {
		return err
	}
	if !ok {
		return ErrLeaseHeld
	}
	return nil
}

// FanoutRelease gives up owner's claim on person, so that a later run sends
// the DM (used when the send failed for a reason that may pass).
func (s *Store) FanoutRelease(ctx context.Context, team, job, run, person, owner string) error {
	if _, err := s.releaseLease(ctx, fanoutKind, s.fanoutKeys(team, job, run, person), owner, person); err != nil {
		return fmt.Errorf("release fanout claim: %w", err)
	}
	return nil
}

// FanoutComplete takes run off job's pending runs: every person of it was
// handled.
func (s *Store) FanoutComplete(ctx context.Context, team, job, run string) error {
	if err := s.rdb.ZRem(ctx, s.fanoutPendingKey(team, job), run).Err(); err != nil {
		return fmt.Errorf("complete fanout %s: %w", job, err)
	}
	return nil
}

// FanoutPending returns job's runs begun at or after since and not
// completed, oldest first; older ones are forgotten.
func (s *Store) FanoutPending(ctx context.Context, team, job string, since time.Time) ([]string, error) {
	key := s.fanoutPendingKey(team, job)
	var runs *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(since.UnixMilli(), 10))
		runs = p.ZRange(ctx, key, 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending fanouts %s: %w", job, err)
	}
	return runs.Val(), nil
}

// DMChannels returns the cached DM channels of users (see DMChannel); users
// with none cached are left out. It costs one round trip per 1,000 users,
// so a fan-out reads the whole cache up front instead of once per person.
func (s *Store) DMChannels(ctx context.Context, team string, users []string) (map[string]string, error) {
	out := make(map[string]string, len(users))
	for start := 0; start < len(users); start += 1000 {
		chunk := users[start:min(start+1000, len(users))]
		keys := make([]string, len(chunk))
		for i, u := range chunk {
			keys[i] = s.keys.Team(team, "dm", u)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("get dm channels: %w", err)
		}
		for i, v := range vals {
			if ch, ok := v.(string); ok && ch != "" {
				out[chunk[i]] = ch
			}
		}
	}
	return out, nil
}

// FanoutDM returns where run of job's DM to person is (zero when it was not
// recorded as sent): the DM to update once the person acted on it.
func (s *Store) FanoutDM(ctx context.Context, team, job, run, person string) (domain.MessageRef, error) {
	v, err := s.rdb.HGet(ctx, s.fanoutKey(team, job, run), person).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return domain.MessageRef{}, nil
	case err != nil:
		return domain.MessageRef{}, fmt.Errorf("read fanout %s dm: %w", job, err)
	}
	st := ParseFanoutState(v)
	if !st.Sent() || st.Channel == "" || st.TS == "" {
		return domain.MessageRef{}, nil
	}
	return domain.MessageRef{Channel: st.Channel, TS: st.TS}, nil
}
