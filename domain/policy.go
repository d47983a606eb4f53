package domain

import (
	"strconv"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/money"
)

// Policy is the organisation's box: who may decide what alone, who approves
// above it, where the bot posts and when its jobs run. Package policy parses
// and validates it from the policy file; a Policy it returns is valid.
type Policy struct {
	// Timezone is the IANA zone name; Location is it, loaded.
	Timezone string
	Location *time.Location
	// Currency is the ISO code amounts are written in ("USD").
	Currency string
	Channels Channels
	Values   []string
	// Frontline are Slack user (U…/W…) and user group (S…) IDs: the
	// file's frontline and then every team's members, each once.
	Frontline      []string
	Levels         []Level // the escalation chain, lowest first
	Activities     []Activity
	AlwaysEscalate map[string]string // tag -> lowest level name that may clear it
	Schedules      Schedules
	Outcomes       Outcomes
	Praise         Praise
	Commitments    Commitments
	Feedback       Feedback
	// Teams are the organisation's teams, in file order (PRODUCT.md
	// "Organisation scale"). None: one team of everyone in Frontline.
	Teams []Team
	// LocalTime makes person-facing schedules follow each person's zone.
	LocalTime bool
	// WorkingDays are the days daily nudges are sent on (default Mon–Fri).
	WorkingDays []time.Weekday
	// Admins may export the history (/empower export).
	Admins []string
	// Retention is how long audit history is kept; zero keeps it all.
	Retention time.Duration
	Autonomy  Autonomy
	// Warnings are problems that did not stop the policy from loading,
	// each "file:line: message" (a member listed in two teams).
	Warnings []string
}

// Autonomy configures earned autonomy (PRODUCT.md "Earned autonomy").
type Autonomy struct {
	// ProposeAfter is the streak of approved above-the-box decisions after
	// which a raise is proposed; zero turns the proposals off.
	ProposeAfter int
}

// Channels names the channels the bot posts to.
type Channels struct {
	Praise      string
	Escalations string
	Leaders     string
}

// Level is one rung of the escalation chain.
type Level struct {
	Name          string
	Approvers     []string // user (U…/W…) and user group (S…) IDs
	RespondWithin time.Duration
	// RemindAfter is when the level's approvers get one reminder DM; zero:
	// none. It is shorter than RespondWithin.
	RemindAfter time.Duration
	// ApprovalsNeeded is how many distinct approvers must approve at this
	// level; zero means one (see Policy.ApprovalsNeeded).
	ApprovalsNeeded int
}

// Activity is one empowerable activity and its limits.
type Activity struct {
	Name    string
	Summary string
	// Unit is the currency code the activity's amounts are written in; empty
	// means the policy's Currency (see Policy.CurrencyOf).
	Unit           string
	FrontlineLimit money.Amount
	// LevelLimits maps a level name to the highest amount that level may
	// approve. A level missing here has no limit of its own for the activity.
	LevelLimits map[string]money.Amount
}

// Schedules holds the schedule spec of each job: a five-field cron spec or
// "@every D", in Policy.Location.
type Schedules struct {
	Feedback            string
	FeedbackReminder    string
	CommitmentReminders string
	EscalationTimeouts  string
	OutcomeFollowups    string
	Digest              string
}

// Outcomes configures the follow-up question after a decision.
type Outcomes struct {
	AskAfter time.Duration
}

// Praise configures the public praise feed.
type Praise struct {
	ShowAmounts bool
	DailyLimit  int
	// Reaction is the emoji name (no colons) whose reaction praises a
	// message's author; empty: off.
	Reaction string
}

// Commitments configures commitment reminders.
type Commitments struct {
	RemindBefore time.Duration
}

// Feedback configures the weekly feedback DM.
type Feedback struct {
	AnonymousAllowed bool
	Questions        []string
	// AnonymityFloor is the smallest batch of anonymous answers posted to
	// leaders (default 3).
	AnonymityFloor int
}

// DefaultQuestions returns the six autonomy-support questions asked when
// the policy names none.
func DefaultQuestions() []string {
	return []string{
		"How can I help you realize your goals in the next year?",
		"By when would you like me to achieve these things for you?",
		"In what areas have I failed to help you in the past, and how can I improve?",
		"What kind of things would help you feel more engaged?",
		"How can I help smooth your path toward mastery of certain skills?",
		"What does success look like for you, and how can I help you succeed?",
	}
}

// Activity returns the activity called name and whether it exists.
func (p *Policy) Activity(name string) (Activity, bool) {
	for _, a := range p.Activities {
		if a.Name == name {
			return a, true
		}
	}
	return Activity{}, false
}

// LevelIndex returns the position of the level called name in the chain, or -1.
func (p *Policy) LevelIndex(name string) int {
	for i, l := range p.Levels {
		if l.Name == name {
			return i
		}
	}
	return -1
}

// LevelName returns the name of level i of the chain, or "level N" (N = i+1)
// for an index outside it.
func (p *Policy) LevelName(i int) string {
	if i >= 0 && i < len(p.Levels) {
		return p.Levels[i].Name
	}
	return "level " + strconv.Itoa(i+1)
}

// RoleName is a level's name as people say it of a person: "team-lead"
// is "team lead".
func RoleName(level string) string {
	return strings.TrimSpace(roleSpaces.Replace(level))
}

// roleSpaces turns a level name's separators into spaces (built once: a
// Replacer is safe for concurrent use).
var roleSpaces = strings.NewReplacer("-", " ", "_", " ")

// LevelApprovers returns the approvers of level i of the chain; none for an
// index outside it.
func (p *Policy) LevelApprovers(i int) []string {
	if i >= 0 && i < len(p.Levels) {
		return p.Levels[i].Approvers
	}
	return nil
}

// RespondWithin returns how long level i of the chain has to answer; zero
// (no limit) for an index outside it.
func (p *Policy) RespondWithin(i int) time.Duration {
	if i >= 0 && i < len(p.Levels) {
		return p.Levels[i].RespondWithin
	}
	return 0
}

// CurrencyOf is the currency code amounts of act are written in: its own
// unit, or else the policy's currency.
func (p *Policy) CurrencyOf(act Activity) string {
	if act.Unit != "" {
		return act.Unit
	}
	return p.Currency
}
