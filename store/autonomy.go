package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Earned autonomy (PRODUCT.md "Beyond the box").
//
// One hash per person, "<prefix>:{T}:autonomy:person:<U>", holds, per
// activity A:
//
//	limit:A   the person's own limit, a domain.PersonalLimit as JSON
//	since:A   Unix ms after which decisions count toward A's streak (the
//	          last proposal, raise or reset)
//	open:A    the ID of A's proposal waiting for an answer
//	op:A      the op ID of the last reset (a reset sent twice answers as the first)
//
// One hash per proposal, "<prefix>:{T}:autonomy:proposal:<ID>", holds id,
// state (open, raised, deferred), data (the domain.Proposal as JSON), op
// (the call that wrote the state), by, at (Unix ms) and to (the limit
// raised to, minor units) once answered, and one "dm:<U>" field per
// approver's DM ("<channel>|<ts>").
//
// Proposing, answering and resetting are each one script with its audit
// event; each is safe to run twice (a client retry answers as the first
// call and changes nothing).

func (s *Store) autonomyKey(team, user string) string {
	return s.keys.Team(team, "autonomy", "person", user)
}

func (s *Store) proposalKey(team, id string) string {
	return s.keys.Team(team, "autonomy", "proposal", id)
}

// Autonomy returns what is kept about user's earned autonomy.
func (s *Store) Autonomy(ctx context.Context, team, user string) (domain.AutonomyState, error) {
	m, err := s.rdb.HGetAll(ctx, s.autonomyKey(team, user)).Result()
	if err != nil {
		return domain.AutonomyState{}, fmt.Errorf("read autonomy of %s: %w", user, err)
	}
	st := domain.AutonomyState{Limits: domain.PersonalLimits{}, Since: map[string]time.Time{}, Open: map[string]string{}}
	for k, v := range m {
		kind, act, ok := strings.Cut(k, ":")
		if !ok {
			continue
		}
		switch kind {
		case "limit":
			var pl domain.PersonalLimit
			if err := json.Unmarshal([]byte(v), &pl); err != nil {
				return domain.AutonomyState{}, fmt.Errorf("read limit of %s for %s: %w", user, act, err)
			}
			st.Limits[act] = pl
		case "since":
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				st.Since[act] = time.UnixMilli(ms)
			}
		case "open":
			st.Open[act] = v
		}
	}
	return st, nil
}

// PersonalLimits returns user's own limits, by activity.
func (s *Store) PersonalLimits(ctx context.Context, team, user string) (domain.PersonalLimits, error) {
	st, err := s.Autonomy(ctx, team, user)
	if err != nil {
		return nil, err
	}
	return st.Limits, nil
}

// RequesterDecisions returns user's decisions logged after since, newest
// first, at most limit.
func (s *Store) RequesterDecisions(ctx context.Context, team, user string, since time.Time, limit int) ([]*domain.Decision, error) {
	min := "-inf"
	if !since.IsZero() {
		min = "(" + strconv.FormatInt(since.UnixMilli(), 10)
	}
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.requesterKey(team, user), ByScore: true, Rev: true,
		Start: "+inf", Stop: min, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", user, err)
	}
	recs, err := s.GetDecisions(ctx, team, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.Decision, len(recs))
	for i, r := range recs {
		out[i] = &r.Decision
	}
	return out, nil
}

// proposeScript records a new proposal, unless the activity has one open
// or its streak started afresh since the caller read it.
//
// KEYS: person, proposal, audit. ARGV: activity, proposal ID, the streak's
// start as read (ms, "" for none), now ms, data, op, then the audit event
// (at, fields…). Returns 1 when recorded (also for the same call sent
// again), 0 when not.
var proposeScript = redis.NewScript("#!lua\n" + AuditLua + `
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('HGET', KEYS[2], 'op') == ARGV[6] then return 1 end
  return 0
end
if redis.call('HEXISTS', KEYS[1], 'open:' .. ARGV[1]) == 1 then return 0 end
local since = redis.call('HGET', KEYS[1], 'since:' .. ARGV[1]) or ''
if since ~= ARGV[3] then return 0 end
local aid = audit_id(KEYS[3], ARGV[7])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'state', 'open', 'data', ARGV[5], 'op', ARGV[6])
redis.call('HSET', KEYS[1], 'open:' .. ARGV[1], ARGV[2], 'since:' .. ARGV[1], ARGV[4])
audit_add(KEYS[3], aid, ARGV, 8)
return 1
`)

