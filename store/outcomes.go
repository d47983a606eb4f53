package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Outcomes.
//
// An autonomous or approved decision is added to the sorted set
// "<prefix>:{T}:outcomes:due" (score: when to ask, Unix ms) by the very
// script that makes it so (CreateDecision, UpdateDecision with OutcomeDue
// set). The outcome_followups job claims each due decision
// (ClaimFollowUp: a lease, see lease.go, in "<prefix>:{T}:outcome-claim:<ID>"),
// DMs the requester and records the DM (FollowUpSent), which takes it off
// the due set, appends outcome.asked and ends the lease in one step: a
// decision is asked about once, whatever replicas, restarts or catch-up runs.
//
// The outcome lives in the decision's hash beside its record, so that it
// never races a change of the record itself:
//
//	outcome       worked|failed
//	outcome_at    Unix ms
//	outcome_note  the requester's note ("" for none)
//	outcome_req   the request that recorded it (domain.Outcome.Request)
//	note_req      the request that added the note (domain.Outcome.NoteRequest)
//	ask           the follow-up DM, "<channel>|<ts>" (or "f:<code>" when
//	              Slack refused it for good)
//	praise_msg    the praise post of a decision that worked, "<channel>|<ts>"

// decodeOutcome reads the outcome fields of a decision's hash into d.
func decodeOutcome(d *domain.DecisionRecord, m map[string]string) {
	d.Outcome = domain.Outcome{
		Result:     m["outcome"],
		Note:       m["outcome_note"],
		FollowUp:   parseMsgRef(m["ask"]),
		PraisePost: parseMsgRef(m["praise_msg"]),
		Request:    m["outcome_req"],

		NoteRequest: m["note_req"],
	}
	if ms, err := strconv.ParseInt(m["outcome_at"], 10, 64); err == nil {
		d.Outcome.At = time.UnixMilli(ms)
	}
}

func parseMsgRef(v string) domain.MessageRef {
	ch, ts, ok := strings.Cut(v, "|")
	if !ok {
		return domain.MessageRef{}
	}
	return domain.MessageRef{Channel: ch, TS: ts}
}

// outcomeScore is d's score in the outcomes:due index when the change from
// state from makes it autonomous or approved with OutcomeDue set, "" for no
// change of the index (later changes never ask twice).
func outcomeScore(d *domain.DecisionRecord, from domain.DecisionState) string {
	if d.OutcomeDue.IsZero() || d.State == from {
		return ""
	}
	if d.State != domain.StateAutonomous && d.State != domain.StateApproved {
		return ""
	}
	return strconv.FormatInt(d.OutcomeDue.UnixMilli(), 10)
}

func (s *Store) outcomesDueKey(team string) string { return s.keys.Team(team, "outcomes", "due") }
func (s *Store) followUpClaimKey(team, id string) string {
	return s.keys.Team(team, "outcome-claim", id)
}
func (s *Store) followUpTriedKey(team, id string) string {
	return s.keys.Team(team, "outcome-tried", id)
}

// DueFollowUps returns the IDs of decisions whose follow-up is due at now,
// earliest first, at most limit.
func (s *Store) DueFollowUps(ctx context.Context, team string, now time.Time, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.outcomesDueKey(team), Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10),
		ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("due follow-ups: %w", err)
	}
	return ids, nil
}

// FollowUpDue returns when decision id's follow-up is due, and whether it
// is still waiting to be sent.
func (s *Store) FollowUpDue(ctx context.Context, team, id string) (time.Time, bool, error) {
	score, err := s.rdb.ZScore(ctx, s.outcomesDueKey(team), id).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("follow-up due: %w", err)
	}
	return time.UnixMilli(int64(score)), true, nil
}

// followUpKind is the follow-up's lease (in followUpClaimKey).
//
// claim: KEYS[2] due, KEYS[3] decision, KEYS[4] tried; ARGV[4] id, ARGV[5]
// tried ms. A decision that is due no more is done; one that is gone or
// whose outcome is known is done and leaves the due set. A claim marks the
// follow-up tried (for ARGV[5] ms) and notes "again" when an earlier claim
// did: that one may have sent the DM without recording it.
//
// done: KEYS[2] due, KEYS[3] decision, KEYS[4] audit; ARGV[4] id, ARGV[5]
// the ask field's value, then the audit event (at, fields…) or nothing.
// The decision leaves the due set and records the DM; the event is appended
// only when it left the set now, so a second run appends nothing. When the
// outcome was recorded meanwhile (while the DM was on its way: the record
// found no DM to update), the lease ends and the script answers {4, the
// decision's fields}: the sender shows its own DM recorded.
var followUpKind = newLeaseKind(leaseHooks{
	prelude: AuditLua,
	claim: `
if not redis.call('ZSCORE', KEYS[2], ARGV[4]) then return lease_done('') end
if redis.call('HEXISTS', KEYS[3], 'outcome') == 1 or redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[4])
  return lease_done('')
end
if redis.call('EXISTS', KEYS[4]) == 1 then note = 'again' end
redis.call('SET', KEYS[4], '1', 'PX', ARGV[5])`,
	done: `
local aid = nil
if #ARGV >= 6 then aid = audit_id(KEYS[4], ARGV[6]) end
local n = redis.call('ZREM', KEYS[2], ARGV[4])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HSET', KEYS[3], 'ask', ARGV[5]) end
if n == 1 and aid then audit_add(KEYS[4], aid, ARGV, 7) end
if redis.call('HEXISTS', KEYS[3], 'outcome') == 1 then
  redis.call('DEL', KEYS[1])
  return {4, redis.call('HGETALL', KEYS[3])}
end`,
})

