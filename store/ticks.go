package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Schedule ticks. The run of a job at a tick is held with a lease
// (TickLease, see lease.go); this file records when each job was first
// scheduled, so that a new install does not catch up old ticks.

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

// AwaitTickStep claims, with a fresh owner, the lease of step at tick
// (TickStepLease) for ttl, waiting while another owner holds it
// (AwaitLease). It returns the owner when the caller is to do the step, and
// "" when the step is done already.
func (s *Store) AwaitTickStep(ctx context.Context, team, step string, tick time.Time, ttl, poll time.Duration) (string, error) {
	owner := NewOwner()
	st, err := s.AwaitLease(ctx, s.TickStepLease(team, step, tick), owner, ttl, poll)
	if err != nil {
		return "", err
	}
	if st == LeaseDone {
		return "", nil
	}
	return owner, nil
}

// FinishTickStep marks owner's step at tick done and remembers that for
// keep (FinishLease); false means another owner holds the step now.
func (s *Store) FinishTickStep(ctx context.Context, team, step string, tick time.Time, owner string, keep time.Duration) (bool, error) {
	return s.FinishLease(ctx, s.TickStepLease(team, step, tick), owner, keep)
}
