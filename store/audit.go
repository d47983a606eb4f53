package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The audit stream.
//
// Every team has one Redis Stream, "<prefix>:{T123}:audit", that records each
// change of state the product makes: decisions now, and outcomes, praise,
// feedback and commitments as they are built. Stats, the App Home and the
// weekly digest read it back by time with ReadAudit.
//
// Each entry has these fields, all strings:
//
//	type     what happened, "<thing>.<verb>": decision.created,
//	         decision.escalated, decision.approved, decision.declined,
//	         decision.timeout, decision.reminded (later features add
//	         outcome.recorded, praise.given, …)
//	actor    the Slack user who did it ("" for the bot itself, e.g. a timeout)
//	subject  what it happened to (a decision ID such as "D-7K2QF9")
//	from     where it was before: a state, or a level name for moves
//	         between levels ("" when created)
//	to       where it is after
//
//	         decision.created    from ""         to autonomous|pending
//	         decision.escalated  from team-lead  to manager (levels)
//	         decision.timeout    from team-lead  to manager (levels)
//	         decision.reminded   from manager    to manager (the top level)
//	         decision.approved   from pending    to approved
//	         decision.declined   from pending    to declined
//	at       when, in Unix milliseconds (the bot's clock)
//	data     a JSON object with the extras of the type; for decisions:
//	         activity, amount (minor units, integer), currency, requester,
//	         level (name, when it left the box), autonomous (bool),
//	         created_at (Unix ms), customer, tags, reason (a decline's
//	         reason), reminders (decision.reminded)
//
// Entry IDs are "<at>-<seq>", so XRANGE by time works; when an event's at is
// not after the newest entry (clock skew between replicas) it takes the
// newest entry's millisecond instead, so IDs only grow. The stream is capped
// at about AuditMaxLen entries.

// Audit event types of decisions.
const (
	AuditDecisionCreated   = "decision.created"
	AuditDecisionEscalated = "decision.escalated"
	AuditDecisionApproved  = "decision.approved"
	AuditDecisionDeclined  = "decision.declined"
	AuditDecisionTimeout   = "decision.timeout"
	AuditDecisionReminded  = "decision.reminded"
)

// Audit event types of outcomes, praise and wins. Their fields:
//
//	outcome.asked     actor ""         subject decision ID   (the follow-up DM was sent)
//	outcome.worked    actor requester  subject decision ID   data: activity, amount, currency, note, tags, level
//	outcome.failed    actor requester  subject decision ID   data: activity, amount, currency, note, tags, level
//	praise.given      actor giver      subject receiver      data: text, values ([]string)
//	win.posted        actor giver      subject ""            data: text, users ([]string), values ([]string)
const (
	AuditOutcomeAsked  = "outcome.asked"
	AuditOutcomeWorked = "outcome.worked"
	AuditOutcomeFailed = "outcome.failed"
	AuditPraiseGiven   = "praise.given"
	AuditWinPosted     = "win.posted"
)

// AuditOutcomeNoted: the requester added a note to a recorded outcome
// (actor requester, subject decision ID, to worked|failed, data: note).
const AuditOutcomeNoted = "outcome.noted"

// Audit event types of commitments. Subject is the commitment ID; data holds
// leader, employee, text, due ("2006-01-02" in the policy's timezone) and
// source ("commit" or "ask"); commitment.redated has from/to = old/new due
// date; commitment.done has on_time (bool); commitment.declined has reason.
// commitment.made from an ask also has asked_due (the date asked for);
// commitment.overdue has days_overdue. Other events: from/to are the states.
//
//	commitment.asked     actor employee  (an ask waiting for the leader)
//	commitment.made      actor leader    (by commit, or by accepting an ask)
//	commitment.declined  actor leader    (an ask declined)
//	commitment.done      actor leader
//	commitment.redated   actor leader
//	commitment.overdue   actor ""        (the first reminder after the due date)
const (
	AuditCommitmentAsked    = "commitment.asked"
	AuditCommitmentMade     = "commitment.made"
	AuditCommitmentDeclined = "commitment.declined"
	AuditCommitmentDone     = "commitment.done"
	AuditCommitmentRedated  = "commitment.redated"
	AuditCommitmentOverdue  = "commitment.overdue"
)

// AuditMaxLen is the approximate number of entries a team's audit stream keeps.
const AuditMaxLen = 1_000_000

// AuditEvent is one entry of a team's audit stream.
type AuditEvent struct {
	// ID is the stream entry ID; set by ReadAudit, ignored when appending.
	ID      string
	Type    string
	Actor   string
	Subject string
	From    string
	To      string
	At      time.Time
	// Data holds the type's extras; it is stored as a JSON object. Numbers
	// read back by ReadAudit are json.Number (amounts stay integers); use Int.
	Data map[string]any
}