// Propose records pr (open, to be sent to pr.Approvers) with ev, unless
// pr's activity has a proposal open for its person or its streak started
// afresh after since (the start the caller counted from; zero for none):
// then proposed is false and nothing is written. The streak of the
// activity starts afresh at pr.CreatedAt.
func (s *Store) Propose(ctx context.Context, pr *domain.Proposal, since time.Time, ev domain.Event) (proposed bool, err error) {
	data, err := json.Marshal(pr)
	if err != nil {
		return false, fmt.Errorf("encode proposal: %w", err)
	}
	audit, err := auditArgs(ev)
	if err != nil {
		return false, err
	}
	sinceArg := ""
	if !since.IsZero() {
		sinceArg = strconv.FormatInt(since.UnixMilli(), 10)
	}
	keys := []string{s.autonomyKey(pr.Team, pr.Person), s.proposalKey(pr.Team, pr.ID), s.AuditKey(pr.Team)}
	args := append([]any{pr.Activity, pr.ID, sinceArg, pr.CreatedAt.UnixMilli(), string(data), newOp()}, audit...)
	n, err := s.runScript(ctx, proposeScript, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("propose: %w", err)
	}
	if n == 1 {
		pr.State = domain.ProposalOpen
	}
	return n == 1, nil
}

// Proposal returns proposal id of team; an error of code domain.NotFound
// when there is none.
func (s *Store) Proposal(ctx context.Context, team, id string) (*domain.Proposal, error) {
	m, err := s.rdb.HGetAll(ctx, s.proposalKey(team, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("get proposal: %w", err)
	}
	return decodeProposal(m)
}

func decodeProposal(m map[string]string) (*domain.Proposal, error) {
	data, ok := m["data"]
	if !ok {
		return nil, domain.NotFoundf("I can't find that proposal any more; nothing changed.")
	}
	var pr domain.Proposal
	if err := json.Unmarshal([]byte(data), &pr); err != nil {
		return nil, fmt.Errorf("decode proposal: %w", err)
	}
	pr.State, pr.AnsweredBy, pr.Request = domain.ProposalState(m["state"]), m["by"], m["req"]
	if ms, err := strconv.ParseInt(m["at"], 10, 64); err == nil {
		pr.AnsweredAt = time.UnixMilli(ms)
	}
	if to, err := strconv.ParseInt(m["to"], 10, 64); err == nil {
		pr.RaisedTo = money.Amount(to)
	}
	pr.DMs = map[string]domain.MessageRef{}
	for k, v := range m {
		user, ok := strings.CutPrefix(k, "dm:")
		ch, ts, found := strings.Cut(v, "|")
		if ok && found {
			pr.DMs[user] = domain.MessageRef{Channel: ch, TS: ts}
		}
	}
	return &pr, nil
}

// SetProposalDM records where approver's DM of proposal id is, unless one
// is recorded.
func (s *Store) SetProposalDM(ctx context.Context, team, id, approver string, at domain.MessageRef) error {
	if err := s.rdb.HSetNX(ctx, s.proposalKey(team, id), "dm:"+approver, at.Channel+"|"+at.TS).Err(); err != nil {
		return fmt.Errorf("record proposal DM: %w", err)
	}
	return nil
}

// ClaimProposalResend claims, once ever, the sending again of proposal id's
// DMs (their first sending died before any was recorded): true for the one
// caller that sends them.
func (s *Store) ClaimProposalResend(ctx context.Context, team, id string) (bool, error) {
	ok, err := s.rdb.HSetNX(ctx, s.proposalKey(team, id), "resend", "1").Result()
	if err != nil {
		return false, fmt.Errorf("claim proposal resend: %w", err)
	}
	return ok, nil
}

// answerScript answers an open proposal once.
//
// KEYS: proposal, person, audit. ARGV: proposal ID, new state, by, at ms,
// limit raised to (minor units, "" for Not now), the limit's JSON ("" for
// Not now), activity, op, the answering request's key, then the audit
// event (at, fields…). Returns
// {'ok'} (also for the same call sent again), {'missing'}, or
// {'answered', state, by, at, to} when another answer came first.
var answerScript = redis.NewScript("#!lua\n" + AuditLua + `
local cur = redis.call('HMGET', KEYS[1], 'state', 'by', 'at', 'to', 'op')
if not cur[1] then return {'missing'} end
if cur[1] ~= 'open' then
  if cur[5] == ARGV[8] then return {'ok'} end
  return {'answered', cur[1], cur[2] or '', cur[3] or '', cur[4] or ''}
end
local aid = audit_id(KEYS[3], ARGV[10])
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'by', ARGV[3], 'at', ARGV[4], 'to', ARGV[5], 'op', ARGV[8], 'req', ARGV[9])
if redis.call('HGET', KEYS[2], 'open:' .. ARGV[7]) == ARGV[1] then redis.call('HDEL', KEYS[2], 'open:' .. ARGV[7]) end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[2], 'limit:' .. ARGV[7], ARGV[6], 'since:' .. ARGV[7], ARGV[4])
end
audit_add(KEYS[3], aid, ARGV, 11)
return {'ok'}
`)

// AnswerProposal answers the open proposal pr with state (raised or
// deferred) by by at at, with ev, recording pr.Request as the request
// that answered it: a raise gives pr's person limit as their
// own limit for pr's activity and starts its streak afresh; Not now leaves
// the streak as the proposal started it. When another answer came first it
// returns a *domain.ProposalAnsweredError holding the proposal as it is,
// and nothing is written.
func (s *Store) AnswerProposal(ctx context.Context, pr *domain.Proposal, state domain.ProposalState, by string, at time.Time, limit *domain.PersonalLimit, ev domain.Event) error {
	audit, err := auditArgs(ev)
	if err != nil {
		return err
	}
	to, lim := "", ""
	if limit != nil {
		b, err := json.Marshal(limit)
		if err != nil {
			return fmt.Errorf("encode limit: %w", err)
		}
		to, lim = strconv.FormatInt(int64(limit.Amount), 10), string(b)
	}
	keys := []string{s.proposalKey(pr.Team, pr.ID), s.autonomyKey(pr.Team, pr.Person), s.AuditKey(pr.Team)}
	args := append([]any{pr.ID, string(state), by, at.UnixMilli(), to, lim, pr.Activity, newOp(), pr.Request}, audit...)
	res, err := s.runScript(ctx, answerScript, keys, args...).StringSlice()
	if err != nil {
		return fmt.Errorf("answer proposal: %w", err)
	}
	switch {
	case len(res) == 1 && res[0] == "ok":
		pr.State, pr.AnsweredBy, pr.AnsweredAt = state, by, at
		if limit != nil {
			pr.RaisedTo = limit.Amount
		}
		return nil
	case len(res) == 1 && res[0] == "missing":
		return domain.NotFoundf("I can't find that proposal any more; nothing changed.")
	case len(res) == 5 && res[0] == "answered":
		cur, err := s.Proposal(ctx, pr.Team, pr.ID)
		if err != nil {
			return err
		}
		return &domain.ProposalAnsweredError{Current: cur}
	}
	return fmt.Errorf("answer proposal: unexpected reply %v", res)
}

// resetScript takes back a person's own limit.
//
// KEYS: person, audit. ARGV: activity, at ms, op, then the audit event (at,
// fields…). Returns 1 when taken back (also for the same call sent again),
// 0 when there was none.
var resetScript = redis.NewScript("#!lua\n" + AuditLua + `
if redis.call('HEXISTS', KEYS[1], 'limit:' .. ARGV[1]) == 0 then
  if redis.call('HGET', KEYS[1], 'op:' .. ARGV[1]) == ARGV[3] then return 1 end
  return 0
end
local aid = audit_id(KEYS[2], ARGV[4])
redis.call('HDEL', KEYS[1], 'limit:' .. ARGV[1])
redis.call('HSET', KEYS[1], 'since:' .. ARGV[1], ARGV[2], 'op:' .. ARGV[1], ARGV[3])
audit_add(KEYS[2], aid, ARGV, 5)
return 1
`)

// ResetLimit takes back user's own limit for activity at at, with ev, and
// starts the activity's streak afresh; reset is false (nothing written)
// when they had none.
func (s *Store) ResetLimit(ctx context.Context, team, user, activity string, at time.Time, ev domain.Event) (reset bool, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return false, err
	}
	args := append([]any{activity, at.UnixMilli(), newOp()}, audit...)
	n, err := s.runScript(ctx, resetScript, []string{s.autonomyKey(team, user), s.AuditKey(team)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("reset limit: %w", err)
	}
	return n == 1, nil
}
