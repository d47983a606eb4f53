package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Praise and wins.
//
// What one person posts to the praise feed in a day is counted in
// "<prefix>:{T}:praise-count:<giver>:<day>" (praise) or
// "<prefix>:{T}:win-count:<giver>:<day>" (wins), day being the date in the
// policy's timezone; the count and the audit event (praise.given or
// win.posted) are written by one script, which refuses past the daily
// limit. Praise and wins have a limit each, so a day's praise never blocks
// sharing a team win. When the post itself then fails, UndoPraise takes both back.

// PraiseCountTTL is how long a day's count is kept.
const PraiseCountTTL = 48 * time.Hour

func (s *Store) praiseCountKey(team, kind, giver, day string) string {
	return s.keys.Team(team, kind+"-count", giver, day)
}

// praiseKind is the counter an event counts in: "win" or "praise".
func praiseKind(ev domain.Event) string {
	if ev.Type() == domain.EventWinPosted {
		return "win"
	}
	return "praise"
}

// givePraiseScript. KEYS: count, audit. ARGV: limit, ttl ms, then the audit
// event (at, fields…). Returns {0, count} over the limit, {1, count, entry ID}.
var givePraiseScript = redis.NewScript("#!lua\n" + AuditLua + `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {0, n} end
local aid = audit_id(KEYS[2], ARGV[3])
n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local id = audit_add(KEYS[2], aid, ARGV, 4)
return {1, n, id}
`)

// PraiseTicket is a praise or win counted and audited, before its post.
type PraiseTicket struct {
	Team, Giver, Day string
	// Kind is the counter: "praise" or "win".
	Kind string
	// Count is the giver's posts of the day, this one included.
	Count int
	// AuditID is the audit entry (for UndoPraise).
	AuditID string
}

// GivePraise counts one post to the praise feed by giver on day (the date
// in the policy's timezone) and appends ev, in one step, unless giver
// already posted limit times that day: then ok is false, nothing is written
// and count is the day's count.
func (s *Store) GivePraise(ctx context.Context, team, giver, day string, limit int, ev domain.Event) (t PraiseTicket, ok bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return PraiseTicket{}, false, err
	}
	args := append([]any{limit, PraiseCountTTL.Milliseconds()}, audit...)
	kind := praiseKind(ev)
	res, err := givePraiseScript.Run(ctx, s.rdb, []string{s.praiseCountKey(team, kind, giver, day), s.AuditKey(team)}, args...).Slice()
	if err != nil {
		return PraiseTicket{}, false, fmt.Errorf("give praise: %w", err)
	}
	if len(res) < 2 {
		return PraiseTicket{}, false, fmt.Errorf("give praise: unexpected reply %v", res)
	}
	won, _ := res[0].(int64)
	n, _ := res[1].(int64)
	t = PraiseTicket{Team: team, Giver: giver, Day: day, Kind: kind, Count: int(n)}
	if won != 1 {
		return t, false, nil
	}
	if len(res) > 2 {
		t.AuditID, _ = res[2].(string)
	}
	return t, true, nil
}

// undoPraiseScript. KEYS: count, audit. ARGV: audit entry ID.
var undoPraiseScript = redis.NewScript(`#!lua
if redis.call('XDEL', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
end
return 1
`)

// UndoPraise takes back a ticket whose post failed: the count and the audit
// entry, in one step (once, however often it is called).
func (s *Store) UndoPraise(ctx context.Context, t PraiseTicket) error {
	err := undoPraiseScript.Run(ctx, s.rdb, []string{s.praiseCountKey(t.Team, t.Kind, t.Giver, t.Day), s.AuditKey(t.Team)}, t.AuditID).Err()
	if err != nil {
		return fmt.Errorf("undo praise: %w", err)
	}
	return nil
}
