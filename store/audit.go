package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// The audit stream.
//
// Every team has one Redis Stream, "<prefix>:{T123}:audit", that records each
// change of state the product makes (domain.Event; the types and what their
// envelopes hold are documented in domain/audit.go). Stats and the weekly
// digest read it back by time with ReadAudit; the App Home reads the read
// model the same scripts keep (home.go), never the stream.
//
// Each entry has these fields, all strings:
//
//	type     the event's type, "<thing>.<verb>" (domain.EventType)
//	actor    the Slack user who did it ("" for the bot itself, e.g. a timeout)
//	subject  what it happened to (a decision ID such as "D-7K2QF9")
//	from     where it was before ("" when created)
//	to       where it is after
//	at       when, in Unix milliseconds (the bot's clock)
//	data     the event's payload, a JSON object (domain.Event.EncodeData)
//
// Entry IDs are "<at>-<seq>"; when an event's at is not after the newest
// entry (clock skew between replicas, a clock moved back) it takes the
// newest entry's millisecond instead, so IDs only grow and an ID is never
// before its event's at. Reads select by the event's own at, never by the
// ID alone (auditRange): an event appended after the clock went back has
// an ID from the later time and still counts at its own. The stream has no
// length cap: the whole history is kept, unless the policy's retention trims
// what is older than it (TrimAudit).

// auditArgs returns ev's at (Unix ms) followed by its field/value pairs.
func auditArgs(ev domain.Event) ([]any, error) {
	return appendAuditArgs(make([]any, 0, auditArgsLen), ev)
}

// auditArgsLen is how many arguments auditArgs gives.
const auditArgsLen = 15

// appendAuditArgs appends auditArgs(ev) to dst.
func appendAuditArgs(dst []any, ev domain.Event) ([]any, error) {
	data, err := ev.EncodeData()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	at := strconv.FormatInt(ev.At.UnixMilli(), 10)
	return append(dst, at,
		"type", string(ev.Type()), "actor", ev.Actor, "subject", ev.Subject,
		"from", ev.From, "to", ev.To, "at", at, "data", data, // bytes: sent as they are, not copied
	), nil
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
  return redis.call('XADD', key, id, unpack(fields))
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
// the append is part of the same atomic step. It appends ev as it is: it is
// for events the read model does not keep (see Audit). It returns the command, whose
// result (the entry ID) is known once the pipeline ran.
func (s *Store) AppendAudit(ctx context.Context, c redis.Scripter, team string, ev domain.Event) (*redis.Cmd, error) {
	args, err := auditArgs(ev)
	if err != nil {
		return nil, err
	}
	// Eval (not EvalSha): a script cannot fall back to EVAL inside a pipeline.
	return c.Eval(ctx, "#!lua\n"+AuditLua+`
local aid = audit_id(KEYS[1], ARGV[1])
return audit_add(KEYS[1], aid, ARGV, 2)
`, []string{s.AuditKey(team)}, args...), nil
}

// auditPraiseScript appends a praise or win event and adds it to the praise
// index of the people it credits. KEYS: audit, then those indexes. ARGV:
// the audit event (at, fields…).
var auditPraiseScript = redis.NewScript("#!lua\n" + AuditLua + praiseIndexLua + `
local aid = audit_id(KEYS[1], ARGV[1])
local id = audit_add(KEYS[1], aid, ARGV, 2)
praise_index(2, id, ARGV[1])
return id
`)

// Audit appends ev, an event that no feature script writes, to team's audit
// stream and returns its ID.
//
// What the read model keeps of ev is kept in the same step, as the feature
// scripts keep it for theirs, so that what is appended here (an import, the
// end-to-end tests' set-ups) shows where the App Home reads it: praise and
// wins go into the praise index of the people they credit, and a
// commitment.made whose commitment has no record creates the record with its
// indexes (CreateCommitment). Other events are appended as they are.
func (s *Store) Audit(ctx context.Context, team string, ev domain.Event) (string, error) {
	if c, ok := madeCommitment(team, ev); ok {
		id, err := s.createCommitment(ctx, c, ev)
		if !errors.Is(err, domain.ErrExists) {
			return id, err
		}
	}
	args, err := auditArgs(ev)
	if err != nil {
		return "", err
	}
	script, keys := auditScript, []string{s.AuditKey(team)}
	if credited := praiseRecipients(ev); len(credited) > 0 {
		script, keys = auditPraiseScript, append(keys, s.praiseKeys(team, credited)...)
	}
	id, err := script.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return "", fmt.Errorf("append audit %s: %w", ev.Type(), err)
	}
	return id, nil
}

// madeCommitment is the record of the commitment a commitment.made event
// made, for Audit.
func madeCommitment(team string, ev domain.Event) (*CommitmentRecord, bool) {
	p, ok := ev.Payload.(domain.CommitmentMadeData)
	if !ok || ev.Subject == "" {
		return nil, false
	}
	return &CommitmentRecord{Commitment: domain.Commitment{
		ID: ev.Subject, Team: team, Leader: p.Leader, Employee: p.Employee, Text: p.Text,
		State: domain.CommitmentOpen, Source: p.Source, Due: p.Due, CreatedAt: ev.At, MadeAt: ev.At,
	}}, true
}

// ReadAudit returns team's audit events with at in [from, to), oldest
// (by at) first. An entry that does not decode is an error.
func (s *Store) ReadAudit(ctx context.Context, team string, from, to time.Time) ([]domain.Event, error) {
	var out []domain.Event
	err := s.EachAudit(ctx, team, from, to, func(ev domain.Event) error {
		out = append(out, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b domain.Event) int { return a.At.Compare(b.At) })
	return out, nil
}

// auditRange returns the stream IDs between which the entries with at in
// [from, to) lie. An entry's ID is never before its at, so the range starts
// at from; it is open at the end, because an entry appended while the clock
// was behind the stream's newest entry (the sandbox's clock moved forward
// and back, a node whose clock stepped back) has an ID later than its at:
// which entries are in [from, to) is decided by their own at. The readers
// ask for ranges that end now, so the open end costs next to nothing.
func auditRange(from time.Time) (start, end string) {
	return strconv.FormatInt(from.UnixMilli(), 10), "+"
}

// parseAudit decodes one stream entry.
func parseAudit(m redis.XMessage) (domain.Event, error) {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	ms, err := strconv.ParseInt(str("at"), 10, 64)
	if err != nil {
		return domain.Event{}, fmt.Errorf("entry %s: bad at %q", m.ID, str("at"))
	}
	p, err := domain.DecodePayload(domain.EventType(str("type")), []byte(str("data")))
	if err != nil {
		return domain.Event{}, fmt.Errorf("entry %s: %w", m.ID, err)
	}
	return domain.Event{
		ID: m.ID, Actor: str("actor"), Subject: str("subject"), From: str("from"), To: str("to"),
		At: time.UnixMilli(ms), Payload: p,
	}, nil
}
