package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Praise and wins typed as a command are given once per request (the slash
// command's trigger_id, domain.RequestKey), so that the command handled
// again after a crash between its count and its ack posts nothing twice:
//
//	<prefix>:{T}:praise-request:<hash of the request key>   the audit entry
//	                             ID once counted, "posted:<ID>" once posted,
//	                             kept RequestPraiseTTL

// RequestPraiseTTL is how long the record of a praise or win given by a
// request is kept: longer than Slack redelivers an envelope.
const RequestPraiseTTL = 24 * time.Hour

// postedPrefix marks a request's praise as posted.
const postedPrefix = "posted:"

func (s *Store) requestPraiseKey(team, req string) string {
	sum := sha256.Sum256([]byte(req))
	return s.keys.Team(team, "praise-request", hex.EncodeToString(sum[:12]))
}

// giveRequestPraiseScript. KEYS: count, audit, request, then the indexes
// of the people credited. ARGV: limit, ttl ms, request ttl ms, then the
// audit event (at, fields…). Returns {2} when the request's praise was
// posted, {3, count, entry ID} when it was counted but not posted yet,
// {0, count} over the limit, {1, count, entry ID}.
var giveRequestPraiseScript = redis.NewScript("#!lua\n" + AuditLua + praiseIndexLua + praiseGiveOnceLua + `
local v = redis.call('GET', KEYS[3])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if v then
  if string.sub(v, 1, 7) == 'posted:' then return {2} end
  return {3, n, v}
end
return praise_give_once(n)
`)

// GiveRequestPraise is GivePraise (praise or a win, by ev's type) for the
// request req: the first call counts and audits it and records it under
// req in the same step; a later call with the same req writes nothing and
// answers with the ticket of the first (ok true: post it now) while it is
// not marked posted (PraisePosted), and with t.Already (ok false) once it
// is. UndoPraise of its ticket takes the record back too.
func (s *Store) GiveRequestPraise(ctx context.Context, team, giver, day string, limit int, req string, ev domain.Event) (t domain.PraiseTicket, ok bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return domain.PraiseTicket{}, false, err
	}
	args := append([]any{limit, PraiseCountTTL.Milliseconds(), RequestPraiseTTL.Milliseconds()}, audit...)
	kind := praiseKind(ev)
	credited := praiseRecipients(ev)
	once := s.requestPraiseKey(team, req)
	keys := append([]string{s.praiseCountKey(team, kind, giver, day), s.AuditKey(team), once}, s.praiseKeys(team, credited)...)
	res, err := giveRequestPraiseScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return domain.PraiseTicket{}, false, fmt.Errorf("give praise once: %w", err)
	}
	t = domain.PraiseTicket{Team: team, Giver: giver, Day: day, Kind: kind, Credited: credited, Once: once}
	if len(res) == 0 {
		return t, false, fmt.Errorf("give praise once: unexpected reply %v", res)
	}
	st, _ := res[0].(int64)
	if st == 2 {
		t.Already = true
		return t, false, nil
	}
	if len(res) < 2 {
		return t, false, fmt.Errorf("give praise once: unexpected reply %v", res)
	}
	n, _ := res[1].(int64)
	t.Count = int(n)
	if st != 1 && st != 3 {
		return t, false, nil
	}
	if len(res) > 2 {
		t.AuditID, _ = res[2].(string)
	}
	return t, true, nil
}

// markPostedScript. KEYS: request. ARGV: entry ID. Marks it posted when it
// still records that entry.
var markPostedScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], '` + postedPrefix + `' .. ARGV[1], 'KEEPTTL')
end
return 1
`)

// PraisePosted records that the praise or win of ticket t is posted: from
// GiveRequestPraise, the same request given again posts nothing; from
// GiveReactionPraise, it is no longer waiting for its post (a repair leaves
// it alone).
func (s *Store) PraisePosted(ctx context.Context, t domain.PraiseTicket) error {
	if isReactionTicket(t) && t.AuditID != "" {
		return s.ReactionPraisePosted(ctx, t.Team, t.AuditID)
	}
	if t.Once == "" || t.AuditID == "" || !strings.Contains(t.Once, ":praise-request:") {
		return nil
	}
	if err := markPostedScript.Run(ctx, s.rdb, []string{t.Once}, t.AuditID).Err(); err != nil {
		return fmt.Errorf("praise posted: %w", err)
	}
	return nil
}
