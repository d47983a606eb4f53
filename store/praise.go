package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
//
// The same scripts keep the praise each person received, for their App Home:
//
//	<prefix>:{T}:praise:to:<U>   the audit entry IDs of the praise and wins that
//	                             credit U, score = at (Unix ms), the newest
//	                             PraiseIndexKeep kept

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

// PraiseIndexKeep is how many of the latest praise and wins crediting one
// person their index keeps.
const PraiseIndexKeep = 20

func (s *Store) praiseToKey(team, user string) string { return s.keys.Team(team, "praise", "to", user) }

// praiseIndexLua defines praise_index, which adds an audit entry to the
// indexes of the people it credits (KEYS[first…]), keeping the newest
// PraiseIndexKeep of each, and praise_unindex, which takes it out again.
var praiseIndexLua = `
local function praise_index(first, id, at, last)
  for i = first, last or #KEYS do
    redis.call('ZADD', KEYS[i], at, id)
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -` + strconv.Itoa(PraiseIndexKeep+1) + `)
  end
end
local function praise_unindex(first, id, last)
  for i = first, last or #KEYS do redis.call('ZREM', KEYS[i], id) end
end
`

// praiseRecipients are the people ev credits: the person praised, or the
// people a win names (the read model's recipients, as stats reads them).
func praiseRecipients(ev domain.Event) []string {
	switch p := ev.Payload.(type) {
	case domain.PraiseGivenData:
		if ev.Subject != "" {
			return []string{ev.Subject}
		}
	case domain.WinPostedData:
		var out []string
		for _, u := range p.Users {
			if u != "" && !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
		return out
	}
	return nil
}

// praiseKeys are the index keys of the people ev credits.
func (s *Store) praiseKeys(team string, users []string) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = s.praiseToKey(team, u)
	}
	return out
}

// givePraiseScript. KEYS: count, audit, then the indexes of the people
// credited. ARGV: limit, ttl ms, then the audit event (at, fields…).
// Returns {0, count} over the limit, {1, count, entry ID}.
var givePraiseScript = redis.NewScript("#!lua\n" + AuditLua + praiseIndexLua + `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {0, n} end
local aid = audit_id(KEYS[2], ARGV[3])
n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local id = audit_add(KEYS[2], aid, ARGV, 4)
praise_index(3, id, ARGV[3])
return {1, n, id}
`)

// GivePraise counts one post to the praise feed by giver on day (the date
// in the policy's timezone) and appends ev, in one step, unless giver
// already posted limit times that day: then ok is false, nothing is written
// and count is the day's count. The same step adds ev to the praise index
// of each person it credits (LatestPraiseFor reads it).
func (s *Store) GivePraise(ctx context.Context, team, giver, day string, limit int, ev domain.Event) (t domain.PraiseTicket, ok bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return domain.PraiseTicket{}, false, err
	}
	args := append([]any{limit, PraiseCountTTL.Milliseconds()}, audit...)
	kind := praiseKind(ev)
	credited := praiseRecipients(ev)
	keys := append([]string{s.praiseCountKey(team, kind, giver, day), s.AuditKey(team)}, s.praiseKeys(team, credited)...)
	res, err := givePraiseScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return domain.PraiseTicket{}, false, fmt.Errorf("give praise: %w", err)
	}
	if len(res) < 2 {
		return domain.PraiseTicket{}, false, fmt.Errorf("give praise: unexpected reply %v", res)
	}
	won, _ := res[0].(int64)
	n, _ := res[1].(int64)
	t = domain.PraiseTicket{Team: team, Giver: giver, Day: day, Kind: kind, Count: int(n), Credited: credited}
	if won != 1 {
		return t, false, nil
	}
	if len(res) > 2 {
		t.AuditID, _ = res[2].(string)
	}
	return t, true, nil
}

// undoPraiseScript. KEYS: count, audit, then the indexes of the people
// credited. ARGV: audit entry ID.
var undoPraiseScript = redis.NewScript("#!lua\n" + praiseIndexLua + `
if redis.call('XDEL', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
end
praise_unindex(3, ARGV[1])
return 1
`)

// undoPraiseOnceScript is undoPraiseScript for praise by reaction. KEYS:
// count, audit, its record, then the indexes of the people credited. ARGV:
// audit entry ID.
var undoPraiseOnceScript = redis.NewScript("#!lua\n" + praiseIndexLua + `
if redis.call('XDEL', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
end
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
praise_unindex(4, ARGV[1])
return 1
`)

// undoReactionPraiseScript is undoPraiseOnceScript for praise by reaction,
// which also leaves the list of praise waiting for its post. KEYS: count,
// audit, its record, the indexes of the people credited, then that list.
// ARGV: audit entry ID.
var undoReactionPraiseScript = redis.NewScript("#!lua\n" + praiseIndexLua + `
if redis.call('XDEL', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
end
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
praise_unindex(4, ARGV[1], #KEYS - 1)
redis.call('ZREM', KEYS[#KEYS], ARGV[1])
return 1
`)

