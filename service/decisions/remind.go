package decisions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Reminder before the move up (PRODUCT.md "Organisation scale"): once a
// pending decision has waited its level's remind_after at that level, each
// of the level's approvers gets one DM with the decision and the card's
// three buttons. The DMs are recorded beside the cards (ReminderDMs), so
// every later change of the decision updates them as it updates the cards,
// and acting from a DM is acting on the card.

// ReminderStore records the reminder DMs, each once. *store.Store
// implements it.
type ReminderStore interface {
	// ClaimDecisionReminder claims the reminder DM of approver for decision
	// id at level for owner for ttl: true for exactly one caller while the
	// DM is not recorded and the decision is still pending at that level.
	ClaimDecisionReminder(ctx context.Context, team, id string, level int, approver, owner string, ttl time.Duration) (bool, error)
	// DecisionReminderSent records the DM owner sent and ends the claim;
	// false when another DM is recorded for that approver and level.
	DecisionReminderSent(ctx context.Context, team, id string, m domain.ReminderDM, owner string) (bool, error)
	// ReleaseDecisionReminder gives back a claim whose DM could not be
	// sent.
	ReleaseDecisionReminder(ctx context.Context, team, id string, level int, approver, owner string) error
}

// ReminderNotifier sends and updates the reminder DMs. Package handlers'
// DecisionNotifier implements it, and its UpdateCards brings the reminder
// DMs up to date with the cards.
type ReminderNotifier interface {
	// SendReminderDM DMs approver that d waits for them at its current
	// level, with the card's content and buttons.
	SendReminderDM(ctx context.Context, d *domain.DecisionRecord, approver string) (domain.MessageRef, error)
	// UpdateReminderDM renders reminder DM m of d anew.
	UpdateReminderDM(ctx context.Context, d *domain.DecisionRecord, m domain.ReminderDM) error
	// WithdrawReminderDM deletes a duplicate reminder DM.
	WithdrawReminderDM(ctx context.Context, m domain.ReminderDM) error
}

// AwayDirectory tells which leaders are away at a moment; they get no
// reminders (PRODUCT.md "Away and delegates"). *handlers.Handlers
// implements it with the away service; a Directory without it has nobody
// away.
type AwayDirectory interface {
	AwayAt(ctx context.Context, team string, at time.Time) (domain.Absences, error)
}

// reminderLease is how long a replica holds one reminder DM's claim while
// it sends it; a replica that dies leaves it to the next run after this.
const reminderLease = 2 * time.Minute

// reminderParts are what the reminders need beyond the service's own
// interfaces: its Store, Notifier and Directory implement them in the real
// wiring (*store.Store, handlers.DecisionNotifier, *handlers.Handlers).
type reminderParts struct {
	store  ReminderStore
	notify ReminderNotifier
	away   AwayDirectory // nil: nobody is away
}

// errNoReminders says the service was built with parts that cannot send
// reminder DMs.
var errNoReminders = errors.New("reminders: the store or notifier cannot send reminder DMs")

func (s *Service) reminderParts() (reminderParts, error) {
	var r reminderParts
	var ok1, ok2 bool
	r.store, ok1 = s.store.(ReminderStore)
	r.notify, ok2 = s.notify.(ReminderNotifier)
	if !ok1 || !ok2 {
		return reminderParts{}, errNoReminders
	}
	r.away, _ = s.dir.(AwayDirectory)
	return r, nil
}

// Reminders is the reminder step of the escalation_timeouts job for team:
// every pending decision that has waited its level's remind_after at that
// level, and not yet its respond_within, gets one DM to each of the level's
// approvers (not the requester, nor anyone away), once per approver,
// decision and level, whatever the replicas, runs or restarts. A level
// without remind_after reminds no one.
func (s *Service) Reminders(ctx context.Context, team string) error {
	p := s.policy()
	if !slices.ContainsFunc(p.Levels, func(l domain.Level) bool { return l.RemindAfter > 0 }) {
		return nil
	}
	parts, err := s.reminderParts()
	if err != nil {
		return err
	}
	ids, err := s.store.PendingDecisions(ctx, team, timeoutBatch)
	if err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	ds, err := s.store.GetDecisions(ctx, team, ids)
	if err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	now := s.clock.Now()
	owner := newOwner()
	var away domain.Absences
	awayRead := false
	var errs []error
	for _, d := range ds {
		if !reminderDue(p, d, now) {
			continue
		}
		if !awayRead && parts.away != nil {
			// Once per run, and only when someone is due a reminder.
			if away, err = parts.away.AwayAt(ctx, team, now); err != nil {
				return fmt.Errorf("reminders: who is away: %w", err)
			}
			awayRead = true
		}
		users, err := s.remindees(ctx, p, d, away)
		if err != nil {
			errs = append(errs, fmt.Errorf("decision %s: %w", d.ID, err))
			continue
		}
		for _, u := range users {
			if err := s.remindOne(ctx, parts, d, u, owner); err != nil {
				errs = append(errs, fmt.Errorf("decision %s, reminder to %s: %w", d.ID, u, err))
			}
		}
	}
	return errors.Join(errs...)
}

