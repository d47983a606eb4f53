// Package feedback owns the feedback rounds (autonomy support): which
// question a round asks (the question of the week), opening a round and
// closing the one before with its response rate, who the weekly DM and its
// reminder go to (the frontline, minus those who answered), answers (stored,
// posted to the leaders, anonymous ones without any trace of the person),
// and the bodies of the feedback and feedback_reminder jobs.
//
// It talks to storage through Store, to Slack through Notifier (what to
// send, never how it looks) and Directory (who the frontline are), and
// hands the many DMs of a run to Delivery, which sends each person one DM
// per run whatever restarts or replicas; all are interfaces it defines,
// implemented by *store.Store, package handlers and the jobs fan-out. It
// imports only domain and the standard library: never slack-go, go-redis,
// cron or x/image, nor handlers, store, jobs or bot.
package feedback

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// The jobs of feedback, as the policy's schedules name them; they also name
// the delivery ledgers of their runs.
const (
	// JobRound is the weekly question DM.
	JobRound = "feedback"
	// JobReminder is the reminder to those who have not answered.
	JobReminder = "feedback_reminder"
)

// MaxAnswerRunes bounds an answer.
const MaxAnswerRunes = 3000

// Store is the storage the service needs; *store.Store implements it.
type Store interface {
	// OpenFeedbackRound records r and makes it current unless a newer
	// round is; it returns the round current before ("" for none).
	OpenFeedbackRound(ctx context.Context, team string, r domain.FeedbackRound) (string, error)
	// CurrentFeedbackRound returns the newest round, nil when none started.
	CurrentFeedbackRound(ctx context.Context, team string) (*domain.FeedbackRound, error)
	// FeedbackRound returns round id, nil when it is unknown or expired.
	FeedbackRound(ctx context.Context, team, id string) (*domain.FeedbackRound, error)
	// KeepFeedbackAnswer stores a, marks user as having answered a.Round
	// and appends ev, in one atomic step, holding an anonymous answer
	// until floor anonymous answers of a.TeamName wait: it returns the
	// IDs of the answers to post now (none while held), the same when
	// called again.
	KeepFeedbackAnswer(ctx context.Context, team, user string, a domain.FeedbackAnswer, ev domain.Event, floor int) ([]string, error)
	// FeedbackAnswer returns answer id and what leaders did with it;
	// domain.ErrAnswerNotFound when unknown.
	FeedbackAnswer(ctx context.Context, team, id string) (domain.FeedbackAnswer, domain.AnswerStatus, error)
	// FeedbackAuthor returns who wrote answer id ("" when unknown).
	FeedbackAuthor(ctx context.Context, team, id string) (string, error)
	// FeedbackAnswerPosted records where answer id was posted, and in a
	// batch of how many anonymous answers (0 for a named one).
	FeedbackAnswerPosted(ctx context.Context, team, id string, post domain.MessageRef, batch int) error
	// HeldFeedbackAnswers counts a policy team's anonymous answers held.
	HeldFeedbackAnswers(ctx context.Context, team, teamName string) (int, error)
	// ClaimFeedbackReply reserves reply op; false when it was sent or is
	// being sent.
	ClaimFeedbackReply(ctx context.Context, team, op string) (bool, error)
	// ReleaseFeedbackReply gives reply op back.
	ReleaseFeedbackReply(ctx context.Context, team, op string) error
	// FeedbackReplySent records reply op, with ev (feedback.replied).
	FeedbackReplySent(ctx context.Context, team, op string, ev domain.Event) error
	// ClaimFeedbackCommitment reserves answer id for commitment cid by
	// leader, or returns the commitment made to it first and its leader.
	ClaimFeedbackCommitment(ctx context.Context, team, id, cid, leader string) (ok bool, first, firstBy string, err error)
	// ReleaseFeedbackCommitment gives answer id's reservation for cid back.
	ReleaseFeedbackCommitment(ctx context.Context, team, id, cid string) error
	// ReadAudit reads team's audit events in [from, to).
	ReadAudit(ctx context.Context, team string, from, to time.Time) ([]domain.Event, error)
	// FeedbackAnswered returns the people who answered round.
	FeedbackAnswered(ctx context.Context, team, round string) (map[string]bool, error)
	// FeedbackRoundRate counts the people round's DM reached and those of
	// them who answered.
	FeedbackRoundRate(ctx context.Context, team, round string) (domain.FeedbackRate, error)
	// FanoutDM returns where run of job's DM to person is (zero when it
	// was not sent).
	FanoutDM(ctx context.Context, team, job, run, person string) (domain.MessageRef, error)
	// FeedbackHasAnswered reports whether person answered round.
	FeedbackHasAnswered(ctx context.Context, team, round, person string) (bool, error)
	// FanoutDelivered returns the people run of job reached, sorted.
	FanoutDelivered(ctx context.Context, team, job, run string) ([]string, error)
	// FanoutPending returns job's runs begun at or after since and not
	// finished, oldest first.
	FanoutPending(ctx context.Context, team, job string, since time.Time) ([]string, error)
	// Audit appends ev to team's audit trail.
	Audit(ctx context.Context, team string, ev domain.Event) (string, error)
}