// UndoPraise takes back a ticket whose post failed: the count, the audit
// entry, its place in the praise indexes and, for praise by reaction, its
// record, in one step (once, however often it is called).
func (s *Store) UndoPraise(ctx context.Context, t domain.PraiseTicket) error {
	keys := []string{s.praiseCountKey(t.Team, t.Kind, t.Giver, t.Day), s.AuditKey(t.Team)}
	script := undoPraiseScript
	if t.Once != "" {
		keys, script = append(keys, t.Once), undoPraiseOnceScript
	}
	keys = append(keys, s.praiseKeys(t.Team, t.Credited)...)
	if isReactionTicket(t) {
		keys, script = append(keys, s.reactionPendingKey(t.Team)), undoReactionPraiseScript
	}
	err := script.Run(ctx, s.rdb, keys, t.AuditID).Err()
	if err != nil {
		return fmt.Errorf("undo praise: %w", err)
	}
	return nil
}

// Praise by reaction is given once per reactor and message:
//
//	<prefix>:{T}:praise-reaction:<giver>:<channel>:<ts>   the audit entry ID of
//	                             that praise, kept ReactionPraiseTTL
//
// set by the same script that counts and audits it, so that reacting,
// removing and reacting again, a redelivered event or two replicas handling
// two events of the same reaction praise once.

// ReactionPraiseTTL is how long the record of a praise by reaction is kept:
// a reaction added again after that praises again.
const ReactionPraiseTTL = 400 * 24 * time.Hour

func (s *Store) reactionPraiseKey(team, giver, channel, ts string) string {
	return s.keys.Team(team, "praise-reaction", giver, channel, ts)
}

// Praise by reaction is given when its event is handled, after the event
// was acknowledged: Slack sends it once. So that a crash (or a Slack outage)
// between the count and the post loses no praise, the same step that counts
// it lists it as waiting for its post:
//
//	<prefix>:{T}:praise-reaction-pending   sorted set: audit entry ID -> Unix ms
//	                             when it is due for a repair (given at, then
//	                             the end of a repair's claim)
//
// PraisePosted and UndoPraise take it off; a repair (PendingReactionPraise,
// ClaimReactionPraise) posts what is still there a while later.

func (s *Store) reactionPendingKey(team string) string {
	return s.keys.Team(team, "praise-reaction-pending")
}

// isReactionTicket reports whether t is a praise by reaction's.
func isReactionTicket(t domain.PraiseTicket) bool {
	return strings.Contains(t.Once, ":praise-reaction:")
}

// ReactionTicket is the ticket of the praise by reaction ev (an event
// PendingReactionPraise returned), given on day: what UndoPraise takes back
// when its post is refused for good.
func (s *Store) ReactionTicket(team, day string, ev domain.Event) domain.PraiseTicket {
	p, _ := ev.Payload.(domain.PraiseGivenData)
	return domain.PraiseTicket{Team: team, Giver: ev.Actor, Day: day, Kind: "praise", AuditID: ev.ID,
		Credited: praiseRecipients(ev), Once: s.reactionPraiseKey(team, ev.Actor, p.Channel, p.MessageTS)}
}

// ReactionPraisePosted takes the praise by reaction with audit entry id
// off the list of praise waiting for its post (a repair posted it, or gave
// up on it).
func (s *Store) ReactionPraisePosted(ctx context.Context, team, id string) error {
	if err := s.rdb.ZRem(ctx, s.reactionPendingKey(team), id).Err(); err != nil {
		return fmt.Errorf("praise by reaction %s posted: %w", id, err)
	}
	return nil
}