// reminderDue reports whether, under p, pending d has waited its level's
// remind_after at that level by now, and its respond_within has not run out
// (then it moves up instead).
func reminderDue(p *domain.Policy, d *domain.DecisionRecord, now time.Time) bool {
	if d.State != domain.StatePending {
		return false
	}
	after := p.RemindAfter(d.Level)
	if after <= 0 {
		return false
	}
	if !d.Deadline.IsZero() && !now.Before(d.Deadline) {
		return false
	}
	return !now.Before(LevelSince(d).Add(after))
}

// LevelSince is when d reached its current level: when it was logged, or
// last moved up (escalated or timed out). A level's reminder clock starts
// there.
func LevelSince(d *domain.DecisionRecord) time.Time {
	for i := len(d.History) - 1; i >= 0; i-- {
		switch d.History[i].Action {
		case "created", "escalated", "timeout":
			return d.History[i].At
		}
	}
	return d.CreatedAt
}

// remindees are the users still to remind about d at its level: the
// approvers of d's policy team at its level (Approvers: user groups
// resolved by the roster), each once, with the delegate of an approver who
// is away in their place (what is routed to the away leader goes to their
// delegate too), without the requester, anyone away, anyone who approved
// at this level already (approvals_needed) and anyone reminded already.
func (s *Service) remindees(ctx context.Context, p *domain.Policy, d *domain.DecisionRecord, away domain.Absences) ([]string, error) {
	v, err := s.viewStrict(ctx, p)
	if err != nil {
		return nil, err
	}
	var users []string
	add := func(u string) {
		if _, sent := d.ReminderFor(d.Level, u); u == "" || u == d.Requester || sent || d.ApprovedBy(u) || away.IsAway(u) || slices.Contains(users, u) {
			return
		}
		users = append(users, u)
	}
	for _, u := range v.Approvers(d.TeamName, d.Level) {
		if a, ok := away[u]; ok {
			add(a.Delegate)
			continue
		}
		add(u)
	}
	return users, nil
}

// remindOne sends approver's reminder DM about d unless another run did:
// claim, send, record. When d changed while the DM was on its way, the DM
// is brought up to date at once.
func (s *Service) remindOne(ctx context.Context, parts reminderParts, d *domain.DecisionRecord, approver, owner string) error {
	claimed, err := parts.store.ClaimDecisionReminder(ctx, d.Team, d.ID, d.Level, approver, owner, reminderLease)
	if err != nil || !claimed {
		return err
	}
	ref, err := parts.notify.SendReminderDM(ctx, d, approver)
	if err != nil {
		// Nothing went out: the next run tries again.
		if rerr := parts.store.ReleaseDecisionReminder(context.WithoutCancel(ctx), d.Team, d.ID, d.Level, approver, owner); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	m := domain.ReminderDM{Level: d.Level, Approver: approver, MessageRef: ref}
	recorded, err := parts.store.DecisionReminderSent(context.WithoutCancel(ctx), d.Team, d.ID, m, owner)
	if err != nil {
		return err
	}
	if !recorded {
		// Another replica's DM was recorded first (our claim had run out).
		if err := parts.notify.WithdrawReminderDM(ctx, m); err != nil {
			s.log.Warn("could not delete a duplicate reminder DM", "decision", d.ID, "error", err.Error())
		}
		return nil
	}
	d.ReminderDMs = append(d.ReminderDMs, m)
	latest, err := s.store.GetDecision(ctx, d.Team, d.ID)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if latest.Version != d.Version {
		// Someone acted while the DM was on its way: show what happened.
		if err := parts.notify.UpdateReminderDM(ctx, latest, m); err != nil {
			s.log.Warn("could not update a reminder DM", "decision", d.ID, "error", err.Error())
		}
	}
	return nil
}

// newOwner returns a fresh owner ID for one run's claims.
func newOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
