// Package stats computes the product's measurable outcomes from a team's
// audit stream: decisions inside and above the box, escalations and how fast
// leaders answer them, outcomes, praise, feedback response rates and
// commitments kept. Compute is a pure function of the events, the window and
// "now", so the same events always give the same figures.
package stats

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Lookback is how far before a window's start the events for Compute should
// be read: decisions answered in the window may have been escalated earlier,
// and commitments made months ago may be overdue now.
const Lookback = 180 * 24 * time.Hour

// Input says what to compute.
type Input struct {
	// From and To bound the window, [From, To).
	From, To time.Time
	// Now is the moment "overdue now" is judged at (usually To).
	Now time.Time
	// Loc is the policy's timezone: days and due dates are in it.
	Loc *time.Location
	// User, when set, restricts the figures to one person: their decisions
	// and outcomes, praise they gave or received, commitments made by or to
	// them. Empty means the whole team.
	User string
	// Teams, when not nil, restricts the figures to some policy teams (""
	// stands for the people in no team): decisions by the team they were
	// logged with, outcomes with their decision, praise, wins and
	// commitments by the teams of the people in them (TeamOf). Feedback
	// rounds are the organisation's: none are counted then.
	Teams []string
	// TeamOf returns a person's policy team ("" for none); nil puts
	// everyone in no team.
	TeamOf func(user string) string
	// Floor is feedback.anonymity_floor: a response rate of fewer people
	// than this is not shown (RateHidden).
	Floor int
}

// Activity holds the decisions of one activity in the window.
type Activity struct {
	Name     string
	Currency string
	// Inside counts decisions made inside the box; InsideAmount sums them
	// in minor units.
	Inside       int
	InsideAmount int64
	// Above counts decisions that left the box; AboveAmount sums them.
	Above       int
	AboveAmount int64
}

// Day holds one calendar day (in Loc) of the window, for the chart.
type Day struct {
	Date           time.Time // midnight in Loc
	Inside, Above  int
	Worked, Failed int
}

// Round is one feedback round's response rate (the latest recorded).
type Round struct {
	ID       string
	Question string
	Sent     int
	Answered int
	RatePct  int
}

// Commitment is one commitment as the audit stream knows it.
type Commitment struct {
	ID       string
	Leader   string
	Employee string
	Text     string
	// Due is the due date ("2006-01-02", in Loc).
	Due  string
	Done bool
}

// Highlight is one praise or win given in the window.
type Highlight struct {
	// Kind is domain.EventPraiseGiven or domain.EventWinPosted.
	Kind string
	From string
	// To lists the people praised (one for praise, any for a win).
	To   []string
	Text string
	At   time.Time
	// Reaction and Channel are set for praise given by reacting to a
	// message in Channel (Text is empty then).
	Reaction, Channel string
}

// Figures are the outcomes of one window.
type Figures struct {
	Input
	// Activities lists every activity with a decision, by name.
	Activities []Activity
	// Inside and Above count decisions made in the window.
	Inside, Above int
	// EscalationsByLevel counts how often a decision was sent to each level
	// (when it left the box, was escalated or timed out to it).
	EscalationsByLevel map[string]int
	// Answered counts leaders' answers (approvals and declines) in the
	// window; MedianAnswer and P90Answer are the times from the escalation
	// to those answers (0 when there were none).
	Answered     int
	MedianAnswer time.Duration
	P90Answer    time.Duration
	// Timeouts counts levels that did not answer in time.
	Timeouts int
	// Approved and Declined count leaders' answers.
	Approved, Declined int
	// Worked and Failed count outcomes recorded in the window; Unanswered
	// counts follow-ups asked in the window with no answer yet.
	Worked, Failed, Unanswered int
	// PraiseGiven and WinsPosted count praise and wins; for one person,
	// PraiseGiven counts praise they gave and PraiseReceived praise they got.
	PraiseGiven, PraiseReceived, WinsPosted int
	// PraiseByReaction counts the praise of PraiseGiven given by reacting
	// to a message (praise.reaction).
	PraiseByReaction int
	// Highlights are the window's praise and wins, oldest first.
	Highlights []Highlight
	// Rounds are the feedback rounds recorded in the window, oldest first
	// (team figures only).
	Rounds []Round
	// OnTime and Late count commitments done in the window.
	OnTime, Late int
	// Replies counts leaders' replies to feedback answers in the window;
	// LoopMade the commitments made with Commit to this, LoopKept those
	// done (closing the loop).
	Replies, LoopMade, LoopKept int
	// Overdue lists commitments not done whose due date is before Now's day.
	Overdue []Commitment
	// Open lists commitments not done (overdue ones included), by due date.
	Open []Commitment
	// Days has one entry per day of the window.
	Days []Day
	// LimitsRaised and LimitsReset count the limits of their own people
	// were given (earned autonomy) and leaders took back in the window;
	// LimitChanges are those changes, oldest first.
	LimitsRaised, LimitsReset int
	LimitChanges              []LimitChange
}