// ClaimFollowUp claims the follow-up of decision id for owner for lease:
// claimed means the caller sends it now; otherwise it needs nothing (sent
// already, or the outcome is known: it is due no more) or another run is
// sending it. A claim whose owner died expires after lease and is won by
// the next run. again is true when an earlier claim of it was taken (its
// run failed, gave it back or died): that run may have sent the DM without
// recording it, so the caller looks for it before it sends one.
func (s *Store) ClaimFollowUp(ctx context.Context, team, id, owner string, lease time.Duration) (claimed, again bool, err error) {
	st, note, err := s.claimLease(ctx, followUpKind,
		[]string{s.followUpClaimKey(team, id), s.outcomesDueKey(team), s.decisionKey(team, id), s.followUpTriedKey(team, id)},
		owner, lease, id, FollowUpTriedTTL.Milliseconds())
	if err != nil {
		return false, false, fmt.Errorf("claim follow-up %s: %w", id, err)
	}
	return st == LeaseClaimed, st == LeaseClaimed && note == "again", nil
}

// FollowUpTriedTTL is how long a follow-up's first claim is remembered
// ("<prefix>:{T}:outcome-tried:<id>"): longer than a failed follow-up is
// tried again.
const FollowUpTriedTTL = 14 * 24 * time.Hour

// FollowUpSent records that owner's follow-up DM of decision id went out
// at: the decision leaves the due set, ev (outcome.asked) is appended and
// the claim ends, in one step. recorded is the decision when its outcome
// was recorded while the DM was on its way (nil otherwise): that record
// found no DM to update, so the caller shows at recorded. Recording it
// again is harmless and answers the same. It fails with ErrLeaseHeld (with
// domain.Conflict) when another run holds the claim now.
func (s *Store) FollowUpSent(ctx context.Context, team, id, owner string, at domain.MessageRef, ev domain.Event) (recorded *domain.Decision, err error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return nil, err
	}
	recorded, err = s.followUpDone(ctx, team, id, owner, at.Channel+"|"+at.TS, audit)
	if err != nil {
		return nil, fmt.Errorf("record follow-up %s: %w", id, err)
	}
	return recorded, nil
}

// FollowUpRefused takes decision id off the due set without a DM: Slack
// refused it for good (code, e.g. user_not_found).
func (s *Store) FollowUpRefused(ctx context.Context, team, id, owner, code string) error {
	if _, err := s.followUpDone(ctx, team, id, owner, "f:"+code, nil); err != nil {
		return fmt.Errorf("record refused follow-up %s: %w", id, err)
	}
	return nil
}

// followUpDone runs the follow-up's done script; recorded is the decision
// when its outcome is known.
func (s *Store) followUpDone(ctx context.Context, team, id, owner, ask string, audit []any) (recorded *domain.Decision, err error) {
	keys := []string{s.followUpClaimKey(team, id), s.outcomesDueKey(team), s.decisionKey(team, id), s.AuditKey(team)}
	res, err := followUpKind.done.Run(ctx, s.rdb, keys, leaseArgs(owner, 0, "", append([]any{id, ask}, audit...))...).Result()
	if err != nil {
		return nil, err
	}
	switch v := res.(type) {
	case int64:
		if v == 0 {
			return nil, domain.Wrap(domain.Conflict, ErrLeaseHeld)
		}
		return nil, nil
	case []any:
		if len(v) == 2 {
			d, err := decodeDecision(pairsToMap(v[1]))
			if err != nil {
				return nil, err
			}
			return &d.Decision, nil
		}
	}
	return nil, fmt.Errorf("unexpected reply %v", res)
}

// ReleaseFollowUp gives up owner's claim, so that a later run sends it.
func (s *Store) ReleaseFollowUp(ctx context.Context, team, id, owner string) error {
	if _, err := s.releaseLease(ctx, followUpKind, []string{s.followUpClaimKey(team, id)}, owner); err != nil {
		return fmt.Errorf("release follow-up %s: %w", id, err)
	}
	return nil
}

