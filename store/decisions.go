package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Decisions.
//
// A decision lives in the hash "<prefix>:{T}:decision:<ID>" with the fields
// id, state, level, requester, ver (a version that grows by one with every
// change), data (the whole Decision as JSON) and one "msg:<level>" field per
// escalation message ("<channel>|<ts>"). Three sorted sets index it:
//
//	<prefix>:{T}:decisions:pending           pending decisions, score = deadline (Unix ms)
//	<prefix>:{T}:decisions:by-requester:<U>  a person's decisions, score = created (Unix ms)
//	<prefix>:{T}:decisions:all               every decision, score = created (Unix ms)
//	<prefix>:{T}:outcomes:due                autonomous/approved decisions to follow up, score = due (Unix ms)
//
// Every change is one Lua script that checks the expected version and state,
// writes the record, updates the indexes and appends the audit event: it all
// happens or none of it does.

func (s *Store) decisionKey(team, id string) string { return s.keys.Team(team, "decision", id) }
func (s *Store) pendingKey(team string) string      { return s.keys.Team(team, "decisions", "pending") }
func (s *Store) allDecisionsKey(team string) string { return s.keys.Team(team, "decisions", "all") }
func (s *Store) requesterKey(team, user string) string {
	return s.keys.Team(team, "decisions", "by-requester", user)
}

// createDecisionScript stores a new decision with its indexes and audit event.
//
// KEYS: decision, pending, by-requester, all, audit, outcomes due, the
// requester's autonomy hash (autonomy.go).
// ARGV: id, state, level, requester, data, created ms, deadline ms ("" when
// not pending), outcome due ms ("" for none), the call's op ID, the field
// of the requester's own limit for the activity ("limit:<activity>", ""
// for no check), the limit it was routed with ("" for none), then the
// audit event (at, fields…).
//
// When a field is given and the requester's own limit is not the one it
// was routed with, nothing is written and the answer is {'own', the
// limit's JSON or ”}: the caller routes it again with that limit.
//
// Safe to run twice: a second run of the same call (a client retry after a
// timeout) finds its own op ID and answers 1 again, changing nothing.
var createDecisionScript = redis.NewScript("#!lua\n" + AuditLua + createDecisionLua)

// createDecisionLua is the body of createDecisionScript.
const createDecisionLua = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'op') == ARGV[9] and redis.call('HGET', KEYS[1], 'ver') == '1' then return 1 end
  return 0
end
if ARGV[10] ~= '' then
  local own = redis.call('HGET', KEYS[7], ARGV[10]) or ''
  if own ~= ARGV[11] then return {'own', own} end
end
local aid = audit_id(KEYS[5], ARGV[12])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', ARGV[2], 'level', ARGV[3],
  'requester', ARGV[4], 'ver', 1, 'data', ARGV[5], 'op', ARGV[9])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1]) end
