// Package insights owns what the product tells people about how things
// stand: the figures of `/empower stats`, the weekly digest (its figures,
// and posting it once per tick), and each person's App Home (gathering what
// it shows from the read model, and re-publishing it when something that
// concerns them changes).
//
// The service gathers; it never renders. It talks to storage through Store,
// to Slack through Notifier (implemented in handlers, where the Block Kit
// and the chart are drawn) and learns who approves where from Approvers. It
// imports only domain, box, stats and the standard library: never slack-go,
// go-redis, cron, x/image, or the handlers, store and jobs packages.
package insights

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Store is the storage the service uses; *store.Store implements it.
type Store interface {
	// ReadAudit returns team's audit events with at in [from, to), oldest
	// first (stats and the digest).
	ReadAudit(ctx context.Context, team string, from, to time.Time) ([]domain.Event, error)
	// FeedbackRoundRate is a feedback round's response rate as it is now.
	FeedbackRoundRate(ctx context.Context, team, round string) (domain.FeedbackRate, error)
	// FanoutDelivered returns the people run of job reached; with
	// FeedbackAnswered (who answered a round) it gives a team's rate.
	FanoutDelivered(ctx context.Context, team, job, run string) ([]string, error)
	FeedbackAnswered(ctx context.Context, team, round string) (map[string]bool, error)

	// AwaitTickStep claims step at tick once across replicas, waiting while
	// another owner holds it: it returns the owner to finish it with, or ""
	// when the step is done already.
	AwaitTickStep(ctx context.Context, team, step string, tick time.Time, ttl, poll time.Duration) (string, error)
	// FinishTickStep marks owner's step done, remembered for keep.
	FinishTickStep(ctx context.Context, team, step string, tick time.Time, owner string, keep time.Duration) (bool, error)

	// MarkHomeOpened and HomeOpenedAll record and list who opened the App Home.
	MarkHomeOpened(ctx context.Context, team, user string) error
	HomeOpenedAll(ctx context.Context, team string) ([]string, error)
	// PersonalLimits returns user's own limits (earned autonomy), by
	// activity.
	PersonalLimits(ctx context.Context, team, user string) (domain.PersonalLimits, error)
	// RecentDecisions returns user's newest decisions, at most n.
	RecentDecisions(ctx context.Context, team, user string, n int) ([]domain.Decision, error)
	// WaitingDecisions returns the pending decisions, earliest deadline
	// first, at most n.
	WaitingDecisions(ctx context.Context, team string, n int) ([]domain.Decision, error)
	// CommitmentsOf returns the commitments user made and those made to
	// them, newest first, at most limit of each: what `/empower commitments`
	// lists (the commitments service reads them the same way).
	CommitmentsOf(ctx context.Context, team, user string, limit int) (byLeader, toEmployee []*domain.CommitmentRecord, err error)
	// LatestPraiseFor returns the latest praise or win crediting user with
	// at in [from, to); ok is false when there is none.
	LatestPraiseFor(ctx context.Context, team, user string, from, to time.Time) (ev domain.Event, ok bool, err error)
	// IndexPraise makes sure the praise index holds what was given since
	// since before it existed (once per team; later calls are one read).
	IndexPraise(ctx context.Context, team string, since time.Time) error
}

// Approvers says who approves at which level of the chain (the decisions
// service does, resolving user groups).
type Approvers interface {
	// LevelsOf returns, lowest first, the indexes of the levels whose
	// approvers include user.
	LevelsOf(ctx context.Context, team, user string) ([]int, error)
}

// Delegates is an optional part of Approvers (the decisions service has
// it): the away leader user may answer pending d for, as their delegate,
// "" for none (PRODUCT.md "Away and delegates").
type Delegates interface {
	AnswersFor(ctx context.Context, d *domain.Decision, user string) string
}

// Notifier renders and delivers what the service gathered.
type Notifier interface {
	// PublishHome renders h and publishes it as h.User's App Home.
	PublishHome(ctx context.Context, h *Home) error
	// PostDigest renders d, with its chart, and posts it to d.Channel; it
	// fails only when nothing could be posted.
	PostDigest(ctx context.Context, d *Digest) error
}

// Config holds the service's dependencies.
type Config struct {
	Store     Store
	Approvers Approvers
	// Teams resolves the policy's teams (optional: without it, the user
	// IDs the policy lists, user groups left out).
	Teams    Teams
	Notifier Notifier
	// Policies gives the policy in force.
	Policies *domain.Policies
	// Team is the workspace scheduled jobs work for (a payload names it
	// otherwise).
	Team string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log defaults to discarding.
	Log *slog.Logger
}

// Service is the insights service. Build it with New.
type Service struct {
	store    Store
	appr     Approvers
	teams    Teams
	notify   Notifier
	policies *domain.Policies
	team     string
	now      func() time.Time
	log      *slog.Logger
	homes    *Homes

	// praiseIndexed holds the teams whose praise index IndexPraise found
	// complete: it is not asked again.
	praiseIndexed sync.Map
}

// New returns the service of c.
func New(c Config) *Service {
	s := &Service{store: c.Store, appr: c.Approvers, teams: c.Teams, notify: c.Notifier, policies: c.Policies, team: c.Team, now: c.Now, log: c.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.homes = newHomes(s)
	return s
}

// Homes is the service's App Home refresher.
func (s *Service) Homes() *Homes { return s.homes }

// teamOr is team, or the service's own team when empty.
func (s *Service) teamOr(team string) string {
	if team == "" {
		return s.team
	}
	return team
}

// policy returns the policy in force.
func (s *Service) policy() *domain.Policy { return s.policies.Current() }