// Send DMs one person and returns the DM's channel and timestamp.
type Send func(ctx context.Context, person string) (channel, ts string, err error)

// Notifier says things in Slack; package handlers implements it and owns
// the words and the Block Kit.
type Notifier interface {
	// Question returns how to DM round r's question to one of people
	// (prepared once for all of them, so that a run of thousands costs
	// little beyond the DMs); the DM opens with what news holds for the
	// person (what was done about feedback since the last round).
	Question(ctx context.Context, team string, r domain.FeedbackRound, people []string, news News) Send
	// Reminder returns how to DM the reminder of round r to one of people.
	Reminder(ctx context.Context, team string, r domain.FeedbackRound, people []string) Send
	// PostAnswer posts a to channel, with its author's name (a.User), or
	// anonymised when a.User is "" (then without a time, one of st.Batch
	// posted together), with Reply and Commit to this; it returns the post.
	PostAnswer(ctx context.Context, channel string, a domain.FeedbackAnswer, st domain.AnswerStatus) (domain.MessageRef, error)
	// ShowAnswer updates a's post (st.Post) to show st: who replied, who
	// committed to what. It logs its own failures.
	ShowAnswer(ctx context.Context, a domain.FeedbackAnswer, st domain.AnswerStatus)
	// ShowAnswered updates dm, round r's question or reminder DM of job
	// (JobRound, JobReminder) to a person who answered r: it thanks them
	// and has no Answer button left; a question DM still opens with done
	// (what was done since the round before). Nothing in it points to the
	// answer.
	ShowAnswered(ctx context.Context, r domain.FeedbackRound, job string, dm domain.MessageRef, done []Done) error
	// RelayReply DMs author leader's reply text to their answer a. For an
	// anonymous answer nothing goes to the leader.
	RelayReply(ctx context.Context, team, author string, a domain.FeedbackAnswer, leader, text string) error
}

// Dispatch is one run of a DM to many people.
type Dispatch struct {
	Team string
	// Job and Run name the run: a person gets one DM per (Job, Run).
	Job, Run string
	People   []string
	// Excluded counts the people the audience left out (only reported).
	Excluded int
	Send     Send
	// Sent, when set, is called once a person's DM is recorded as sent,
	// with where it is.
	Sent func(ctx context.Context, person, channel, ts string)
}

// Delivery sends a Dispatch: each of its people once per (Job, Run),
// whatever restarts, replicas or catch-up runs, and remembers runs not
// finished (Store.FanoutPending) until a later Deliver finishes them. The
// jobs fan-out engine implements it.
type Delivery interface {
	Deliver(ctx context.Context, d Dispatch) error
}

