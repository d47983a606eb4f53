package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// TickState is the state of one (job, tick) as seen by a replica that asks
// to run it.
type TickState int

// The answers of ClaimTickLease.
const (
	// TickWon: the caller holds the lease and must run the tick.
	TickWon TickState = iota
	// TickRunning: another replica holds a live lease.
	TickRunning
	// TickDone: the tick has been run to the end.
	TickDone
)

// claimTickScript takes the lease of a tick unless it is done or held by a
// live other owner. KEYS[1] tick key; ARGV[1] owner, ARGV[2] lease ms.
var claimTickScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'run:' .. ARGV[1], 'PX', ARGV[2])
  return 0
end
if v == 'done' then return 2 end
if v == 'run:' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
return 1`)

// refreshTickScript extends the lease when the caller still holds it.
// KEYS[1] tick key; ARGV[1] owner, ARGV[2] lease ms.
var refreshTickScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'run:' .. ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

// endTickScript marks the tick done (ARGV[3] == "done", kept ARGV[2] ms) or
// releases the lease (ARGV[3] == "release") when the caller holds it.
var endTickScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= 'run:' .. ARGV[1] then return 0 end
if ARGV[3] == 'done' then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1`)

func (s *Store) tickKey(team, job string, tick time.Time) string {
	return s.keys.Team(team, "tick", job, strconv.FormatInt(tick.UnixMilli(), 10))
}

// ClaimTickLease asks to run job's tick as owner. The lease lasts lease and
// must be refreshed while the job runs; a tick whose owner died is taken over
// once its lease expires.
func (s *Store) ClaimTickLease(ctx context.Context, team, job string, tick time.Time, owner string, lease time.Duration) (TickState, error) {
	n, err := claimTickScript.Run(ctx, s.rdb, []string{s.tickKey(team, job, tick)}, owner, lease.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("claim tick %s %s: %w", job, tick.UTC().Format(time.RFC3339), err)
	}
	return TickState(n), nil
}

// RefreshTickLease extends owner's lease; false means it was lost.
func (s *Store) RefreshTickLease(ctx context.Context, team, job string, tick time.Time, owner string, lease time.Duration) (bool, error) {
	n, err := refreshTickScript.Run(ctx, s.rdb, []string{s.tickKey(team, job, tick)}, owner, lease.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("refresh tick %s: %w", job, err)
	}
	return n == 1, nil
}

// EndTick marks the tick done for keep (done=true), or gives the lease back
// so that another replica or a restart runs the rest (done=false).
func (s *Store) EndTick(ctx context.Context, team, job string, tick time.Time, owner string, done bool, keep time.Duration) error {
	mode := "release"
	if done {
		mode = "done"
	}
	if err := endTickScript.Run(ctx, s.rdb, []string{s.tickKey(team, job, tick)}, owner, keep.Milliseconds(), mode).Err(); err != nil {
		return fmt.Errorf("end tick %s: %w", job, err)
	}
	return nil
}

// jobSinceScript returns when the job was first scheduled, recording now
// when it never was. KEYS[1] since key; ARGV[1] now (Unix ms).
var jobSinceScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`)

// JobSince returns the time job was first scheduled for team in this Redis,
// recording now when this is the first time. The scheduler catches up only
// ticks missed after it, so a new install does not run last week's ticks.
func (s *Store) JobSince(ctx context.Context, team, job string, now time.Time) (time.Time, error) {
	v, err := jobSinceScript.Run(ctx, s.rdb, []string{s.keys.Team(team, "job-since", job)}, now.UnixMilli()).Text()
	if err != nil {
		return time.Time{}, fmt.Errorf("job %s first scheduled: %w", job, err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("job %s first scheduled: bad value %q", job, v)
	}
	return time.UnixMilli(ms), nil
}
