package commitments

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// MaxText is the longest text of a commitment or an ask, in runes.
const MaxText = 500

// createAttempts bounds the fresh IDs tried when one is taken.
const createAttempts = 6

// CommitRequest is a leader's commitment to one of their people, as typed:
// `<text> by <when>`.
type CommitRequest struct {
	Team     string
	Leader   string // who commits
	Employee string // to whom
	Text     string
	// When is the due date as the leader typed it ("friday", "12/15"),
	// read in the leader's zone; "" when none was given.
	When string
}

// AskRequest is an employee's ask for a leader's support, as typed:
// `<text> [by <when>]`.
type AskRequest struct {
	Team     string
	Employee string // who asks
	Leader   string // whom they ask
	// Text is what they ask for, before the last " by ", and When what
	// follows it: the date they would like it by ("" for none).
	Text, When string
	// HasBy reports that the ask had a " by "; Typed is then the whole of
	// it, " by " included. When what follows "by" is several words and no
	// date ("help me by covering Tuesdays"), the "by" belongs to what they
	// ask for: the ask's text is Typed. One word that is no date ("by
	// someday") is refused like commit refuses it.
	HasBy bool
	Typed string
}

// MayCommit refuses, as domain.Forbidden, a user who is not one of the
// policy's leaders: only they make commitments.
func (s *Service) MayCommit(ctx context.Context, team, user string) error {
	ok, err := s.IsLeader(ctx, team, user)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Forbiddenf("Commitments are what leaders promise their people, so only leaders make them; to ask a leader for support, use `/empower ask @leader …`")
	}
	return nil
}

// Commit makes r's commitment: a leader's promise to a person, due on a
// date from today on. It is stored with its commitment.made event, both
// sides are told by DM, and it is returned. Refusals of the input are
// domain.Invalid or domain.NotFound; a non-leader is domain.Forbidden.
func (s *Service) Commit(ctx context.Context, r CommitRequest) (*domain.CommitmentRecord, error) {
	if err := s.MayCommit(ctx, r.Team, r.Leader); err != nil {
		return nil, err
	}
	if r.Employee == r.Leader {
		return nil, domain.Invalidf("A commitment is a promise to one of your people, not to yourself: name who it's for.")
	}
	if err := checkText(r.Text, "Say what you will do for them, before `by <date>`."); err != nil {
		return nil, err
	}
	if r.When == "" {
		return nil, domain.Invalidf("Add when it will be done: end with `by <date>`, e.g. `by friday`, `by 12/15` or `by in 2 weeks`.")
	}
	due, err := s.readDate(ctx, r.Team, r.Leader, r.When)
	if err != nil {
		return nil, dateError(err)
	}
	if err := s.checkPerson(ctx, r.Team, r.Employee); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c := &domain.CommitmentRecord{Commitment: domain.Commitment{
		Team: r.Team, Leader: r.Leader, Employee: r.Employee, Text: r.Text, State: domain.CommitmentOpen,
		Source: domain.SourceCommit, Due: due.String(), CreatedAt: now, MadeAt: now,
	}}
	ev, prev, err := s.create(ctx, c, domain.CommitmentMadeData{CommitmentFacts: c.Facts()}, r.Leader)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		// The same command, handled again after a crash that may have come
		// before either DM: unless it changed since, both sides are told,
		// each DM looked for first so that one sent before the crash is not
		// sent twice.
		if prev.Version == 1 {
			s.announce(domain.WithFinishing(ctx), prev,
				event(prev, domain.CommitmentMadeData{CommitmentFacts: prev.Facts()}, r.Leader, "", string(prev.State), prev.CreatedAt))
		}
		return prev, nil
	}
	s.announce(ctx, c, ev)
	return c, nil
}

