// Package commitments owns the rules of commitments: a leader's promise to
// one of their people, made with `/empower commit` or by accepting an
// employee's `/empower ask`. It decides who may make, answer, close or move
// one; its states and their changes (asked → open or declined, open → done,
// a new date), each written with its audit event; who is told what; the
// list of a person's commitments with their status; and which reminders
// the commitment_reminders job sends.
//
// It reaches storage through Store, people through Notifier (the adapter
// renders the words and the Block Kit of what it is asked to say) and
// Directory, and the time through Clock, all defined here. Its refusals are
// domain errors whose messages are what the person reads. It must not
// import slack-go, go-redis, cron or x/image, nor the handlers, store, jobs
// or bot packages.
package commitments

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Store keeps commitments. *store.Store implements it.
type Store interface {
	// CreateCommitment stores c (Team and ID set) and appends ev to the
	// audit stream in one atomic step; on success c.Version is 1. The ID
	// being taken is domain.ErrExists.
	CreateCommitment(ctx context.Context, c *domain.CommitmentRecord, ev domain.Event) error
	// GetCommitment returns commitment id of team, or
	// domain.ErrCommitmentNotFound.
	GetCommitment(ctx context.Context, team, id string) (*domain.CommitmentRecord, error)
	// UpdateCommitment writes c while the stored commitment is still at
	// c.Version and in state from, appending ev when not nil, in one atomic
	// step; on success c.Version grows by one. When someone changed it first
	// it returns a *domain.CommitmentConflictError and writes nothing; a
	// commitment gone is domain.ErrCommitmentNotFound.
	UpdateCommitment(ctx context.Context, c *domain.CommitmentRecord, from domain.CommitmentState, ev *domain.Event) error
	// AttachCommitmentDM records the ask's DM to the leader and returns
	// the commitment as it is then, in one step.
	AttachCommitmentDM(ctx context.Context, team, id string, dm domain.MessageRef) (*domain.CommitmentRecord, error)
	// CommitmentsOf returns the commitments user made (as leader) and those
	// made to them (as employee), newest first, at most limit of each.
	CommitmentsOf(ctx context.Context, team, user string, limit int) (byLeader, toEmployee []*domain.CommitmentRecord, err error)
	// OpenCommitmentsDueBy returns the IDs of open commitments due on or
	// before due ("2006-01-02"), earliest first, at most limit.
	OpenCommitmentsDueBy(ctx context.Context, team, due string, limit int) ([]string, error)
	// GetCommitments returns the commitments with these IDs, in that
	// order, skipping any that do not exist.
	GetCommitments(ctx context.Context, team string, ids []string) ([]*domain.CommitmentRecord, error)
	// ClaimCommitmentReminder leases c's reminder of kind for day
	// ("2006-01-02") to owner for lease: claimed for exactly one caller per
	// (commitment, day), and for a due-soon reminder once per due date;
	// not claimed when another owner holds it, it went out already, or c
	// is no longer open with that due date. The first overdue claim of a
	// due date appends overdue (when not nil) in the same step.
	ClaimCommitmentReminder(ctx context.Context, c *domain.CommitmentRecord, kind domain.ReminderKind, day, owner string, lease time.Duration, overdue *domain.Event) (claimed bool, err error)
	// CommitmentReminderSent records that owner sent c's reminder of day,
	// the DM dm, kept beside c while c is still open with c.Due, in one
	// step; settled reports that c is not (done or given a new date while
	// the DM was on its way).
	CommitmentReminderSent(ctx context.Context, c *domain.CommitmentRecord, day, owner string, dm domain.MessageRef) (settled bool, err error)
	// TakeCommitmentReminderDMs returns the reminder DMs kept for
	// commitment id and forgets them, in one step.
	TakeCommitmentReminderDMs(ctx context.Context, team, id string) ([]domain.MessageRef, error)
	// ReleaseCommitmentReminder gives owner's claim of c's reminder of day
	// back, so that a later run sends it.
	ReleaseCommitmentReminder(ctx context.Context, c *domain.CommitmentRecord, kind domain.ReminderKind, day, owner string) error
}

// Notifier tells people about commitments. The Slack adapter renders the
// words and buttons; the service decides who is told what, and when.
type Notifier interface {
	// AskLeader sends a new ask to its leader, with Accept and Decline,
	// and returns where that message is (for Store.AttachCommitmentDM).
	AskLeader(ctx context.Context, ask *domain.CommitmentRecord) (domain.MessageRef, error)
	// TellEmployee tells c's employee about ev, a change of c: a
	// commitment made to them, their ask accepted or declined, a
	// commitment done or given a new date.
	TellEmployee(ctx context.Context, c *domain.CommitmentRecord, ev domain.Event) error
	// TellLeader confirms to c's leader the commitment they made (ev).
	TellLeader(ctx context.Context, c *domain.CommitmentRecord, ev domain.Event) error
	// ShowAnswered shows the ask's message to the leader as answered, and
	// refreshes the place the leader answered from (at). It logs its own
	// failures: the answer is saved whatever happens here.
	ShowAnswered(ctx context.Context, c *domain.CommitmentRecord, at Origin)
	// ShowSettled shows the leader, where they acted (at, nil for
	// nowhere), what changed: the reminder updated in place, their list
	// refreshed; and every reminder DM of reminders (those of c sent
	// before the change) says so too, without its buttons. It logs its own
	// failures.
	ShowSettled(ctx context.Context, c *domain.CommitmentRecord, at Origin, reminders []domain.MessageRef)
	// Remind sends c's leader its reminder of kind, with Done and New date;
	// today is the day it is sent for. It returns the DM.
	Remind(ctx context.Context, c *domain.CommitmentRecord, kind domain.ReminderKind, today dates.Date) (domain.MessageRef, error)
	// Changed refreshes what shows c to its leader and employee (their App
	// Home). It never fails the caller.
	Changed(ctx context.Context, c *domain.CommitmentRecord)
}

