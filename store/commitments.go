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

// Commitments.
//
// A commitment lives in the hash "<prefix>:{T}:commitment:<ID>" with the
// fields id, state, due ("2006-01-02", "" while an ask has none), ver (grows
// by one with every change), data (the whole Commitment as JSON) and dm
// ("<channel>|<ts>" of the ask's DM to the leader). Three sorted sets index it:
//
//	<prefix>:{T}:commitments:by-leader:<U>    the leader's, score = created (Unix ms)
//	<prefix>:{T}:commitments:by-employee:<U>  the employee's (and, for a commitment to a team, each
//	                                          member's), score = created (Unix ms)
//	<prefix>:{T}:commitments:open             open ones, score = due date as YYYYMMDD
//
// Every change is one Lua script that checks the expected version and state,
// writes the record, moves the open index and appends the audit event.
// Reminders are leased per (commitment, day) with ClaimCommitmentReminder
// (see lease.go).

// CommitmentRecord is a commitment as stored: the domain noun, plus its
// version and the ask's DM to the leader.
type CommitmentRecord = domain.CommitmentRecord

func (s *Store) commitmentKey(team, id string) string { return s.keys.Team(team, "commitment", id) }
func (s *Store) openCommitmentsKey(team string) string {
	return s.keys.Team(team, "commitments", "open")
}
func (s *Store) leaderCommitmentsKey(team, user string) string {
	return s.keys.Team(team, "commitments", "by-leader", user)
}
func (s *Store) employeeCommitmentsKey(team, user string) string {
	return s.keys.Team(team, "commitments", "by-employee", user)
}

// openScore is c's score in the open index (its due date as YYYYMMDD), or
// "" when it is not open.
func openScore(c *CommitmentRecord) string {
	if c.State != domain.CommitmentOpen {
		return ""
	}
	if c.Due == "" {
		return "99991231"
	}
	return strings.ReplaceAll(c.Due, "-", "")
}