// PendingReactionPraise returns the praise by reaction of team that is due
// for a repair at due (given, or last claimed, before it) and not posted
// yet, oldest first, at most n, as their audit events. One whose audit
// event is gone (the stream was trimmed) is taken off the list.
func (s *Store) PendingReactionPraise(ctx context.Context, team string, due time.Time, n int) ([]domain.Event, error) {
	key := s.reactionPendingKey(team)
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key, ByScore: true, Start: "-inf", Stop: due.UnixMilli(), Count: int64(n)}).Result()
	if err != nil {
		return nil, fmt.Errorf("praise by reaction waiting for its post: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.XMessageSliceCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.XRangeN(ctx, s.AuditKey(team), id, id, 1)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("praise by reaction waiting for its post: %w", err)
	}
	out := make([]domain.Event, 0, len(ids))
	for i, c := range cmds {
		var ev domain.Event
		if len(c.Val()) > 0 {
			ev, err = parseAudit(c.Val()[0])
		}
		if _, ok := ev.Payload.(domain.PraiseGivenData); len(c.Val()) == 0 || err != nil || !ok {
			if err := s.rdb.ZRem(ctx, key, ids[i]).Err(); err != nil {
				return nil, fmt.Errorf("praise by reaction waiting for its post: %w", err)
			}
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

// claimPendingScript. KEYS: the list. ARGV: entry ID, due ms, until ms.
// Returns 1 when the entry was due (its score at most due) and is now
// claimed until until, 0 when it is gone or claimed by another run.
var claimPendingScript = redis.NewScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at or tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
`)

// ClaimReactionPraise claims the praise by reaction with audit entry id,
// due at due, for a repair until until: claimed means the caller posts it
// now; otherwise it was posted, or another run claimed it. A claim whose
// run died comes due again at until.
func (s *Store) ClaimReactionPraise(ctx context.Context, team, id string, due, until time.Time) (bool, error) {
	n, err := claimPendingScript.Run(ctx, s.rdb, []string{s.reactionPendingKey(team)}, id, due.UnixMilli(), until.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("claim praise by reaction %s: %w", id, err)
	}
	return n == 1, nil
}

// givePraiseOnceScript. KEYS: count, audit, once, the indexes of the
// people credited, then the list of praise waiting for its post. ARGV:
// limit, ttl ms, once ttl ms, then the audit event (at, fields…). Returns
// {2} when once is set, {0, count} over the limit, {1, count, entry ID}
// (the entry listed as waiting for its post, since at).
var givePraiseOnceScript = redis.NewScript("#!lua\n" + AuditLua + praiseIndexLua + praiseGiveOnceLua + `
if redis.call('EXISTS', KEYS[3]) == 1 then return {2} end
local r = praise_give_once(tonumber(redis.call('GET', KEYS[1]) or '0'), #KEYS - 1)
if r[1] == 1 then redis.call('ZADD', KEYS[#KEYS], ARGV[4], r[3]) end
return r
`)

// praiseGiveOnceLua defines praise_give_once(n, last), n being the day's
// count: over the limit {0, n}; else it counts, audits, records the entry
// ID in KEYS[3] (the once key, for ARGV[3] ms) and indexes it (KEYS[4] to
// KEYS[last], all that follow when last is nil), and returns {1, count,
// entry ID}. KEYS: count, audit, once, indexes. ARGV: limit, ttl ms, once
// ttl ms, then the audit event (at, fields…).
const praiseGiveOnceLua = `
local function praise_give_once(n, last)
  if n >= tonumber(ARGV[1]) then return {0, n} end
  local aid = audit_id(KEYS[2], ARGV[4])
  n = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  local id = audit_add(KEYS[2], aid, ARGV, 5)
  redis.call('SET', KEYS[3], id, 'PX', ARGV[3])
  praise_index(4, id, ARGV[4], last)
  return {1, n, id}
end
`

// GiveReactionPraise is GivePraise for praise by reaction to the message
// channel/ts: in the same step it refuses praise giver already gave for that
// message (ok false, t.Already true, nothing written) and records this one.
// UndoPraise of its ticket takes the record back too.
func (s *Store) GiveReactionPraise(ctx context.Context, team, giver, day string, limit int, channel, ts string, ev domain.Event) (t domain.PraiseTicket, ok bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return domain.PraiseTicket{}, false, err
	}
	args := append([]any{limit, PraiseCountTTL.Milliseconds(), ReactionPraiseTTL.Milliseconds()}, audit...)
	credited := praiseRecipients(ev)
	once := s.reactionPraiseKey(team, giver, channel, ts)
	keys := append([]string{s.praiseCountKey(team, "praise", giver, day), s.AuditKey(team), once}, s.praiseKeys(team, credited)...)
	keys = append(keys, s.reactionPendingKey(team))
	res, err := givePraiseOnceScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return domain.PraiseTicket{}, false, fmt.Errorf("give praise by reaction: %w", err)
	}
	t = domain.PraiseTicket{Team: team, Giver: giver, Day: day, Kind: "praise", Credited: credited, Once: once}
	if len(res) == 0 {
		return t, false, fmt.Errorf("give praise by reaction: unexpected reply %v", res)
	}
	switch st, _ := res[0].(int64); {
	case st == 2:
		t.Already = true
		return t, false, nil
	case len(res) < 2:
		return t, false, fmt.Errorf("give praise by reaction: unexpected reply %v", res)
	case st != 1:
		n, _ := res[1].(int64)
		t.Count = int(n)
		return t, false, nil
	}
	n, _ := res[1].(int64)
	t.Count = int(n)
	if len(res) > 2 {
		t.AuditID, _ = res[2].(string)
	}
	return t, true, nil
}