// recordOutcomeScript. KEYS: decision, due, audit. ARGV: id, user, result,
// note, at ms, request, then the audit event (at, fields…).
var recordOutcomeScript = redis.NewScript("#!lua\n" + AuditLua + `
local cur = redis.call('HMGET', KEYS[1], 'state', 'requester', 'outcome', 'data')
if not cur[4] then return {'missing'} end
if cur[2] ~= ARGV[2] then return {'not_requester', redis.call('HGETALL', KEYS[1])} end
if cur[1] ~= 'autonomous' and cur[1] ~= 'approved' then return {'state', redis.call('HGETALL', KEYS[1])} end
if cur[3] then return {'already', redis.call('HGETALL', KEYS[1])} end
local aid = audit_id(KEYS[3], ARGV[7])
redis.call('HSET', KEYS[1], 'outcome', ARGV[3], 'outcome_note', ARGV[4], 'outcome_at', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'outcome_req', ARGV[6]) end
redis.call('ZREM', KEYS[2], ARGV[1])
audit_add(KEYS[3], aid, ARGV, 8)
return {'ok', redis.call('HGETALL', KEYS[1])}
`)

// RecordOutcome records, once, that decision id of team turned out as
// result (OutcomeWorked or OutcomeFailed) with an optional note, as told by
// user in request (domain.RequestKey; "" for none), and appends ev, in one
// step; the follow-up is no longer due. It
// returns the decision as recorded, domain.ErrDecisionNotFound (with domain.NotFound), or
// a *domain.OutcomeRefusal when user is not the requester, the decision is
// pending or declined, or its outcome is known already.
func (s *Store) RecordOutcome(ctx context.Context, team, id, user, result, note, request string, ev domain.Event) (*domain.Decision, error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return nil, err
	}
	args := append([]any{id, user, result, note, ev.At.UnixMilli(), request}, audit...)
	res, err := recordOutcomeScript.Run(ctx, s.rdb,
		[]string{s.decisionKey(team, id), s.outcomesDueKey(team), s.AuditKey(team)}, args...).Result()
	if err != nil {
		return nil, fmt.Errorf("record outcome %s: %w", id, err)
	}
	return outcomeReply(res)
}

// noteOutcomeScript. KEYS: decision, audit. ARGV: user, note, request, then
// the audit event (at, fields…).
var noteOutcomeScript = redis.NewScript("#!lua\n" + AuditLua + `
local cur = redis.call('HMGET', KEYS[1], 'requester', 'outcome', 'outcome_note', 'data')
if not cur[4] then return {'missing'} end
if cur[1] ~= ARGV[1] then return {'not_requester', redis.call('HGETALL', KEYS[1])} end
if not cur[2] then return {'no_outcome', redis.call('HGETALL', KEYS[1])} end
if cur[3] and cur[3] ~= '' then return {'already', redis.call('HGETALL', KEYS[1])} end
local aid = audit_id(KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'outcome_note', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'note_req', ARGV[3]) end
audit_add(KEYS[2], aid, ARGV, 5)
return {'ok', redis.call('HGETALL', KEYS[1])}
`)

// AddOutcomeNote adds user's note to the recorded outcome of decision id,
// once, as given in request (domain.RequestKey; "" for none), appending ev
// (outcome.noted) in the same step. Refusals are
// *domain.OutcomeRefusal: not the requester, no outcome yet, a note
// already; a missing decision is domain.ErrDecisionNotFound (with domain.NotFound).
func (s *Store) AddOutcomeNote(ctx context.Context, team, id, user, note, request string, ev domain.Event) (*domain.Decision, error) {
	audit, err := auditArgs(ev)
	if err != nil {
		return nil, err
	}
	args := append([]any{user, note, request}, audit...)
	res, err := noteOutcomeScript.Run(ctx, s.rdb, []string{s.decisionKey(team, id), s.AuditKey(team)}, args...).Result()
	if err != nil {
		return nil, fmt.Errorf("add outcome note %s: %w", id, err)
	}
	return outcomeReply(res)
}

func outcomeReply(res any) (*domain.Decision, error) {
	arr, ok := res.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("outcome: unexpected reply %v", res)
	}
	status, _ := arr[0].(string)
	if status == "missing" {
		return nil, domain.Wrap(domain.NotFound, domain.ErrDecisionNotFound)
	}
	if len(arr) < 2 {
		return nil, fmt.Errorf("outcome: unexpected reply %v", res)
	}
	d, err := decodeDecision(pairsToMap(arr[1]))
	if err != nil {
		return nil, fmt.Errorf("outcome: %w", err)
	}
	if status == "ok" {
		return &d.Decision, nil
	}
	return &d.Decision, &domain.OutcomeRefusal{Reason: domain.OutcomeRefusalReason(status), Current: &d.Decision}
}

// SetPraiseMessage records the praise post of decision id at (for adding
// a note to it later).
func (s *Store) SetPraiseMessage(ctx context.Context, team, id string, at domain.MessageRef) error {
	if err := s.rdb.HSet(ctx, s.decisionKey(team, id), "praise_msg", at.Channel+"|"+at.TS).Err(); err != nil {
		return fmt.Errorf("record praise post %s: %w", id, err)
	}
	return nil
}