// createCommitmentScript stores a new commitment with its indexes and audit
// event. KEYS: commitment, open, by-leader, audit, then the by-employee
// index of each person it is to (one, or a team's members). ARGV: id,
// state, due, data, created ms, open score ("" when not open), then the
// audit event (at, fields…). Returns the audit entry's ID, or 0 when the
// commitment exists (nothing is written).
var createCommitmentScript = redis.NewScript("#!lua\n" + AuditLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local aid = audit_id(KEYS[4], ARGV[7])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', ARGV[2], 'due', ARGV[3], 'ver', 1, 'data', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
for i = 5, #KEYS do redis.call('ZADD', KEYS[i], ARGV[5], ARGV[1]) end
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1]) end
return audit_add(KEYS[4], aid, ARGV, 8)
`)

// updateCommitmentScript applies one change when the commitment is still at
// the expected version and state. KEYS: commitment, open, audit. ARGV: id,
// expected version, expected state, new state, due, data, open score ("" to
// leave the open index), then optionally the audit event (at, fields…).
// Returns {'ok', version}, {'conflict', {fields and values}} or 'missing'.
var updateCommitmentScript = redis.NewScript("#!lua\n" + AuditLua + `
local cur = redis.call('HMGET', KEYS[1], 'ver', 'state')
if not cur[1] then return 'missing' end
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then return {'conflict', redis.call('HGETALL', KEYS[1])} end
local aid = nil
if #ARGV >= 8 then aid = audit_id(KEYS[3], ARGV[8]) end
local ver = tonumber(cur[1]) + 1
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'due', ARGV[5], 'ver', ver, 'data', ARGV[6])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if aid then audit_add(KEYS[3], aid, ARGV, 9) end
return {'ok', ver}
`)

// CreateCommitment stores c (with Team and ID set) and appends ev to the
// audit stream, in one atomic step. It returns domain.ErrExists when the ID is
// taken. On success c.Version is 1.
func (s *Store) CreateCommitment(ctx context.Context, c *CommitmentRecord, ev domain.Event) error {
	_, err := s.createCommitment(ctx, c, ev)
	return err
}

// createCommitment is CreateCommitment, returning the audit entry's ID.
func (s *Store) createCommitment(ctx context.Context, c *CommitmentRecord, ev domain.Event) (string, error) {
	data, err := json.Marshal(&c.Commitment)
	if err != nil {
		return "", fmt.Errorf("encode commitment: %w", err)
	}
	audit, err := auditArgs(ev)
	if err != nil {
		return "", err
	}
	keys := []string{
		s.commitmentKey(c.Team, c.ID), s.openCommitmentsKey(c.Team),
		s.leaderCommitmentsKey(c.Team, c.Leader), s.AuditKey(c.Team),
	}
	if c.Employee != "" {
		keys = append(keys, s.employeeCommitmentsKey(c.Team, c.Employee))
	}
	for _, m := range c.Members {
		// A commitment to a team is listed to each of its people.
		if m != "" && m != c.Employee && m != c.Leader {
			keys = append(keys, s.employeeCommitmentsKey(c.Team, m))
		}
	}
	args := append([]any{c.ID, string(c.State), c.Due, string(data), c.CreatedAt.UnixMilli(), openScore(c)}, audit...)
	res, err := createCommitmentScript.Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return "", fmt.Errorf("create commitment: %w", err)
	}
	id, ok := res.(string)
	if !ok {
		return "", domain.ErrExists
	}
	c.Version = 1
	return id, nil
}

// UpdateCommitment writes c when the stored commitment is still at
// c.Version and in state from, moving the open index along and appending ev
// when not nil, in one atomic step. On success c.Version grows by one. When
// someone changed it first it returns a *domain.CommitmentConflictError holding the
// current commitment, and nothing is written.
func (s *Store) UpdateCommitment(ctx context.Context, c *CommitmentRecord, from domain.CommitmentState, ev *domain.Event) error {
	data, err := json.Marshal(&c.Commitment)
	if err != nil {
		return fmt.Errorf("encode commitment: %w", err)
	}
	keys := []string{s.commitmentKey(c.Team, c.ID), s.openCommitmentsKey(c.Team), s.AuditKey(c.Team)}
	args := []any{c.ID, c.Version, string(from), string(c.State), c.Due, string(data), openScore(c)}
	if ev != nil {
		audit, err := auditArgs(*ev)
		if err != nil {
			return err
		}
		args = append(args, audit...)
	}
	res, err := updateCommitmentScript.Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return fmt.Errorf("update commitment: %w", err)
	}
	if str, ok := res.(string); ok && str == "missing" {
		return domain.ErrCommitmentNotFound
	}
	arr, ok := res.([]any)
	if !ok || len(arr) < 2 {
		return fmt.Errorf("update commitment: unexpected reply %v", res)
	}
	switch arr[0] {
	case "ok":
		v, _ := arr[1].(int64)
		c.Version = v
		return nil
	case "conflict":
		cur, err := decodeCommitment(pairsToMap(arr[1]))
		if err != nil {
			return fmt.Errorf("update commitment: %w", err)
		}
		return &domain.CommitmentConflictError{Current: cur}
	}
	return fmt.Errorf("update commitment: unexpected reply %v", res)
}

// GetCommitment returns the commitment id of team, or domain.ErrCommitmentNotFound.
func (s *Store) GetCommitment(ctx context.Context, team, id string) (*CommitmentRecord, error) {
	m, err := s.rdb.HGetAll(ctx, s.commitmentKey(team, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("get commitment: %w", err)
	}
	return decodeCommitment(m)
}

func decodeCommitment(m map[string]string) (*CommitmentRecord, error) {
	vs, ok1 := m["ver"]
	ds, ok2 := m["data"]
	if !ok1 || !ok2 {
		return nil, domain.ErrCommitmentNotFound
	}
	var c CommitmentRecord
	if err := json.Unmarshal([]byte(ds), &c.Commitment); err != nil {
		return nil, fmt.Errorf("decode commitment: %w", err)
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("decode commitment version %q: %w", vs, err)
	}
	c.Version = v
	if ch, ts, ok := strings.Cut(m["dm"], "|"); ok {
		c.AskDM = domain.MessageRef{Channel: ch, TS: ts}
	}
	return &c, nil
}

// attachDMScript records the ask's DM of commitment KEYS[1] (ARGV[1]
// "<channel>|<ts>") and returns the commitment as it is now (nothing when
// it is gone).
var attachDMScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('HSET', KEYS[1], 'dm', ARGV[1])
return redis.call('HGETALL', KEYS[1])
`)

