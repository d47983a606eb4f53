// Package recognition owns praise, team wins and the outcomes of
// decisions: the daily limit on praise, no self-praise and no bots, posting
// to the praise feed exactly once with its audit event, recording how a
// decision turned out (once, by its requester), public praise for what
// worked and a private thank-you and a word to the leaders for what did
// not, notes on outcomes, and the outcome follow-up DMs of the
// outcome_followups job.
//
// It talks to storage through Store, to Slack through Notifier (what to
// tell whom, never how it looks) and Directory (who a person is, who leads
// them), interfaces it defines and package handlers and *store.Store
// implement. It imports only domain, the project's pure packages (command,
// slacktext) and the standard library; never slack-go, go-redis, cron or
// x/image, nor handlers, store, jobs or bot.
package recognition

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Store is the storage the service needs; *store.Store implements it.
// Missing decisions are errors whose domain.ErrorCode is domain.NotFound.
type Store interface {
	// GivePraise counts one post to the praise feed by giver on day and
	// appends ev, in one step, unless giver already posted limit times that
	// day (ok is false, nothing written).
	GivePraise(ctx context.Context, team, giver, day string, limit int, ev domain.Event) (t domain.PraiseTicket, ok bool, err error)
	// GiveReactionPraise is GivePraise for praise by reaction to the
	// message channel/ts, given once per giver and message: when giver
	// already praised it, ok is false and t.Already true, nothing written.
	GiveReactionPraise(ctx context.Context, team, giver, day string, limit int, channel, ts string, ev domain.Event) (t domain.PraiseTicket, ok bool, err error)
	// GiveRequestPraise is GivePraise for the request req (a slash
	// command's domain.RequestKey): handled again (a redelivery after a
	// crash), it writes nothing and answers the first call's ticket (ok,
	// post it) until PraisePosted, then t.Already.
	GiveRequestPraise(ctx context.Context, team, giver, day string, limit int, req string, ev domain.Event) (t domain.PraiseTicket, ok bool, err error)
	// PraisePosted records that the post of t (from GiveRequestPraise)
	// went out.
	PraisePosted(ctx context.Context, t domain.PraiseTicket) error
	// UndoPraise takes back a ticket whose post failed.
	UndoPraise(ctx context.Context, t domain.PraiseTicket) error
	// PendingReactionPraise returns the praise by reaction of team that
	// was given but is not recorded as posted, due for a repair at due
	// (given or last claimed before it), oldest first, at most n, as
	// their audit events.
	PendingReactionPraise(ctx context.Context, team string, due time.Time, n int) ([]domain.Event, error)
	// ClaimReactionPraise claims the praise by reaction with audit entry
	// id, due at due, until until: claimed means the caller posts it now.
	ClaimReactionPraise(ctx context.Context, team, id string, due, until time.Time) (bool, error)
	// ReactionTicket is the ticket of the praise by reaction ev (from
	// PendingReactionPraise), given on day, for UndoPraise.
	ReactionTicket(team, day string, ev domain.Event) domain.PraiseTicket
	// ReactionPraisePosted records that the praise by reaction with audit
	// entry id is posted: no repair posts it again.
	ReactionPraisePosted(ctx context.Context, team, id string) error
	// Decision returns decision id of team.
	Decision(ctx context.Context, team, id string) (*domain.Decision, error)
	// RecordOutcome records, once, how decision id turned out, as told by
	// user in request (domain.RequestKey), and appends ev in the same
	// step; refusals are *domain.OutcomeRefusal.
	RecordOutcome(ctx context.Context, team, id, user, result, note, request string, ev domain.Event) (*domain.Decision, error)
	// AddOutcomeNote adds user's note to the recorded outcome of decision
	// id, once, as given in request (domain.RequestKey), appending ev;
	// refusals are *domain.OutcomeRefusal.
	AddOutcomeNote(ctx context.Context, team, id, user, note, request string, ev domain.Event) (*domain.Decision, error)
	// SetPraiseMessage records where the praise post of decision id is.
	SetPraiseMessage(ctx context.Context, team, id string, at domain.MessageRef) error

	// DueFollowUps returns the IDs of decisions whose follow-up is due at
	// now, earliest first, at most limit.
	DueFollowUps(ctx context.Context, team string, now time.Time, limit int) ([]string, error)
	// ClaimFollowUp claims the follow-up of decision id for owner for
	// lease: claimed means the caller sends it now; otherwise it needs
	// nothing or another run is sending it. A claim whose owner died
	// expires after lease. again means an earlier claim was taken: the DM
	// may be out already, unrecorded.
	ClaimFollowUp(ctx context.Context, team, id, owner string, lease time.Duration) (claimed, again bool, err error)
	// FollowUpSent records, with ev (outcome.asked), that owner's
	// follow-up of decision id went out at, and ends the claim, in one
	// step; recorded is the decision when its outcome was recorded while
	// the DM was on its way (nil otherwise); an error of code
	// domain.Conflict when another run holds the claim now.
	FollowUpSent(ctx context.Context, team, id, owner string, at domain.MessageRef, ev domain.Event) (recorded *domain.Decision, err error)
	// FollowUpRefused gives up the follow-up of decision id for good,
	// recording why (reason) and ending owner's claim.
	FollowUpRefused(ctx context.Context, team, id, owner, reason string) error
	// ReleaseFollowUp gives up owner's claim, so that a later run sends it.
	ReleaseFollowUp(ctx context.Context, team, id, owner string) error
}

// News is what a leader is told about an outcome.
type News int