// Ask records r's ask of a leader, optionally by a date, and sends it to
// the leader with Accept and Decline. It returns the ask, and whether the
// leader was reached: an ask whose DM failed is kept, and the employee is
// to tell the leader themselves. Refusals of the input are domain.Invalid.
func (s *Service) Ask(ctx context.Context, r AskRequest) (ask *domain.CommitmentRecord, reached bool, err error) {
	if r.Leader == r.Employee {
		return nil, false, domain.Invalidf("You can't ask yourself: name one of the leaders, %s.", s.leaderHint())
	}
	ok, err := s.IsLeader(ctx, r.Team, r.Leader)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, domain.Invalidf("%s doesn't lead a team here, so I can't pass this on to them; you can ask %s.",
			slacktext.User(r.Leader), s.leaderHint())
	}
	text := r.Text
	var due dates.Date
	switch {
	case r.HasBy && r.When != "":
		d, err := s.readDate(ctx, r.Team, r.Employee, r.When)
		var de *dates.Error
		switch {
		case err == nil:
			due = d
		case errors.As(err, &de) && de.Unreadable && text != "" && len(strings.Fields(r.When)) > 1:
			// "help me by covering Tuesdays": no date, the "by" is part of
			// the text. One unreadable word ("by someday") was meant as a
			// date: it is refused, as commit refuses it.
			text = r.Typed
		default:
			return nil, false, dateError(err)
		}
	case r.HasBy:
		text = r.Typed
	}
	if err := checkText(text, "Say what would help you."); err != nil {
		return nil, false, err
	}
	c := &domain.CommitmentRecord{Commitment: domain.Commitment{
		Team: r.Team, Leader: r.Leader, Employee: r.Employee, Text: text, State: domain.CommitmentAsked,
		Source: domain.SourceAsk, CreatedAt: s.clock.Now(),
	}}
	if !due.IsZero() {
		c.AskedDue = due.String()
	}
	_, prev, err := s.create(ctx, c, domain.CommitmentAskedData{CommitmentFacts: c.Facts()}, r.Employee)
	if err != nil {
		return nil, false, err
	}
	if prev != nil {
		// The same command, handled again after a crash: the leader was
		// asked when that handling recorded the DM, or they answered since.
		// Otherwise it may have died before the DM, or after it: the DM is
		// looked for first and sent only when it is not there.
		if !prev.AskDM.IsZero() || prev.State != domain.CommitmentAsked {
			return prev, true, nil
		}
		c, ctx = prev, domain.WithFinishing(ctx)
	}
	dm, err := s.notify.AskLeader(ctx, c)
	if err != nil {
		s.log.Error("could not DM the leader an ask", "team", c.Team, "commitment", c.ID, "error", err.Error())
		return c, false, nil
	}
	c.AskDM = dm
	cur, err := s.store.AttachCommitmentDM(ctx, c.Team, c.ID, dm)
	if err != nil {
		s.log.Warn("could not record the ask's DM", "team", c.Team, "commitment", c.ID, "error", err.Error())
	} else if cur.State != domain.CommitmentAsked {
		// Answered (from the list) while the DM was on its way: that
		// answer found no DM to update, so the DM says so itself.
		s.notify.ShowAnswered(ctx, cur, nil)
	}
	s.notify.Changed(ctx, c)
	return c, true, nil
}

// readDate reads a date as user typed it, in their zone (zoneOf).
func (s *Service) readDate(ctx context.Context, team, user, typed string) (dates.Date, error) {
	return dates.Parse(typed, s.clock.Now(), s.zoneOf(ctx, team, user))
}

// dateError is a date that could not be read, as a refusal.
func dateError(err error) error {
	var de *dates.Error
	if errors.As(err, &de) {
		return domain.Invalidf(":calendar: %s", slacktext.Escape(de.Message))
	}
	return err
}

// checkText refuses an empty or too long text; empty is what to say for
// an empty one.
func checkText(text, empty string) error {
	if strings.TrimSpace(text) == "" {
		return domain.Invalidf("%s", empty)
	}
	if n := utf8.RuneCountInString(text); n > MaxText {
		return domain.Invalidf("Please keep it to %d characters (it has %d).", MaxText, n)
	}
	return nil
}

// checkPerson refuses a commitment to the bot, to a user the workspace does
// not know, to a bot user or to a deactivated account. When the directory
// cannot say, the commitment goes ahead: the mention came from Slack's own
// picker.
func (s *Service) checkPerson(ctx context.Context, team, user string) error {
	if user == s.botID {
		return domain.Invalidf("That's me: name a person.")
	}
	p, err := s.people.Person(ctx, team, user)
	if err != nil {
		s.log.Warn("could not look up the person of a commitment", "error", err.Error())
		return nil
	}
	if !p.Exists {
		return domain.NotFoundf("I can't find %s in this workspace.", slacktext.User(user))
	}
	if p.Bot || p.Deactivated {
		return domain.Invalidf("%s is a bot or a deactivated account: name a person.", slacktext.User(user))
	}
	return nil
}

