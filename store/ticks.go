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