// Int returns the integer extra called key (an amount in minor units, a
// count), or 0 when it is missing or not an integer.
func (e AuditEvent) Int(key string) int64 {
	switch v := e.Data[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// Text returns the string extra called key, or "".
func (e AuditEvent) Text(key string) string {
	v, _ := e.Data[key].(string)
	return v
}

// args returns the entry's at (Unix ms) followed by its field/value pairs.
func (e AuditEvent) args() ([]any, error) {
	data := []byte("{}")
	if len(e.Data) > 0 {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return nil, fmt.Errorf("audit data: %w", err)
		}
	}
	at := strconv.FormatInt(e.At.UnixMilli(), 10)
	return []any{at,
		"type", e.Type, "actor", e.Actor, "subject", e.Subject,
		"from", e.From, "to", e.To, "at", at, "data", string(data),
	}, nil
}

// AuditLua defines two Lua functions for scripts that append to the audit
// stream in the same atomic step as their own change. Prepend it to the
// script, call audit_id before any write (it is the only step that reads),
// then audit_add last:
//
//	local aid = audit_id(KEYS[3], ARGV[7])      -- at, Unix ms as a string
//	… the script's own writes …
//	audit_add(KEYS[3], aid, ARGV, 8)            -- field/value pairs from ARGV[8]
//
// The store's own methods pass an event's fields, in order, after its at.
const AuditLua = `
local function audit_id(key, at)
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if #last > 0 then
    local lastms = string.match(last[1][1], '^(%d+)-')
    if tonumber(lastms) >= tonumber(at) then return lastms .. '-*' end
  end
  return at .. '-*'
end
local function audit_add(key, id, argv, first)
  local fields = {}
  for i = first, #argv do fields[#fields + 1] = argv[i] end
  return redis.call('XADD', key, 'MAXLEN', '~', '1000000', id, unpack(fields))
end
`

var auditScript = redis.NewScript("#!lua\n" + AuditLua + `
local aid = audit_id(KEYS[1], ARGV[1])
return audit_add(KEYS[1], aid, ARGV, 2)
`)

// AuditKey is the key of team's audit stream.
func (s *Store) AuditKey(team string) string { return s.keys.Team(team, "audit") }

// AppendAudit appends ev to team's audit stream through c, which may be the
// client, a pipeline or a MULTI transaction (TxPipelined): in a transaction
// the append is part of the same atomic step. It returns the command, whose
// result (the entry ID) is known once the pipeline ran.
func (s *Store) AppendAudit(ctx context.Context, c redis.Cmdable, team string, ev AuditEvent) (*redis.Cmd, error) {
	args, err := ev.args()
	if err != nil {
		return nil, err
	}
	// Eval (not EvalSha): a script cannot fall back to EVAL inside a pipeline.
	return c.Eval(ctx, "#!lua\n"+AuditLua+`
local aid = audit_id(KEYS[1], ARGV[1])
return audit_add(KEYS[1], aid, ARGV, 2)
`, []string{s.AuditKey(team)}, args...), nil
}

// Audit appends ev to team's audit stream on its own and returns its ID.
func (s *Store) Audit(ctx context.Context, team string, ev AuditEvent) (string, error) {
	args, err := ev.args()
	if err != nil {
		return "", err
	}
	id, err := auditScript.Run(ctx, s.rdb, []string{s.AuditKey(team)}, args...).Text()
	if err != nil {
		return "", fmt.Errorf("append audit %s: %w", ev.Type, err)
	}
	return id, nil
}

// ReadAudit returns team's audit events with at in [from, to), oldest first.
func (s *Store) ReadAudit(ctx context.Context, team string, from, to time.Time) ([]AuditEvent, error) {
	key := s.AuditKey(team)
	start := strconv.FormatInt(from.UnixMilli(), 10)
	end := "(" + strconv.FormatInt(to.UnixMilli(), 10) + "-0"
	var out []AuditEvent
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, start, end, 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		for _, m := range msgs {
			ev := parseAudit(m)
			if !ev.At.Before(from) && ev.At.Before(to) {
				out = append(out, ev)
			}
		}
		if len(msgs) < 1000 {
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

func parseAudit(m redis.XMessage) AuditEvent {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	ev := AuditEvent{
		ID: m.ID, Type: str("type"), Actor: str("actor"), Subject: str("subject"),
		From: str("from"), To: str("to"),
	}
	if ms, err := strconv.ParseInt(str("at"), 10, 64); err == nil {
		ev.At = time.UnixMilli(ms)
	}
	if d := str("data"); d != "" && d != "{}" {
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber() // amounts stay integers, never floats
		_ = dec.Decode(&ev.Data)
	}
	return ev
}