// create stores c under a fresh ID with its audit event, of payload p by
// actor, and returns the event. A command's commitment (ctx carries its
// domain.RequestKey) gets the ID derived from the request: when an earlier
// handling of the same command stored it (a redelivery after a crash), that
// one is returned as prev and nothing is written.
func (s *Service) create(ctx context.Context, c *domain.CommitmentRecord, p domain.Payload, actor string) (ev domain.Event, prev *domain.CommitmentRecord, err error) {
	key := domain.RequestKey(ctx)
	for attempt := 1; ; attempt++ {
		c.ID = domain.NewCommitmentID()
		if attempt == 1 && key != "" {
			c.ID = domain.CommitmentIDFor(c.Team, key)
		}
		ev = event(c, p, actor, "", string(c.State), c.CreatedAt)
		err = s.store.CreateCommitment(ctx, c, ev)
		if errors.Is(err, domain.ErrExists) && attempt == 1 && key != "" {
			if prev := s.madeBefore(ctx, c); prev != nil {
				return ev, prev, nil
			}
		}
		if errors.Is(err, domain.ErrExists) && attempt < createAttempts {
			continue // the ID is taken: draw another
		}
		return ev, nil, err
	}
}

// madeBefore returns the commitment an earlier handling of the same
// request stored under c's ID, or nil when the ID belongs to another one.
func (s *Service) madeBefore(ctx context.Context, c *domain.CommitmentRecord) *domain.CommitmentRecord {
	prev, err := s.store.GetCommitment(ctx, c.Team, c.ID)
	if err != nil || prev.Leader != c.Leader || prev.Employee != c.Employee || prev.Text != c.Text || prev.Source != c.Source {
		return nil
	}
	return prev
}

// FeedbackRequest is a leader's Commit to this on a feedback answer, as
// typed in its form: what they will do, and by when.
type FeedbackRequest struct {
	Team   string
	Leader string
	// ID is the commitment's ID, drawn (domain.NewCommitmentID) and
	// reserved on the answer before it is made, so that an answer gets one
	// commitment.
	ID string
	// Answer is the answer's ID and Said its text.
	Answer, Said string
	// Employee is the answer's author for a named answer; "" for an
	// anonymous one, whose commitment is to policy team TeamName.
	Employee string
	TeamName string
	// Members are the team's people, for an anonymous answer: the
	// commitment is listed to each of them.
	Members []string
	// Text is what the leader will do; When the date as they typed it
	// (the grammar of commit: "friday", "12/15", "in 2 weeks").
	Text, When string
}

// The inputs of the Commit to this form.
const (
	// FieldText is what the leader will do.
	FieldText Field = iota + 10
	// FieldWhen is the date typed.
	FieldWhen
)

// CommitToFeedback makes r's commitment: to the answer's author, or, for
// an anonymous answer, to the author's whole team (listed to each member as
// "to your team", reminded and closed like any other). Refusals of the
// input are *FieldError on FieldText or FieldWhen; a non-leader is
// domain.Forbidden.
func (s *Service) CommitToFeedback(ctx context.Context, r FeedbackRequest) (*domain.CommitmentRecord, error) {
	if err := s.MayCommit(ctx, r.Team, r.Leader); err != nil {
		return nil, err
	}
	if r.Employee == r.Leader {
		return nil, onField(FieldText, domain.Invalidf("That's your own answer: a commitment is a promise to your people."))
	}
	if err := checkText(r.Text, "Say what you will do about it."); err != nil {
		return nil, onField(FieldText, err)
	}
	if strings.TrimSpace(r.When) == "" {
		return nil, onField(FieldWhen, domain.Invalidf("Say by when: `friday`, `12/15`, `in 2 weeks`."))
	}
	due, err := s.readDate(ctx, r.Team, r.Leader, r.When)
	if err != nil {
		return nil, onField(FieldWhen, dateError(err))
	}
	now := s.clock.Now()
	c := &domain.CommitmentRecord{Commitment: domain.Commitment{
		ID: r.ID, Team: r.Team, Leader: r.Leader, Employee: r.Employee, Text: strings.TrimSpace(r.Text), State: domain.CommitmentOpen,
		Source: domain.SourceFeedback, Due: due.String(), CreatedAt: now, MadeAt: now,
		Answer: r.Answer, Said: r.Said, ToTeam: r.Employee == "", TeamName: r.TeamName,
	}}
	if c.ToTeam {
		c.Members = r.Members
	}
	ev := event(c, domain.CommitmentMadeData{CommitmentFacts: c.Facts()}, r.Leader, "", string(c.State), now)
	if err := s.store.CreateCommitment(ctx, c, ev); err != nil {
		return nil, err
	}
	s.announce(ctx, c, ev)
	return c, nil
}

// announce tells both sides of the commitment c just made (ev) and
// refreshes what shows it.
func (s *Service) announce(ctx context.Context, c *domain.CommitmentRecord, ev domain.Event) {
	s.tellEmployee(ctx, c, ev)
	if err := s.notify.TellLeader(ctx, c, ev); err != nil {
		s.dmFailed(c, c.Leader, err)
	}
	s.notify.Changed(ctx, c)
}
