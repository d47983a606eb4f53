package decisions

import (
	"context"
	"log/slog"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/roster"
)

// Store is the storage of decisions. *store.Store implements it.
type Store interface {
	// CreateDecision stores a new decision with its audit event in one
	// atomic step; domain.ErrExists when the ID is taken.
	CreateDecision(ctx context.Context, d *domain.DecisionRecord, ev domain.Event) error
	// GetDecision returns a decision; domain.ErrDecisionNotFound when there
	// is none.
	GetDecision(ctx context.Context, team, id string) (*domain.DecisionRecord, error)
	// GetDecisions returns the decisions with these IDs, skipping missing ones.
	GetDecisions(ctx context.Context, team string, ids []string) ([]*domain.DecisionRecord, error)
	// UpdateDecision writes d when it is still at d.Version and in state
	// from, with ev, in one atomic step; a *domain.DecisionConflictError
	// holding the current decision when someone changed it first,
	// domain.ErrDecisionNotFound when it is gone.
	UpdateDecision(ctx context.Context, d *domain.DecisionRecord, from domain.DecisionState, ev *domain.Event) error
	// AttachMessage records m as the card of its level unless one is
	// recorded already (attached false), and returns the decision's version.
	AttachMessage(ctx context.Context, team, id string, m domain.DecisionMessage) (attached bool, version int64, err error)
	// DueDecisions returns the IDs of pending decisions whose deadline is
	// at or before now, earliest first, at most limit.
	DueDecisions(ctx context.Context, team string, now time.Time, limit int) ([]string, error)
	// PendingDecisions returns the IDs of pending decisions, earliest
	// deadline first, at most limit.
	PendingDecisions(ctx context.Context, team string, limit int) ([]string, error)
	// MarkCardsStale records that decision id's cards are about to be
	// updated (at), CardsFresh that they show its state; StaleCards lists
	// those marked at or before before whose update never succeeded, oldest
	// first, at most limit (the repair job updates them).
	MarkCardsStale(ctx context.Context, team, id string, at time.Time) error
	CardsFresh(ctx context.Context, team, id string) error
	StaleCards(ctx context.Context, team string, before time.Time, limit int) ([]string, error)
}

// Notifier tells people about decisions. Package handlers implements it:
// it renders the cards and DMs in Block Kit and sends them through the Web
// API. The service calls it after a change is saved, so a failure is
// logged, never undoes the change.
type Notifier interface {
	// PostCard posts the card asking level to answer d (in the
	// escalations channel, mentioning the level's approvers) and returns
	// the message, with Level set to level.
	PostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error)
	// RepostCard is PostCard for a card an earlier call may have posted
	// without its message being recorded (a crash between the two): it
	// returns that card when it is in the channel, and posts one only when
	// it is not.
	RepostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error)
	// UpdateCards brings every card of d (d.Messages) in line with d's
	// current state.
	UpdateCards(ctx context.Context, d *domain.DecisionRecord) error
	// WithdrawCard deletes a card that another replica's card beat to being
	// recorded.
	WithdrawCard(ctx context.Context, m domain.DecisionMessage) error
	// TellRequester tells d's requester, by DM, what e (approved, declined,
	// escalated, timeout) did to their decision.
	TellRequester(ctx context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) error
	// Remind reminds the approvers of d's level that d still waits for
	// them, in the thread of its card when it has one.
	Remind(ctx context.Context, d *domain.DecisionRecord) error
	// Changed tells the views of the people d concerns (the App Home) that
	// d changed. It never fails the caller.
	Changed(ctx context.Context, d *domain.DecisionRecord)
}

// Roster knows who is who under a policy: each person's policy team and
// who approves at which level for which team, user groups resolved.
// *roster.Roster implements it; it answers from memory once a policy is
// resolved.
type Roster interface {
	// View returns who is who under p; with an error (a user group that
	// could not be listed, counted as empty) the view is partial.
	View(ctx context.Context, p *domain.Policy) (*roster.View, error)
}

// Directory knows about people beyond the policy (who is away, …). The
// capabilities that need it find what they use on it by interface
// (AwayDirectory): package handlers implements them. It may be nil.
type Directory = any

// Clock tells the time; clock.Clock implements it.
type Clock interface {
	Now() time.Time
}

// Service is the decisions capability. Build it with New; it is safe for
// concurrent use.
type Service struct {
	policies *domain.Policies
	store    Store
	notify   Notifier
	roster   Roster
	dir      Directory
	clock    Clock
	log      *slog.Logger
}

// New returns the service for the policy in force in p (read once per
// operation, so a reload applies to what comes next), with r telling who
// is who under it and dir what else is known about people. Failures to tell people (a Slack error after a change is
// saved) are logged to log.
func New(p *domain.Policies, st Store, n Notifier, r Roster, dir Directory, clk Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{policies: p, store: st, notify: n, roster: r, dir: dir, clock: clk, log: log}
}

// policy returns the policy in force.
func (s *Service) policy() *domain.Policy { return s.policies.Current() }