// LimitChange is one limit of a person's own raised or reset.
type LimitChange struct {
	// Kind is domain.EventAutonomyRaised or domain.EventAutonomyReset.
	Kind     string
	Person   string
	By       string
	Activity string
	Currency string
	// From and To are the person's limit before and after.
	From, To money.Amount
	At       time.Time
}

// Decisions is the number of decisions made in the window.
func (f *Figures) Decisions() int { return f.Inside + f.Above }

// Escalations is the number of times a decision was sent to a level.
func (f *Figures) Escalations() int {
	n := 0
	for _, v := range f.EscalationsByLevel {
		n += v
	}
	return n
}

// FeedbackRate is the response rate over every round of the window, in
// whole percent, and whether any round was recorded.
func (f *Figures) FeedbackRate() (int, bool) {
	sent, answered := 0, 0
	for _, r := range f.Rounds {
		sent += r.Sent
		answered += r.Answered
	}
	if len(f.Rounds) == 0 {
		return 0, false
	}
	if sent == 0 {
		return 0, true
	}
	return answered * 100 / sent, true
}

// People is how many people the window's feedback rounds reached (the
// most any round did).
func (f *Figures) People() int {
	n := 0
	for _, r := range f.Rounds {
		n = max(n, r.Sent)
	}
	return n
}

// RateHidden reports whether the response rate is hidden: it would be of
// fewer people than the anonymity floor.
func (f *Figures) RateHidden() bool { return f.Floor > 1 && f.People() < f.Floor }

// loopMine reports whether commitment facts c (of a commitment made to
// feedback) belong to in: its leader or person for one person's figures,
// the person's (or the team's) policy team for team figures.
func (in *Input) loopMine(c domain.CommitmentFacts) bool {
	if in.User != "" && c.Leader != in.User && c.Employee != in.User {
		return false
	}
	if c.ToTeam {
		return in.Teams == nil || contains(in.Teams, c.TeamName)
	}
	return in.peopleInTeams(c.Employee)
}