// Person is what the directory knows of someone in the workspace.
type Person struct {
	// Bot is set for a bot user (Slackbot included); Deactivated for an
	// account that was deactivated or deleted.
	Bot, Deactivated bool
}

// ErrUnknownGroup is the error (in the chain) of Directory.GroupMembers for
// a user group the workspace will not list (unknown, or disabled).
var ErrUnknownGroup = errors.New("the workspace does not list this user group")

// Directory says who is who in the workspace; package handlers implements
// it over Slack.
type Directory interface {
	// GroupMembers returns the members of user group id: ErrUnknownGroup
	// when the workspace will not list them; any other error means the
	// directory could not answer now.
	GroupMembers(ctx context.Context, id string) ([]string, error)
	// People looks ids up: the result holds the people the workspace
	// knows, and leaves out the IDs it does not.
	People(ctx context.Context, ids []string) (map[string]Person, error)
}

// Teams tells who is in which policy team; *decisions.Service implements
// it.
type Teams interface {
	// TeamOf returns user's policy team, "" for none.
	TeamOf(ctx context.Context, user string) string
}

// Leaders tells who the policy's leaders are; *commitments.Service
// implements it.
type Leaders interface {
	IsLeader(ctx context.Context, team, user string) (bool, error)
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Config holds the policy the service applies.
type Config struct {
	// Team is the workspace the scheduled runs are for.
	Team string
	// Frontline are the policy's frontline IDs: users (U…, W…) and user
	// groups (S…).
	Frontline []string
	// Questions are the policy's feedback questions (the defaults when
	// empty).
	Questions []string
	// Location is the policy's time zone: a week of the question of the
	// week is a week there (UTC when nil).
	Location *time.Location
	// AnonymousAllowed is feedback.anonymous_allowed.
	AnonymousAllowed bool
	// LeadersChannel is where answers are posted ("" for nowhere).
	LeadersChannel string
	// Teams, when set with Policies, tells each person's policy team, so
	// that an answer goes to its team's leaders channel.
	Teams Teams
	// Policies, when set, gives Frontline, Questions, Location,
	// AnonymousAllowed and LeadersChannel from the policy in force instead,
	// so that a reload applies to what comes next.
	Policies *domain.Policies
	// Away, when set, tells who is away: they get no feedback DMs.
	Away AbsenceDirectory
	// AnonymityFloor is feedback.anonymity_floor: anonymous answers reach
	// the leaders in batches of at least this many (the policy's when
	// following Policies; one or less: each at once).
	AnonymityFloor int
	// Leaders, when set, tells who may reply to an answer or commit to it.
	Leaders Leaders
	// ResumeWithin is how far back a round whose DMs were not all sent
	// (the bot stopped mid-run) is finished by the next run (default 24h,
	// as CATCHUP_GRACE).
	ResumeWithin time.Duration
}

// Service applies the rules of feedback. Build it with New; it is safe for
// concurrent use.
type Service struct {
	store    Store
	notify   Notifier
	dir      Directory
	delivery Delivery
	clock    Clock
	log      *slog.Logger
	cfg      Config
}

// New returns a Service over its dependencies; log may be nil.
func New(st Store, n Notifier, dir Directory, d Delivery, clock Clock, log *slog.Logger, cfg Config) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ResumeWithin <= 0 {
		cfg.ResumeWithin = 24 * time.Hour
	}
	return &Service{store: st, notify: n, dir: dir, delivery: d, clock: clock, log: log, cfg: cfg}
}

// conf returns the rules in force: cfg, with the policy's values when the
// service follows a Policies.
func (s *Service) conf() Config {
	c := s.cfg
	if c.Policies == nil {
		return c
	}
	p := c.Policies.Current()
	if p == nil {
		return c
	}
	c.Frontline, c.Questions, c.Location = p.Frontline, p.Feedback.Questions, p.Location
	c.AnonymousAllowed, c.LeadersChannel = p.Feedback.AnonymousAllowed, p.Channels.Leaders
	c.AnonymityFloor = p.Feedback.AnonymityFloor
	return c
}