// Origin is where a person acted on a commitment (the message or list
// whose button they clicked), in the terms of the adapter that took the
// click. The service never looks inside: it hands it back to the Notifier,
// so that the change is shown where it was made. It may be nil.
type Origin any

// Directory knows the people of the workspace.
type Directory interface {
	// IsMember reports whether user is one of ids: named directly (U…, W…)
	// or a member of one of its user groups (S…).
	IsMember(ctx context.Context, team, user string, ids []string) (bool, error)
	// Person tells what the workspace knows of user. An error means it
	// cannot say right now.
	Person(ctx context.Context, team, user string) (Person, error)
}

// Person is what the Directory knows of a user.
type Person struct {
	// Exists is false when the workspace has no such user.
	Exists bool
	// Bot is set for a bot user, Deactivated for a deactivated account.
	Bot, Deactivated bool
}

// Zones tells each person's time zone: the dates they type are read there
// (the zones package implements it; without one, everyone is in the
// policy's zone).
type Zones interface {
	Location(ctx context.Context, team, user string) *time.Location
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Config is what a Service needs.
type Config struct {
	Store     Store
	Notifier  Notifier
	Directory Directory
	Clock     Clock
	// Policies gives the policy in force: the leaders (the approvers of its levels), the timezone
	// dates are read and shown in, and commitments.remind_before.
	Policies *domain.Policies
	// BotUserID is the bot's own user, to whom nobody commits.
	BotUserID string
	Log       *slog.Logger
	// Zones, when set, gives each person's zone (see Zones).
	Zones Zones
	// Away, when set, tells which leaders are away: they get no
	// reminders meanwhile.
	Away AbsenceDirectory
}

// AbsenceDirectory tells which leaders are away at a moment (PRODUCT.md
// "Away and delegates"). Package handlers implements it over the away
// service.
type AbsenceDirectory interface {
	Absences(ctx context.Context, team string, at time.Time) (domain.Absences, error)
}

// Service applies the rules of commitments. Build it with New; it is safe
// for concurrent use.
type Service struct {
	store    Store
	notify   Notifier
	people   Directory
	clock    Clock
	policies *domain.Policies
	botID    string
	log      *slog.Logger
	zones    Zones
	away     AbsenceDirectory
}

// New returns a Service with the dependencies of c; a nil Log discards.
func New(c Config) *Service {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store: c.Store, notify: c.Notifier, people: c.Directory, clock: c.Clock,
		policies: c.Policies, botID: c.BotUserID, log: log, zones: c.Zones, away: c.Away,
	}
}

// leaders lists every approver of the policy, at top level and in every
// team, once each, in the policy's order: the people who make commitments
// and may be asked.
func (s *Service) leaders() []string { return s.policy().Leaders() }

// maxLeaderHint is how many leaders a refusal suggests by name.
const maxLeaderHint = 8

// leaderHint names the leaders one may ask, the first few of a long list.
func (s *Service) leaderHint() string {
	l := s.leaders()
	if len(l) <= maxLeaderHint {
		return slacktext.Mentions(l)
	}
	return fmt.Sprintf("%s and %d more", slacktext.Mentions(l[:maxLeaderHint]), len(l)-maxLeaderHint)
}

// IsLeader reports whether user is an approver at one of the policy's
// levels, top level or in a team, named directly or through a user group.
func (s *Service) IsLeader(ctx context.Context, team, user string) (bool, error) {
	return s.people.IsMember(ctx, team, user, s.leaders())
}

// today is the policy timezone's date now.
func (s *Service) today() dates.Date { return dates.Of(s.clock.Now().In(s.policy().Location)) }

// zoneOf is user's zone: where the dates they type are read and their
// today is.
func (s *Service) zoneOf(ctx context.Context, team, user string) *time.Location {
	if s.zones == nil {
		return s.policy().Location
	}
	return s.zones.Location(ctx, team, user)
}

// todayOf is user's date now, in their zone.
func (s *Service) todayOf(ctx context.Context, team, user string) dates.Date {
	return dates.Of(s.clock.Now().In(s.zoneOf(ctx, team, user)))
}

// event builds the audit event of a change of c, with payload p.
func event(c *domain.CommitmentRecord, p domain.Payload, actor, from, to string, at time.Time) domain.Event {
	return domain.Event{Actor: actor, Subject: c.ID, From: from, To: to, At: at, Payload: p}
}

// tellEmployee tells c's employee about ev; a failure is logged, the change
// is saved.
func (s *Service) tellEmployee(ctx context.Context, c *domain.CommitmentRecord, ev domain.Event) {
	if err := s.notify.TellEmployee(ctx, c, ev); err != nil {
		s.dmFailed(c, c.Employee, err)
	}
}

func (s *Service) dmFailed(c *domain.CommitmentRecord, user string, err error) {
	s.log.Warn("could not DM about a commitment", "team", c.Team, "commitment", c.ID, "user", user, "error", err.Error())
}

// policy returns the policy in force.
func (s *Service) policy() *domain.Policy { return s.policies.Current() }