// Compute reduces events (oldest first; they may start before in.From, see
// Lookback, and should end at in.Now) to the figures of in.
func Compute(events []domain.Event, in Input) Figures {
	if in.Loc == nil {
		in.Loc = time.UTC
	}
	if in.Now.IsZero() {
		in.Now = in.To
	}
	f := Figures{Input: in, EscalationsByLevel: map[string]int{}}
	inWindow := func(t time.Time) bool { return !t.Before(in.From) && t.Before(in.To) }

	acts := map[string]*Activity{}
	days := map[string]*Day{}
	for d := startOfDay(in.From, in.Loc); d.Before(in.To); d = nextDay(d, in.Loc) {
		day := &Day{Date: d}
		days[d.Format(time.DateOnly)] = day
		f.Days = append(f.Days, *day)
	}
	dayOf := func(t time.Time) *Day { return days[t.In(in.Loc).Format(time.DateOnly)] }

	requester := map[string]string{} // decision ID -> requester
	decTeam := map[string]string{}   // decision ID -> its policy team
	asked := map[string]bool{}       // decision IDs asked about in the window
	answered := map[string]bool{}    // decision IDs with an outcome, any time
	commits := map[string]*Commitment{}
	var commitOrder []string
	rounds := map[string]*Round{}
	var roundOrder []string
	var answers []time.Duration

	for _, ev := range events {
		// The facts of a decision event, and the requester of the event's
		// decision when the event carries it.
		var dec domain.DecisionFacts
		req := ""
		switch p := ev.Payload.(type) {
		case interface{ Decision() domain.DecisionFacts }:
			dec = p.Decision()
			req = dec.Requester
		case domain.OutcomeAskedData:
			req = p.Requester
		}
		if req != "" && ev.Subject != "" {
			requester[ev.Subject] = req
		}
		if dec.Requester != "" && ev.Subject != "" {
			decTeam[ev.Subject] = dec.TeamName
		}
		teamOK := in.Teams == nil || in.decisionInTeams(ev, decTeam, requester)
		mine := (in.User == "" || req == in.User || requester[ev.Subject] == in.User) && teamOK
		win := inWindow(ev.At)
		switch p := ev.Payload.(type) {
		case domain.DecisionCreatedData:
			if !win || !mine {
				continue
			}
			a := acts[p.Activity]
			if a == nil {
				a = &Activity{Name: p.Activity, Currency: p.Currency}
				acts[a.Name] = a
			}
			day := dayOf(ev.At)
			if ev.To == string(domain.StatePending) {
				f.Above++
				a.Above++
				a.AboveAmount += int64(p.Amount)
				f.EscalationsByLevel[p.Level]++
				if day != nil {
					day.Above++
				}
			} else {
				f.Inside++
				a.Inside++
				a.InsideAmount += int64(p.Amount)
				if day != nil {
					day.Inside++
				}
			}
		case domain.DecisionEscalatedData, domain.DecisionTimeoutData:
			if !win || !mine {
				continue
			}
			f.EscalationsByLevel[ev.To]++
			if ev.Type() == domain.EventDecisionTimeout {
				f.Timeouts++
			}
		case domain.DecisionApprovedData, domain.DecisionDeclinedData:
			if !win || !mine {
				continue
			}
			f.Answered++
			if ev.Type() == domain.EventDecisionApproved {
				f.Approved++
			} else {
				f.Declined++
			}
			if dec.CreatedAt > 0 {
				if d := ev.At.Sub(dec.CreatedAt.Time()); d >= 0 {
					answers = append(answers, d)
				}
			}
		case domain.OutcomeAskedData:
			if win && mine {
				asked[ev.Subject] = true
			}
		case domain.OutcomeWorkedData, domain.OutcomeFailedData:
			answered[ev.Subject] = true
			if !win || !(in.User == "" || ev.Actor == in.User || requester[ev.Subject] == in.User) || !teamOK {
				continue
			}
			day := dayOf(ev.At)
			if ev.Type() == domain.EventOutcomeWorked {
				f.Worked++
				if day != nil {
					day.Worked++
				}
			} else {
				f.Failed++
				if day != nil {
					day.Failed++
				}
			}
		case domain.PraiseGivenData:
			if !win {
				continue
			}
			if in.User != "" && ev.Actor != in.User && ev.Subject != in.User || !in.peopleInTeams(ev.Subject, ev.Actor) {
				continue
			}
			if in.User == "" || ev.Actor == in.User {
				f.PraiseGiven++
				if p.Reaction != "" {
					f.PraiseByReaction++
				}
			}
			if in.User != "" && ev.Subject == in.User {
				f.PraiseReceived++
			}
			f.Highlights = append(f.Highlights, Highlight{Kind: string(ev.Type()), From: ev.Actor, To: []string{ev.Subject}, Text: p.Text, At: ev.At,
				Reaction: p.Reaction, Channel: p.Channel})
		case domain.WinPostedData:
			if !win {
				continue
			}
			users := p.Users
			if in.User != "" && ev.Actor != in.User && !contains(users, in.User) || !in.peopleInTeams(append([]string{ev.Actor}, users...)...) {
				continue
			}
			f.WinsPosted++
			f.Highlights = append(f.Highlights, Highlight{Kind: string(ev.Type()), From: ev.Actor, To: users, Text: p.Text, At: ev.At})
		case domain.AutonomyRaisedData, domain.AutonomyResetData:
			if !win || (in.User != "" && ev.Subject != in.User && ev.Actor != in.User) || !in.peopleInTeams(ev.Subject) {
				continue
			}
			c := LimitChange{Kind: string(ev.Type()), Person: ev.Subject, By: ev.Actor, At: ev.At}
			if r, ok := p.(domain.AutonomyRaisedData); ok {
				f.LimitsRaised++
				c.Activity, c.Currency, c.From, c.To = r.Activity, r.Currency, r.From, r.Amount
			} else {
				r := p.(domain.AutonomyResetData)
				f.LimitsReset++
				c.Activity, c.Currency, c.From, c.To = r.Activity, r.Currency, r.Amount, r.To
			}
			f.LimitChanges = append(f.LimitChanges, c)
		case domain.FeedbackRepliedData:
			if win && (in.User == "" || ev.Actor == in.User) && (in.Teams == nil || contains(in.Teams, p.TeamName)) {
				f.Replies++
			}
		case domain.FeedbackRoundData:
			if !win || in.User != "" || in.Teams != nil {
				continue
			}
			r := rounds[ev.Subject]
			if r == nil {
				r = &Round{ID: ev.Subject}
				rounds[ev.Subject] = r
				roundOrder = append(roundOrder, ev.Subject)
			}
			// The latest record of a round is its rate so far.
			r.Question = p.Question
			r.Sent, r.Answered, r.RatePct = p.Sent, p.Answered, p.RatePct
		case domain.CommitmentMadeData:
			if p.Source == domain.SourceFeedback && win && in.loopMine(p.CommitmentFacts) {
				f.LoopMade++
			}
			c := commits[ev.Subject]
			if c == nil {
				c = &Commitment{ID: ev.Subject}
				commits[ev.Subject] = c
				commitOrder = append(commitOrder, ev.Subject)
			}
			c.Leader, c.Employee, c.Text, c.Due = p.Leader, p.Employee, p.Text, p.Due
		case domain.CommitmentRedatedData:
			if c := commits[ev.Subject]; c != nil {
				c.Due = firstNonEmpty(ev.To, p.Due, c.Due)
			}
		case domain.CommitmentDoneData:
			if p.Answer != "" && win && in.loopMine(p.CommitmentFacts) {
				f.LoopKept++
			}
			c := commits[ev.Subject]
			if c == nil {
				// Made before the events read: take what the done event carries.
				c = &Commitment{ID: ev.Subject, Leader: p.Leader, Employee: p.Employee, Text: p.Text, Due: p.Due}
				commits[ev.Subject] = c
				commitOrder = append(commitOrder, ev.Subject)
			}
			c.Done = true
			if !win || (in.User != "" && c.Leader != in.User && c.Employee != in.User) || !in.peopleInTeams(c.Employee) {
				continue
			}
			var onTime bool
			if p.OnTime != nil {
				onTime = *p.OnTime
			} else {
				onTime = c.Due == "" || ev.At.In(in.Loc).Format(time.DateOnly) <= c.Due
			}
			if onTime {
				f.OnTime++
			} else {
				f.Late++
			}
		}
	}

	for id := range asked {
		if !answered[id] {
			f.Unanswered++
		}
	}
	for _, a := range acts {
		f.Activities = append(f.Activities, *a)
	}
	sort.Slice(f.Activities, func(i, j int) bool { return f.Activities[i].Name < f.Activities[j].Name })
	for i := range f.Days {
		f.Days[i] = *days[f.Days[i].Date.Format(time.DateOnly)]
	}
	for _, id := range roundOrder {
		f.Rounds = append(f.Rounds, *rounds[id])
	}
	today := in.Now.In(in.Loc).Format(time.DateOnly)
	for _, id := range commitOrder {
		c := commits[id]
		if c.Done || (in.User != "" && c.Leader != in.User && c.Employee != in.User) || !in.peopleInTeams(c.Employee) {
			continue
		}
		f.Open = append(f.Open, *c)
		if c.Due != "" && c.Due < today {
			f.Overdue = append(f.Overdue, *c)
		}
	}
	byDue := func(cs []Commitment) {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Due < cs[j].Due })
	}
	byDue(f.Open)
	byDue(f.Overdue)
	f.MedianAnswer, f.P90Answer = percentile(answers, 50), percentile(answers, 90)
	return f
}