// The news a leader is told.
const (
	// NewsWorked: the decision worked, and was praised in public.
	NewsWorked News = iota + 1
	// NewsFailed: the decision did not work out; the leader owns the
	// fallout. It stays private.
	NewsFailed
	// NewsNoted: the requester added a note to a decision that did not
	// work out.
	NewsNoted
)

// Notifier tells people, in Slack, what the service did; package handlers
// implements it and owns the words and the Block Kit. Its errors are
// logged by the service: what was recorded stays recorded.
type Notifier interface {
	// PostPraise posts p to the praise feed.
	PostPraise(ctx context.Context, p domain.PraiseGiven) error
	// TellPraised tells p's person that they were praised.
	TellPraised(ctx context.Context, p domain.PraiseGiven) error
	// PostWin posts w to the praise feed.
	PostWin(ctx context.Context, w domain.Win) error
	// TellCredited tells user that w credits them.
	TellCredited(ctx context.Context, w domain.Win, user string) error

	// PraiseOutcome posts public praise of d, which worked, to the praise
	// feed and returns where it is.
	PraiseOutcome(ctx context.Context, d *domain.Decision) (domain.MessageRef, error)
	// UpdatePraise shows d's outcome, its note included, on its praise
	// post at.
	UpdatePraise(ctx context.Context, d *domain.Decision, at domain.MessageRef) error
	// ThankRequester privately thanks d's requester for a risk that did
	// not work out.
	ThankRequester(ctx context.Context, d *domain.Decision) error
	// TellLeader tells leader the news about d's outcome, privately.
	TellLeader(ctx context.Context, d *domain.Decision, leader string, news News) error
	// SendFollowUp asks d's requester, privately, how d turned out, with
	// It worked / It didn't, and returns where. A person who can never be
	// reached is an *UnreachableError.
	SendFollowUp(ctx context.Context, d *domain.Decision) (domain.MessageRef, error)
	// ShowRecorded shows d's recorded outcome in its follow-up DM at.
	ShowRecorded(ctx context.Context, d *domain.Decision, at domain.MessageRef) error

	// Touched says that what users see of the product (their App Home)
	// changed in team.
	Touched(ctx context.Context, team string, users ...string)
}

// UnreachableError is the error of a Notifier that can never reach a
// person: they are gone, deactivated, a bot, or take no DMs. Trying again
// will not help; Reason says why, for the record.
type UnreachableError struct {
	Reason string
	Err    error
}

// Error says who could not be reached and why, for the logs.
func (e *UnreachableError) Error() string {
	if e.Err == nil {
		return "unreachable: " + e.Reason
	}
	return "unreachable (" + e.Reason + "): " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Person is what the directory knows of someone in the workspace.
type Person struct {
	// Bot is set for a bot user; Deactivated for an account that was
	// deactivated.
	Bot, Deactivated bool
}

// ErrNoSuchPerson is the error (in the chain) of Directory.Person for a
// user the workspace does not know.
var ErrNoSuchPerson = errors.New("no such person in the workspace")

// Directory says who people are; package handlers implements it over
// Slack and the policy.
type Directory interface {
	// Person looks user up: ErrNoSuchPerson when the workspace has no such
	// user; any other error means the directory could not answer.
	Person(ctx context.Context, user string) (Person, error)
	// Approvers returns the people who approve at level of d's chain (its
	// requester's policy team's)
	// (0 is the first level), user groups resolved to their members; a
	// group that cannot be resolved now is left out.
	Approvers(ctx context.Context, d *domain.Decision, level int) []string
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Config holds the rules of the policy the service applies.
type Config struct {
	// BotUserID is the bot's own user ID: it is never praised nor credited.
	BotUserID string
	// DailyLimit is praise.daily_limit: the praise (and, apart, the wins)
	// one person may post in a day.
	DailyLimit int
	// Location is the policy's time zone: a day of praise is a day there
	// (UTC when nil).
	Location *time.Location
	// Reaction is praise.reaction: the emoji whose reaction to a person's
	// message praises them ("" turns praise by reaction off).
	Reaction string
	// Policies, when set, gives DailyLimit, Location and Reaction from the policy in
	// force instead, so that a reload applies to what comes next.
	Policies *domain.Policies
	// Streaks, when set, is told each recorded outcome (earned autonomy:
	// a decision that worked may complete a streak).
	Streaks Streaks
}

// Streaks counts streaks of decisions that worked (earned autonomy);
// *autonomy.Service implements it. It logs its own failures.
type Streaks interface {
	OutcomeRecorded(ctx context.Context, d *domain.Decision)
}

// conf returns the rules in force: cfg, with the policy's values when the
// service follows a Policies.
func (s *Service) conf() Config {
	c := s.cfg
	if c.Policies != nil {
		if p := c.Policies.Current(); p != nil {
			c.DailyLimit, c.Location, c.Reaction = p.Praise.DailyLimit, p.Location, p.Praise.Reaction
		}
	}
	return c
}

// Service applies the rules of praise, wins and outcomes. Build it with
// New; it is safe for concurrent use.
type Service struct {
	store  Store
	notify Notifier
	dir    Directory
	clock  Clock
	log    *slog.Logger
	cfg    Config
}

// New returns a Service over its dependencies.
func New(st Store, n Notifier, dir Directory, clock Clock, log *slog.Logger, cfg Config) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, notify: n, dir: dir, clock: clock, log: log, cfg: cfg}
}

func (s *Service) location() *time.Location {
	if loc := s.conf().Location; loc != nil {
		return loc
	}
	return time.UTC
}