// AttachCommitmentDM records the ask's DM to the leader, without changing
// the version, and returns the commitment as it is then, in one step: one
// answered while the DM was on its way (its answer found no DM to update)
// is no longer asked, and the caller shows the DM answered. A commitment
// that is gone is domain.ErrCommitmentNotFound.
func (s *Store) AttachCommitmentDM(ctx context.Context, team, id string, dm domain.MessageRef) (*CommitmentRecord, error) {
	res, err := attachDMScript.Run(ctx, s.rdb, []string{s.commitmentKey(team, id)}, dm.Channel+"|"+dm.TS).Result()
	if err != nil {
		return nil, fmt.Errorf("attach commitment dm: %w", err)
	}
	c, err := decodeCommitment(pairsToMap(res))
	if err != nil {
		return nil, fmt.Errorf("attach commitment dm %s: %w", id, err)
	}
	return c, nil
}

// GetCommitments returns the commitments with these IDs in one round trip,
// in that order, skipping any that do not exist.
func (s *Store) GetCommitments(ctx context.Context, team string, ids []string) ([]*CommitmentRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.commitmentKey(team, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get commitments: %w", err)
	}
	out := make([]*CommitmentRecord, 0, len(ids))
	for _, c := range cmds {
		cm, err := decodeCommitment(c.Val())
		if errors.Is(err, domain.ErrCommitmentNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cm)
	}
	return out, nil
}

// CommitmentsOf returns the commitments user made (as leader) and those made
// to them (as employee), newest first, at most limit of each.
func (s *Store) CommitmentsOf(ctx context.Context, team, user string, limit int) (byLeader, toEmployee []*CommitmentRecord, err error) {
	var lc, ec *redis.StringSliceCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		lc = p.ZRevRange(ctx, s.leaderCommitmentsKey(team, user), 0, int64(limit)-1)
		ec = p.ZRevRange(ctx, s.employeeCommitmentsKey(team, user), 0, int64(limit)-1)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("commitments of %s: %w", user, err)
	}
	if byLeader, err = s.GetCommitments(ctx, team, lc.Val()); err != nil {
		return nil, nil, err
	}
	if toEmployee, err = s.GetCommitments(ctx, team, ec.Val()); err != nil {
		return nil, nil, err
	}
	return byLeader, toEmployee, nil
}

// OpenCommitmentsDueBy returns the IDs of open commitments due on or before
// due, earliest first, at most limit.
func (s *Store) OpenCommitmentsDueBy(ctx context.Context, team, due string, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.openCommitmentsKey(team), Start: "-inf", Stop: strings.ReplaceAll(due, "-", ""),
		ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("open commitments: %w", err)
	}
	return ids, nil
}

// Reminder DMs of a commitment. Each reminder DM sent is recorded in the
// commitment's hash as the field "remind:<day>" = "<channel>|<ts>", by the
// script that ends the day's lease, and only while the commitment is still
// open with the due date the reminder was for; otherwise that script
// answers that it was settled meanwhile and the sender shows it so. Once the
// commitment is done or given a new date, TakeCommitmentReminderDMs takes
// them all (read and deleted in one step), so that exactly one change shows
// each of them settled. At most maxReminderDMs are kept: the oldest go.

// maxReminderDMs bounds the reminder DMs kept per commitment (a month of
// daily overdue nudges).
const maxReminderDMs = 31

// reminderDMPrefix starts the commitment hash's fields of reminder DMs.
const reminderDMPrefix = "remind:"

