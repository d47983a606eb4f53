package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Reminder DMs of pending decisions (PRODUCT.md "Reminder before the move
// up").
//
// Each approver of a level gets one reminder DM per decision and level. The
// DM is recorded in the decision's hash, beside its cards, as the field
// "remind:<level>:<user>" = "<channel>|<ts>"; recording it does not change
// the decision's version, so it never races a person's answer. Sending it
// is guarded by a lease ("<prefix>:{T}:decision-remind:<ID>:<level>:<user>",
// the same hash tag as the decision), so two replicas or two runs send it
// once: the claim finds the DM recorded, or the decision no longer pending
// at that level, and answers done; the lease's key goes when the DM is
// recorded, the field keeps the answer.

// decisionReminderKind is the lease of one approver's reminder DM.
//
// claim: KEYS[2] decision; ARGV[4] field, ARGV[5] level. Done when the field
// is set or the decision is not pending at that level (or gone).
//
// done: KEYS[2] decision; ARGV[4] field, ARGV[5] level, ARGV[6]
// "<channel>|<ts>". The field is set unless it is (HSETNX) or the decision
// is gone; a field set by another owner (its lease expired and was taken
// over) makes the script answer 3, so the caller withdraws its duplicate.
var decisionReminderKind = newLeaseKind(leaseHooks{
	claim: `
if redis.call('HEXISTS', KEYS[2], ARGV[4]) == 1 then return lease_done('sent') end
local cur = redis.call('HMGET', KEYS[2], 'state', 'level')
if cur[1] ~= 'pending' or cur[2] ~= ARGV[5] then return lease_done('stale') end`,
	done: `
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[6]) == 0 then
  if redis.call('HGET', KEYS[2], ARGV[4]) ~= ARGV[6] then
    redis.call('DEL', KEYS[1])
    return 3
  end
end`,
})

// reminderField is the decision hash's field of approver's reminder DM for
// level.
func reminderField(level int, approver string) string {
	return "remind:" + strconv.Itoa(level) + ":" + approver
}

func (s *Store) decisionReminderKeys(team, id string, level int, approver string) []string {
	return []string{
		s.keys.Team(team, "decision-remind", id, strconv.Itoa(level), approver),
		s.decisionKey(team, id),
	}
}

// ClaimDecisionReminder claims, for owner for ttl, the reminder DM of
// approver for decision id at level: true for exactly one caller, whatever
// the replicas, while the DM is not recorded and the decision is still
// pending at that level; false while another owner holds it, and when it
// was sent already or needs sending no more. The caller sends the DM, then
// calls DecisionReminderSent, or ReleaseDecisionReminder when it could not.
func (s *Store) ClaimDecisionReminder(ctx context.Context, team, id string, level int, approver, owner string, ttl time.Duration) (bool, error) {
	st, _, err := s.claimLease(ctx, decisionReminderKind, s.decisionReminderKeys(team, id, level, approver), owner, ttl,
		reminderField(level, approver), level)
	if err != nil {
		return false, fmt.Errorf("claim reminder of %s for %s: %w", id, approver, err)
	}
	return st == LeaseClaimed, nil
}

// DecisionReminderSent records m, the reminder DM owner sent, beside the
// decision's cards, and ends owner's claim. It reports false when another
// DM is recorded for that approver and level already (owner's claim
// expired and another owner sent one meanwhile): the caller withdraws m.
// Recording it again is harmless.
func (s *Store) DecisionReminderSent(ctx context.Context, team, id string, m domain.ReminderDM, owner string) (recorded bool, err error) {
	n, err := decisionReminderKind.done.Run(ctx, s.rdb, s.decisionReminderKeys(team, id, m.Level, m.Approver),
		leaseArgs(owner, 0, "", []any{reminderField(m.Level, m.Approver), m.Level, m.Channel + "|" + m.TS})...).Int()
	if err != nil {
		return false, fmt.Errorf("record reminder of %s for %s: %w", id, m.Approver, err)
	}
	switch n {
	case 1:
		return true, nil
	case 3:
		return false, nil
	case 2:
		// Finished already: by us (a retry) when the field holds m.
		got, err := s.rdb.HGet(ctx, s.decisionKey(team, id), reminderField(m.Level, m.Approver)).Result()
		if err != nil {
			return false, fmt.Errorf("record reminder of %s for %s: %w", id, m.Approver, err)
		}
		return got == m.Channel+"|"+m.TS, nil
	}
	return false, fmt.Errorf("record reminder of %s for %s: %w", id, m.Approver, ErrLeaseHeld)
}

// ReleaseDecisionReminder gives back owner's claim of a reminder DM that
// could not be sent, so that a later run sends it.
func (s *Store) ReleaseDecisionReminder(ctx context.Context, team, id string, level int, approver, owner string) error {
	if _, err := s.releaseLease(ctx, decisionReminderKind, s.decisionReminderKeys(team, id, level, approver), owner); err != nil {
		return fmt.Errorf("release reminder of %s for %s: %w", id, approver, err)
	}
	return nil
}

// decodeReminderDMs reads the reminder DMs of a decision's hash m into d.
func decodeReminderDMs(d *domain.DecisionRecord, m map[string]string) {
	for k, val := range m {
		rest, ok := strings.CutPrefix(k, "remind:")
		if !ok {
			continue
		}
		l, user, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		level, err := strconv.Atoi(l)
		ch, ts, found := strings.Cut(val, "|")
		if err != nil || !found || user == "" {
			continue
		}
		d.ReminderDMs = append(d.ReminderDMs, domain.ReminderDM{Level: level, Approver: user, MessageRef: domain.MessageRef{Channel: ch, TS: ts}})
	}
	sort.Slice(d.ReminderDMs, func(i, j int) bool {
		a, b := d.ReminderDMs[i], d.ReminderDMs[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.Approver < b.Approver
	})
}

// DecisionReminderDMs returns the reminder DMs recorded for decision id as
// they are now, for a caller whose copy of the decision may predate the
// latest: one that updates them after a change reads them after its write,
// so that a DM recorded meanwhile is not missed.
func (s *Store) DecisionReminderDMs(ctx context.Context, team, id string) ([]domain.ReminderDM, error) {
	m, err := s.rdb.HGetAll(ctx, s.decisionKey(team, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("reminder DMs of %s: %w", id, err)
	}
	var d domain.DecisionRecord
	decodeReminderDMs(&d, m)
	return d.ReminderDMs, nil
}