if ARGV[8] ~= '' then redis.call('ZADD', KEYS[6], ARGV[8], ARGV[1]) end
audit_add(KEYS[5], aid, ARGV, 13)
return 1
`

// createDecisionClaimScript is createDecisionScript that first claims the
// request's envelope (claim_envelope, store/envelopes.go) in the same step:
// one round trip for the dedupe, the decision, its indexes and its audit.
//
// KEYS: those of createDecisionScript, then the envelope's mark. ARGV: those
// of createDecisionScript, then the claim's token, lease ms and mark ttl ms.
// Returns {"busy", ""} or {"done", reply} (nothing changed) or the answer
// of createDecisionScript.
//
// With a reply (the last ARGV, "" for none), a decision stored records the
// envelope handled with it at once ("f:<token>:<reply>"), instead of
// claimed.
var createDecisionClaimScript = redis.NewScript("#!lua\n" + AuditLua + claimEnvelopeLua + `
local creply = table.remove(ARGV)
local cttl = table.remove(ARGV)
local clease = table.remove(ARGV)
local ctok = table.remove(ARGV)
local claimed = claim_envelope(KEYS[8], ctok, clease, cttl)
if claimed then return claimed end
local function create_decision()
` + createDecisionLua + `
end
local r = create_decision()
if r == 1 and creply ~= '' then redis.call('SET', KEYS[8], 'f:' .. ctok .. ':' .. creply, 'PX', cttl) end
return r
`)

// updateDecisionScript applies one change of state when the decision is
// still at the expected version and state.
//
// KEYS: decision, pending, audit, outcomes due.
// ARGV: id, expected version, expected state, new state, new level, data,
// deadline ms ("" to leave the pending index), outcome due ms ("" for no
// follow-up), the call's op ID, then optionally the audit event (at,
// fields…).
// Returns {'ok', version}, {'conflict', {the hash's fields and values}} or
// 'missing'. Safe to run twice: a second run of the same call (a client
// retry after a timeout) finds the change applied (the next version with
// its op ID) and answers ok again, changing nothing.
var updateDecisionScript = redis.NewScript("#!lua\n" + AuditLua + `
local cur = redis.call('HMGET', KEYS[1], 'ver', 'state', 'data')
if not cur[1] then return 'missing' end
if tonumber(cur[1]) == tonumber(ARGV[2]) + 1 and redis.call('HGET', KEYS[1], 'op') == ARGV[9] then return {'ok', tonumber(cur[1])} end
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then return {'conflict', redis.call('HGETALL', KEYS[1])} end
local aid = nil
if #ARGV >= 10 then aid = audit_id(KEYS[3], ARGV[10]) end
local ver = tonumber(cur[1]) + 1
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'level', ARGV[5], 'ver', ver, 'data', ARGV[6], 'op', ARGV[9])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if ARGV[8] ~= '' then redis.call('ZADD', KEYS[4], ARGV[8], ARGV[1]) end
if aid then audit_add(KEYS[3], aid, ARGV, 11) end
return {'ok', ver}
`)

// pendingScore is d's score in the pending index: its deadline in Unix ms,
// "+inf" for a pending decision without one, "" when it is not pending.
func pendingScore(d *domain.DecisionRecord) string {
	if d.State != domain.StatePending {
		return ""
	}
	if d.Deadline.IsZero() {
		return "+inf"
	}
	return strconv.FormatInt(d.Deadline.UnixMilli(), 10)
}

// CreateDecision stores d (with d.Team and d.ID set) and appends ev to the
// audit stream, in one atomic step. It returns domain.ErrExists when the ID is
// taken. On success d.Version is 1.
func (s *Store) CreateDecision(ctx context.Context, d *domain.DecisionRecord, ev domain.Event) error {
	return s.createDecision(ctx, d, ev, "", "")
}

// CreateDecisionRouted is CreateDecision for d routed with its
// requester's own limit for its activity as the store keeps it, own (the
// kept JSON, *domain.OwnLimitChangedError.Raw; "" for none): when the
// limit kept for them is another one now (a raise or a reset came first),
// nothing is written and the error is a *domain.OwnLimitChangedError
// holding the limit kept, to route d again with.
func (s *Store) CreateDecisionRouted(ctx context.Context, d *domain.DecisionRecord, own string, ev domain.Event) error {
	return s.createDecision(ctx, d, ev, "limit:"+d.Activity, own)
}

func (s *Store) createDecision(ctx context.Context, d *domain.DecisionRecord, ev domain.Event, ownField, expected string) error {
	data, err := d.Decision.AppendJSON(make([]byte, 0, 512))
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	// The arguments, with room for the audit event's and the claim's:
	// built once (the ack path of every decision).
	keys := make([]string, 7, 8)
	keys[0], keys[1], keys[2] = s.decisionKey(d.Team, d.ID), s.pendingKey(d.Team), s.requesterKey(d.Team, d.Requester)
	keys[3], keys[4], keys[5], keys[6] = s.allDecisionsKey(d.Team), s.AuditKey(d.Team), s.outcomesDueKey(d.Team), s.autonomyKey(d.Team, d.Requester)
	args := make([]any, 0, 11+auditArgsLen+4)
	args = append(args, d.ID, string(d.State), d.Level, d.Requester, data,
		d.CreatedAt.UnixMilli(), pendingScore(d), outcomeScore(d, ""), newOp(), ownField, expected)
	if args, err = appendAuditArgs(args, ev); err != nil {
		return err
	}
	var res any
	if c := domain.EnvelopeClaimOf(ctx); c != nil {
		// The request's envelope is claimed in the same step (bot.go).
		if c.Lease <= 0 || c.TTL <= 0 {
			return fmt.Errorf("create decision: claim lease and ttl must be positive, got %s, %s", c.Lease, c.TTL)
		}
		var reply []byte
		if c.Done != nil {
			reply = c.Done(d)
		}
		keys = append(keys, s.keys.Team(c.Team, "dedupe", c.Kind, c.ID))
		args = append(args, c.Token, c.Lease.Milliseconds(), c.TTL.Milliseconds(), reply)
		res, err = s.runScript(ctx, createDecisionClaimScript, keys, args...).Result()
		if err != nil {
			return fmt.Errorf("create decision: %w", err)
		}
		if arr, ok := res.([]any); ok && len(arr) == 2 && (arr[0] == "busy" || arr[0] == "done") {
			c.Outcome = domain.ClaimBusy
			if arr[0] == "done" {
				c.Outcome = domain.ClaimDone
				if r, _ := arr[1].(string); r != "" {
					c.Reply = []byte(r)
				}
			}
			return domain.ErrEnvelopeTaken
		}
		c.Outcome = domain.Claimed
		if n, _ := res.(int64); n == 1 && len(reply) > 0 {
			c.Outcome, c.Reply = domain.ClaimFinished, reply
		}
	} else {
		res, err = s.runScript(ctx, createDecisionScript, keys, args...).Result()
		if err != nil {
			return fmt.Errorf("create decision: %w", err)
		}
	}
	if arr, ok := res.([]any); ok && len(arr) == 2 && arr[0] == "own" {
		js, _ := arr[1].(string)
		e := &domain.OwnLimitChangedError{Raw: js}
		if js != "" {
			var pl domain.PersonalLimit
			if err := json.Unmarshal([]byte(js), &pl); err != nil {
				return fmt.Errorf("create decision: decode own limit: %w", err)
			}
			e.Limit = &pl
		}
		return e
	}
	n, _ := res.(int64)
	if n == 0 {
		return domain.ErrExists
	}
	d.Version = 1
	return nil
}

// GetDecision returns the decision id of team, or domain.ErrDecisionNotFound.
func (s *Store) GetDecision(ctx context.Context, team, id string) (*domain.DecisionRecord, error) {
	m, err := s.rdb.HGetAll(ctx, s.decisionKey(team, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("get decision: %w", err)
	}
	return decodeDecision(m)
}

// Decision returns the decision id of team without the store's bookkeeping
// (its version, its escalation messages), for the services that neither
// change its record nor its cards; an error that is
// domain.ErrDecisionNotFound with domain.NotFound when there is none.
func (s *Store) Decision(ctx context.Context, team, id string) (*domain.Decision, error) {
	d, err := s.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, domain.Wrap(domain.NotFound, err)
	}
	if err != nil {
		return nil, err
	}
	return &d.Decision, nil
}

// decodeDecision builds a Decision from its hash.
func decodeDecision(m map[string]string) (*domain.DecisionRecord, error) {
	vs, ok1 := m["ver"]
	ds, ok2 := m["data"]
	if !ok1 || !ok2 {
		return nil, domain.ErrDecisionNotFound
	}
	var d domain.DecisionRecord
	if err := json.Unmarshal([]byte(ds), &d.Decision); err != nil {
		return nil, fmt.Errorf("decode decision: %w", err)
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("decode decision version %q: %w", vs, err)
	}
	d.Version = v
	for k, val := range m {
		l, ok := strings.CutPrefix(k, "msg:")
		if !ok {
			continue
		}
		level, err := strconv.Atoi(l)
		ch, ts, found := strings.Cut(val, "|")
		if err != nil || !found {
			continue
		}
		d.Messages = append(d.Messages, domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: ch, TS: ts}})
	}
	sort.Slice(d.Messages, func(i, j int) bool { return d.Messages[i].Level < d.Messages[j].Level })
	decodeOutcome(&d, m)
	decodeReminderDMs(&d, m) // store/reminders.go
	return &d, nil
}

// pairsToMap turns a flat HGETALL reply from a script into a map.
func pairsToMap(v any) map[string]string {
	arr, _ := v.([]any)
	m := make(map[string]string, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		k, _ := arr[i].(string)
		val, _ := arr[i+1].(string)
		m[k] = val
	}
	return m
}

// attachMessageScript records the escalation message of one level unless
// one is recorded already. KEYS: decision. ARGV: field, "<channel>|<ts>".
// Returns {1 or 0 (already recorded), version} or 'missing'.
var attachMessageScript = redis.NewScript(`#!lua
local ver = redis.call('HGET', KEYS[1], 'ver')
if not ver then return 'missing' end
local n = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return {n, tonumber(ver)}
`)

// AttachMessage records m as the escalation message of its level, in one
// round trip, without changing the decision's version. It reports whether m
// was recorded (false: another message is recorded for that level already)
// and the decision's current version, so the caller can tell whether the
// decision changed since it rendered m.
func (s *Store) AttachMessage(ctx context.Context, team, id string, m domain.DecisionMessage) (attached bool, version int64, err error) {
	res, err := attachMessageScript.Run(ctx, s.rdb, []string{s.decisionKey(team, id)},
		"msg:"+strconv.Itoa(m.Level), m.Channel+"|"+m.TS).Result()
	if err != nil {
		return false, 0, fmt.Errorf("attach message: %w", err)
	}
	if str, ok := res.(string); ok && str == "missing" {
		return false, 0, domain.ErrDecisionNotFound
	}
	arr, ok := res.([]any)
	if !ok || len(arr) != 2 {
		return false, 0, fmt.Errorf("attach message: unexpected reply %v", res)
	}
	n, _ := arr[0].(int64)
	v, _ := arr[1].(int64)
	return n == 1, v, nil
}

// UpdateDecision writes d when the stored decision is still at d.Version and
// in state from, moving the pending index along (pending decisions are
// indexed by d.Deadline, others leave it) and appending ev when not nil, in
// one atomic step. On success d.Version grows by one. When someone changed
// the decision first it returns a *domain.DecisionConflictError holding the current
// decision, and nothing is written.
func (s *Store) UpdateDecision(ctx context.Context, d *domain.DecisionRecord, from domain.DecisionState, ev *domain.Event) error {
	data, err := d.Decision.AppendJSON(make([]byte, 0, 512))
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	keys := []string{s.decisionKey(d.Team, d.ID), s.pendingKey(d.Team), s.AuditKey(d.Team), s.outcomesDueKey(d.Team)}
	args := []any{d.ID, d.Version, string(from), string(d.State), d.Level, data, pendingScore(d), outcomeScore(d, from), newOp()}
	if ev != nil {
		audit, err := auditArgs(*ev)
		if err != nil {
			return err
		}
		args = append(args, audit...)
	}
	res, err := s.runScript(ctx, updateDecisionScript, keys, args...).Result()
	if err != nil {
		return fmt.Errorf("update decision: %w", err)
	}
	if str, ok := res.(string); ok && str == "missing" {
		return domain.ErrDecisionNotFound
	}
	arr, ok := res.([]any)
	if !ok || len(arr) < 2 {
		return fmt.Errorf("update decision: unexpected reply %v", res)
	}
	switch arr[0] {
	case "ok":
		v, _ := arr[1].(int64)
		d.Version = v
		return nil
	case "conflict":
		cur, err := decodeDecision(pairsToMap(arr[1]))
		if err != nil {
			return fmt.Errorf("update decision: %w", err)
		}
		return &domain.DecisionConflictError{Current: cur}
	}
	return fmt.Errorf("update decision: unexpected reply %v", res)
}

// DueDecisions returns the IDs of pending decisions whose deadline is at or
// before now, earliest first, at most limit.
func (s *Store) DueDecisions(ctx context.Context, team string, now time.Time, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.pendingKey(team), Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10),
		ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("due decisions: %w", err)
	}
	return ids, nil
}

// PendingDecisions returns the IDs of every pending decision, earliest
// deadline first, at most limit.
func (s *Store) PendingDecisions(ctx context.Context, team string, limit int) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.pendingKey(team), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("pending decisions: %w", err)
	}
	return ids, nil
}

// DecisionsBetween returns the IDs of team's decisions created in [from, to),
// oldest first.
func (s *Store) DecisionsBetween(ctx context.Context, team string, from, to time.Time) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.allDecisionsKey(team), ByScore: true,
		Start: strconv.FormatInt(from.UnixMilli(), 10), Stop: "(" + strconv.FormatInt(to.UnixMilli(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("decisions between: %w", err)
	}
	return ids, nil
}

// GetDecisions returns the decisions with these IDs in one round trip,
// skipping any that do not exist.
func (s *Store) GetDecisions(ctx context.Context, team string, ids []string) ([]*domain.DecisionRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.decisionKey(team, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get decisions: %w", err)
	}
	out := make([]*domain.DecisionRecord, 0, len(ids))
	for _, c := range cmds {
		d, err := decodeDecision(c.Val())
		if errors.Is(err, domain.ErrDecisionNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// newOp returns the ID of one call of a decision script, recorded with its
// change, so that the same call run twice (a client retry) is recognised.
func newOp() string { return NewOwner() }

// scriptRuns is how many times runScript sends a script: tests set 2 to
// play a client that retries a script after a timeout (go-redis does on
// Cluster even with MaxRetries -1), which must change nothing twice.
var scriptRuns = 1

// runScript runs sc scriptRuns times and returns the last answer.
func (s *Store) runScript(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	cmd := sc.Run(ctx, s.rdb, keys, args...)
	for i := 1; i < scriptRuns; i++ {
		cmd = sc.Run(ctx, s.rdb, keys, args...)
	}
	return cmd
}