// reminderKind is the lease of one commitment's reminder on one day
// ("<prefix>:{T}:commitment-remind:<ID>:<day>", "1" in older versions,
// which counts as done). A marker per kind and due date
// ("…:commitment-remind:<ID>:<kind>:<due>") makes a due-soon reminder go out
// once per due date and the overdue event be appended once.
//
// claim: KEYS[2] commitment, KEYS[3] marker, KEYS[4] audit; ARGV[4] due,
// ARGV[5] kind, ARGV[6] marker ttl ms, then the overdue audit event (at,
// fields…) or nothing. The commitment must be open with that due date, and
// a due-soon reminder needs its marker unset; the first claim of a due date
// sets the marker, and an overdue one appends the event.
//
// done: KEYS[2] commitment; ARGV[4] field, ARGV[5] "<channel>|<ts>",
// ARGV[6] due, ARGV[7] how many reminder DMs to keep. The DM is recorded
// while the commitment is open with that due date (the oldest beyond the
// bound go); otherwise the lease ends and the script answers 4: the
// commitment was settled while the DM was on its way.
//
// release: KEYS[2] marker; ARGV[4] kind. A due-soon reminder's marker goes
// with the lease, so that a later run sends it.
var reminderKind = newLeaseKind(leaseHooks{
	prelude: AuditLua,
	claim: `
local cur = redis.call('HMGET', KEYS[2], 'state', 'due')
if cur[1] ~= 'open' or cur[2] ~= ARGV[4] then return lease_done('') end
local first = redis.call('EXISTS', KEYS[3]) == 0
if ARGV[5] == 'soon' and not first then return lease_done('') end
local aid = nil
if ARGV[5] == 'overdue' and first and #ARGV >= 7 then aid = audit_id(KEYS[4], ARGV[7]) end
if first then redis.call('SET', KEYS[3], '1', 'PX', ARGV[6]) end
if aid then audit_add(KEYS[4], aid, ARGV, 8) end`,
	done: `
if #KEYS >= 2 and #ARGV >= 7 and redis.call('EXISTS', KEYS[2]) == 1 then
  local cur = redis.call('HMGET', KEYS[2], 'state', 'due')
  if cur[1] ~= 'open' or cur[2] ~= ARGV[6] then
    redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
    return 4
  end
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
  local fields = {}
  for _, k in ipairs(redis.call('HKEYS', KEYS[2])) do
    if string.sub(k, 1, 7) == 'remind:' then fields[#fields + 1] = k end
  end
  local keep = tonumber(ARGV[7])
  if #fields > keep then
    table.sort(fields)
    for i = 1, #fields - keep do redis.call('HDEL', KEYS[2], fields[i]) end
  end
end`,
	release: `
if ARGV[4] == 'soon' then redis.call('DEL', KEYS[2]) end`,
})

// takeReminderDMsScript reads and deletes the reminder DMs of commitment
// KEYS[1]; it returns field, value pairs.
var takeReminderDMsScript = redis.NewScript(`
local out = {}
for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(k, 1, 7) == 'remind:' then
    out[#out + 1] = k
    out[#out + 1] = redis.call('HGET', KEYS[1], k)
    redis.call('HDEL', KEYS[1], k)
  end
end
return out
`)

// Retention of reminder leases and markers.
const (
	reminderDayKeep    = 3 * 24 * time.Hour
	reminderMarkerKeep = 400 * 24 * time.Hour
)

func (s *Store) reminderKey(c *CommitmentRecord, day string) string {
	return s.keys.Team(c.Team, "commitment-remind", c.ID, day)
}

func (s *Store) reminderMarkerKey(c *CommitmentRecord, kind domain.ReminderKind) string {
	return s.keys.Team(c.Team, "commitment-remind", c.ID, string(kind), c.Due)
}