// percentile returns the p-th percentile of ds (nearest rank), 0 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(float64(p) / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func nextDay(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
}

// decisionInTeams reports whether ev's decision belongs to in.Teams: the
// team it was logged with, or, for an outcome event whose decision was
// not read, its requester's team now.
func (in *Input) decisionInTeams(ev domain.Event, decTeam, requester map[string]string) bool {
	if t, ok := decTeam[ev.Subject]; ok {
		return contains(in.Teams, t)
	}
	switch ev.Payload.(type) {
	case domain.OutcomeAskedData, domain.OutcomeWorkedData, domain.OutcomeFailedData:
		who := requester[ev.Subject]
		if who == "" {
			who = ev.Actor
		}
		return in.peopleInTeams(who)
	}
	return true
}

// peopleInTeams reports whether any of users is in in.Teams (always true
// without a Teams filter).
func (in *Input) peopleInTeams(users ...string) bool {
	if in.Teams == nil {
		return true
	}
	for _, u := range users {
		if u == "" {
			continue
		}
		t := ""
		if in.TeamOf != nil {
			t = in.TeamOf(u)
		}
		if contains(in.Teams, t) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// AuditReader reads a team's audit stream by time (store.Store does). An
// event that does not decode is an error.
type AuditReader interface {
	ReadAudit(ctx context.Context, team string, from, to time.Time) ([]domain.Event, error)
}

// Read reads team's audit events from Lookback before in.From up to in.Now
// and computes in's figures.
func Read(ctx context.Context, r AuditReader, team string, in Input) (Figures, error) {
	if in.Now.IsZero() {
		in.Now = in.To
	}
	end := in.Now
	if in.To.After(end) {
		end = in.To
	}
	evs, err := r.ReadAudit(ctx, team, in.From.Add(-Lookback), end.Add(time.Millisecond))
	if err != nil {
		return Figures{}, fmt.Errorf("stats for %s: %w", team, err)
	}
	f := Compute(evs, in)
	if live, ok := r.(roundRater); ok {
		// The audit stream records a round's rate when it opens and when it
		// is reminded; answers given since then count too.
		for i := range f.Rounds {
			rate, err := live.FeedbackRoundRate(ctx, team, f.Rounds[i].ID)
			if err != nil {
				return Figures{}, fmt.Errorf("stats for %s: feedback round %s: %w", team, f.Rounds[i].ID, err)
			}
			if rate.Sent > 0 {
				f.Rounds[i].Sent, f.Rounds[i].Answered, f.Rounds[i].RatePct = rate.Sent, rate.Answered, rate.Pct()
			}
		}
	}
	return f, nil
}

// roundRater gives a feedback round's response rate as it is now.
type roundRater interface {
	FeedbackRoundRate(ctx context.Context, team, round string) (domain.FeedbackRate, error)
}
