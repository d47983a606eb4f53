package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The fan-out ledger.
//
// A fan-out run (one scheduled tick of a "DM many people" job, or one
// feedback round for the reminder) records every person's delivery in one
// hash, so that a rerun after a crash, a catch-up run or a second replica
// never DMs anyone twice and never skips anyone:
//
//	<prefix>:{T}:fanout:<job>:<run>     person -> state
//	<prefix>:{T}:fanout-owner:<owner>   a running run's heartbeat (short TTL)
//	<prefix>:{T}:fanout-pending:<job>   runs begun and not finished: run -> begin time (Unix ms)
//
// A person's state is one of
//
//	c:<owner>                  claimed: <owner> is sending the DM right now
//	s:<channel>:<ts>           sent (the DM's channel and timestamp)
//	f:<code>                   failed for good (a Slack error such as user_not_found)
//
// A claim is taken atomically just before the send and turned into s: or f:
// right after it. A claim whose owner's heartbeat has expired belongs to a
// run that died mid-send: the next run takes it over. The ledger expires
// FanoutTTL after its creation.

// FanoutTTL is how long a run's ledger is kept (the reminder of a weekly
// round reads the round's ledger days later).
const FanoutTTL = 45 * 24 * time.Hour

// ClaimResult says what FanoutClaim found.
type ClaimResult int

// The results of FanoutClaim.
const (
	// ClaimDone: the person was already handled (sent or failed for good).
	ClaimDone ClaimResult = iota
	// ClaimBusy: another live run is sending to the person right now.
	ClaimBusy
	// ClaimWon: the caller now owns the person's delivery.
	ClaimWon
	// ClaimTakenOver: the caller took over the claim of a run that died
	// while sending; the DM may or may not have gone out.
	ClaimTakenOver
)

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

func (s *Store) fanoutOwnerKey(team, owner string) string {
	return s.keys.Team(team, "fanout-owner", owner)
}

func (s *Store) fanoutPendingKey(team, job string) string {
	return s.keys.Team(team, "fanout-pending", job)
}

// FanoutBegin starts (or resumes) a run at now: it sets owner's heartbeat
// for ttl, lists the run as pending until FanoutComplete, and returns the
// run's ledger as it is, in one round trip.
func (s *Store) FanoutBegin(ctx context.Context, team, job, run, owner string, ttl time.Duration, now time.Time) (map[string]FanoutState, error) {
	var all *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.fanoutOwnerKey(team, owner), "1", ttl)
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

// FanoutHeartbeat keeps owner's claims alive for another ttl.
func (s *Store) FanoutHeartbeat(ctx context.Context, team, owner string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.fanoutOwnerKey(team, owner), "1", ttl).Err(); err != nil {
		return fmt.Errorf("fanout heartbeat: %w", err)
	}
	return nil
}

// FanoutEnd drops owner's heartbeat at the end of a run.
func (s *Store) FanoutEnd(ctx context.Context, team, owner string) error {
	if err := s.rdb.Del(ctx, s.fanoutOwnerKey(team, owner)).Err(); err != nil {
		return fmt.Errorf("end fanout: %w", err)
	}
	return nil
}

// claimScript claims KEYS[1][ARGV[1]] for owner ARGV[2]; ARGV[3] is the
// owner-key prefix, ARGV[4] the ledger's TTL in ms.
// Returns 0 done, 1 busy, 2 won, 3 taken over.
var claimScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
local function take()
  redis.call('HSET', KEYS[1], ARGV[1], 'c:' .. ARGV[2])
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
if not v then take() return 2 end
if string.sub(v, 1, 2) ~= 'c:' then return 0 end
local other = string.sub(v, 3)
if other == ARGV[2] then return 2 end
if redis.call('EXISTS', ARGV[3] .. other) == 1 then return 1 end
take()
return 3
`)

// FanoutClaim claims person's delivery in a run for owner (see ClaimResult).
func (s *Store) FanoutClaim(ctx context.Context, team, job, run, person, owner string) (ClaimResult, error) {
	n, err := claimScript.Run(ctx, s.rdb, []string{s.fanoutKey(team, job, run)},
		person, owner, s.fanoutOwnerKey(team, ""), strconv.FormatInt(FanoutTTL.Milliseconds(), 10)).Int()
	if err != nil {
		return ClaimDone, fmt.Errorf("claim fanout %s: %w", job, err)
	}
	return ClaimResult(n), nil
}

// FanoutSent records that person's DM went out in channel at ts.
func (s *Store) FanoutSent(ctx context.Context, team, job, run, person, channel, ts string) error {
	if err := s.rdb.HSet(ctx, s.fanoutKey(team, job, run), person, "s:"+channel+":"+ts).Err(); err != nil {
		return fmt.Errorf("record fanout sent: %w", err)
	}
	return nil
}

// FanoutFailed records that person cannot be reached (code is Slack's error).
func (s *Store) FanoutFailed(ctx context.Context, team, job, run, person, code string) error {
	if err := s.rdb.HSet(ctx, s.fanoutKey(team, job, run), person, "f:"+code).Err(); err != nil {
		return fmt.Errorf("record fanout failure: %w", err)
	}
	return nil
}

var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == 'c:' .. ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// FanoutRelease gives up owner's claim on person, so that a later run sends
// the DM (used when the send failed for a reason that may pass).
func (s *Store) FanoutRelease(ctx context.Context, team, job, run, person, owner string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.fanoutKey(team, job, run)}, person, owner).Err(); err != nil {
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