// ClaimCommitmentReminder claims the reminder of kind
// (domain.ReminderDueSoon or domain.ReminderOverdue) of open commitment c
// for day ("2006-01-02" in the policy's timezone) for owner for lease:
// claimed is true for exactly one caller per (commitment, day), whatever
// the replicas, and for a due-soon reminder once per due date; false while
// another owner holds it, and when it went out already or needs sending no
// more. The first overdue claim of a due date appends overdue (when not
// nil) to the audit stream in the same step. The caller sends the
// reminder, then calls CommitmentReminderSent, or ReleaseCommitmentReminder
// when it could not.
func (s *Store) ClaimCommitmentReminder(ctx context.Context, c *CommitmentRecord, kind domain.ReminderKind, day, owner string, lease time.Duration, overdue *domain.Event) (claimed bool, err error) {
	keys := []string{s.reminderKey(c, day), s.commitmentKey(c.Team, c.ID), s.reminderMarkerKey(c, kind), s.AuditKey(c.Team)}
	args := []any{c.Due, string(kind), reminderMarkerKeep.Milliseconds()}
	if overdue != nil && kind == domain.ReminderOverdue {
		audit, err := auditArgs(*overdue)
		if err != nil {
			return false, err
		}
		args = append(args, audit...)
	}
	st, _, err := s.claimLease(ctx, reminderKind, keys, owner, lease, args...)
	if err != nil {
		return false, fmt.Errorf("claim commitment reminder %s %s: %w", c.ID, day, err)
	}
	return st == LeaseClaimed, nil
}

// CommitmentReminderSent records that owner sent c's reminder of day, the
// DM dm: no one sends it again that day, and the DM is kept beside the
// commitment (see TakeCommitmentReminderDMs) while the commitment is still
// open with c.Due, in the same step. settled reports that it is not any
// more (done, or given a new date, while the DM was on its way): the
// caller shows dm settled. Recording it again is harmless.
func (s *Store) CommitmentReminderSent(ctx context.Context, c *CommitmentRecord, day, owner string, dm domain.MessageRef) (settled bool, err error) {
	keys := []string{s.reminderKey(c, day), s.commitmentKey(c.Team, c.ID)}
	args := leaseArgs(owner, reminderDayKeep.Milliseconds(), "",
		[]any{reminderDMPrefix + day, dm.Channel + "|" + dm.TS, c.Due, maxReminderDMs})
	n, err := reminderKind.done.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("record commitment reminder %s %s: %w", c.ID, day, err)
	}
	switch n {
	case 1:
		return false, nil
	case 4:
		return true, nil
	case 2:
		// Finished already (a retry, or an older version's marker): settled
		// when the commitment moved on since.
		cur, err := s.GetCommitment(ctx, c.Team, c.ID)
		if errors.Is(err, domain.ErrCommitmentNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("record commitment reminder %s %s: %w", c.ID, day, err)
		}
		return cur.State != domain.CommitmentOpen || cur.Due != c.Due, nil
	}
	return false, fmt.Errorf("record commitment reminder %s %s: %w", c.ID, day, ErrLeaseHeld)
}

// TakeCommitmentReminderDMs returns the reminder DMs recorded for
// commitment id, oldest first, and forgets them, in one step: of two
// changes racing, each DM goes to one. Taken after the change is written,
// none recorded before it is missed (one recorded after it finds the
// commitment settled, see CommitmentReminderSent).
func (s *Store) TakeCommitmentReminderDMs(ctx context.Context, team, id string) ([]domain.MessageRef, error) {
	res, err := takeReminderDMsScript.Run(ctx, s.rdb, []string{s.commitmentKey(team, id)}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("take reminder dms of %s: %w", id, err)
	}
	type dm struct{ day, v string }
	var all []dm
	for i := 0; i+1 < len(res); i += 2 {
		all = append(all, dm{res[i], res[i+1]})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].day < all[j].day })
	out := make([]domain.MessageRef, 0, len(all))
	for _, d := range all {
		if ref := parseMsgRef(d.v); !ref.IsZero() {
			out = append(out, ref)
		}
	}
	return out, nil
}

// ReleaseCommitmentReminder gives back owner's claim of the day's reminder
// (and a due-soon marker) after the reminder could not be sent, so a later
// run retries.
func (s *Store) ReleaseCommitmentReminder(ctx context.Context, c *CommitmentRecord, kind domain.ReminderKind, day, owner string) error {
	keys := []string{s.reminderKey(c, day), s.reminderMarkerKey(c, kind)}
	if _, err := s.releaseLease(ctx, reminderKind, keys, owner, string(kind)); err != nil {
		return fmt.Errorf("release commitment reminder %s: %w", c.ID, err)
	}
	return nil
}
