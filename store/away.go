package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Leaders away (PRODUCT.md "Away and delegates").
//
// One hash per team, "<prefix>:{T}:away", holds each away leader's period:
// field = the leader's user ID, value = a JSON object
//
//	{"user":…, "delegate":…, "until":"2006-01-02", "zone":…, "ends":<ms>, "since":<ms>}
//
// A period ends by itself at "ends" (the end of its last day in the leader's
// zone): readers ignore periods that have ended, and the scripts that write
// the hash drop them. Setting a period and its away.started event, and ending
// one with its away.ended event, are each one script.

// awayRecord is the stored form of a domain.Absence.
type awayRecord struct {
	User     string `json:"user"`
	Delegate string `json:"delegate,omitempty"`
	Until    string `json:"until"`
	Zone     string `json:"zone"`
	Ends     int64  `json:"ends"`
	Since    int64  `json:"since"`
}

func (r awayRecord) absence() domain.Absence {
	return domain.Absence{User: r.User, Delegate: r.Delegate, Until: r.Until, Zone: r.Zone,
		Ends: time.UnixMilli(r.Ends), Since: time.UnixMilli(r.Since)}
}

func (s *Store) awayKey(team string) string { return s.keys.Team(team, "away") }

// awayPruneLua defines away_prune, which drops the periods of KEYS[1] that
// ended at or before now (Unix ms).
const awayPruneLua = `
local function away_prune(key, now)
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local ok, rec = pcall(cjson.decode, all[i + 1])
    if not ok or type(rec) ~= 'table' or tonumber(rec.ends or 0) <= now then
      redis.call('HDEL', key, all[i])
    end
  end
end
`

// setAwayScript. KEYS: away hash, audit. ARGV: user, record JSON, now ms,
// then the audit event (at, fields…). The same period set twice (a
// redelivery) appends no second event. Returns 1 when written, 0 when it
// was there already.
var setAwayScript = redis.NewScript("#!lua\n" + AuditLua + awayPruneLua + `
local aid = audit_id(KEYS[2], ARGV[4])
away_prune(KEYS[1], tonumber(ARGV[3]))
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
audit_add(KEYS[2], aid, ARGV, 5)
return 1
`)

// SetAway records a's period (replacing one a.User had) with ev, its
// away.started event, in one step. Periods that have ended by now are
// dropped in the same step.
func (s *Store) SetAway(ctx context.Context, team string, a domain.Absence, now time.Time, ev domain.Event) error {
	rec, err := json.Marshal(awayRecord{User: a.User, Delegate: a.Delegate, Until: a.Until, Zone: a.Zone,
		Ends: a.Ends.UnixMilli(), Since: a.Since.UnixMilli()})
	if err != nil {
		return fmt.Errorf("set away: %w", err)
	}
	audit, err := auditArgs(ev)
	if err != nil {
		return err
	}
	args := append([]any{a.User, string(rec), now.UnixMilli()}, audit...)
	if err := setAwayScript.Run(ctx, s.rdb, []string{s.awayKey(team), s.AuditKey(team)}, args...).Err(); err != nil {
		return fmt.Errorf("set away: %w", err)
	}
	return nil
}

// endAwayScript. KEYS: away hash, audit. ARGV: user, now ms, then the audit
// event (at, fields…). Returns 1 when a running period was ended (and the
// event appended), 0 when the user was not away.
var endAwayScript = redis.NewScript("#!lua\n" + AuditLua + awayPruneLua + `
local aid = audit_id(KEYS[2], ARGV[3])
away_prune(KEYS[1], tonumber(ARGV[2]))
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
audit_add(KEYS[2], aid, ARGV, 4)
return 1
`)

// EndAway ends user's running period with ev, its away.ended event, in one
// step, and reports whether there was one (ended false: nothing written).
func (s *Store) EndAway(ctx context.Context, team, user string, now time.Time, ev domain.Event) (ended bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return false, err
	}
	args := append([]any{user, now.UnixMilli()}, audit...)
	n, err := endAwayScript.Run(ctx, s.rdb, []string{s.awayKey(team), s.AuditKey(team)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("end away: %w", err)
	}
	return n == 1, nil
}

// Absences returns the periods of team's leaders that still run at t.
func (s *Store) Absences(ctx context.Context, team string, t time.Time) (domain.Absences, error) {
	all, err := s.rdb.HGetAll(ctx, s.awayKey(team)).Result()
	if err != nil {
		return nil, fmt.Errorf("read absences: %w", err)
	}
	out := make(domain.Absences, len(all))
	for user, v := range all {
		var r awayRecord
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("read absence of %s: %w", user, err)
		}
		if a := r.absence(); a.ActiveAt(t) {
			out[user] = a
		}
	}
	return out, nil
}
