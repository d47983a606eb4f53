package commitments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// MaxReason is the longest reason of a declined ask, in runes.
const MaxReason = 500

// Action is a person acting on one commitment: answering an ask, marking a
// commitment done or moving its date.
type Action struct {
	Team string
	ID   string // the commitment, as the button or form carried it
	User string // who acts
	// At is where they acted, handed back to the Notifier.
	At Origin
}

// Field names the input of a form a FieldError is about.
type Field int

// The inputs of the commitment forms.
const (
	// FieldDue is the date picked (accepting an ask, a new date).
	FieldDue Field = iota + 1
	// FieldReason is the reason typed when declining an ask.
	FieldReason
)

// FieldError is a refusal shown beside one input of the form the person
// submitted: what they entered cannot be taken, or the commitment changed
// since the form was opened. Err is the *domain.Error with the words.
type FieldError struct {
	Field Field
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }

// Unwrap returns the refusal.
func (e *FieldError) Unwrap() error { return e.Err }

// onField puts a refusal beside field; other errors pass as they are.
func onField(f Field, err error) error {
	if domain.IsRefusal(err) && domain.ErrorMessage(err) != "" {
		return &FieldError{Field: f, Err: err}
	}
	return err
}

// Answerable returns the ask a.ID for a.User to answer (the Accept and
// Decline modals): refused unless a.User is the leader asked and the ask is
// still waiting (domain.Conflict says where it stands).
func (s *Service) Answerable(ctx context.Context, a Action) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if c.State != domain.CommitmentAsked {
		return nil, domain.Conflictf("%s", s.settledText(c))
	}
	return c, nil
}

// Changeable returns the commitment a.ID for a.User to give a new date (the
// New date modal): refused unless a.User is its leader and it is open.
func (s *Service) Changeable(ctx context.Context, a Action) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if c.State != domain.CommitmentOpen {
		return nil, domain.Conflictf("%s", s.settledText(c))
	}
	return c, nil
}

// Accept turns the ask a.ID into a.User's commitment, due on picked
// ("2006-01-02"): the ask's message shows the answer and the employee is
// told. A date that cannot be taken, or an ask answered meanwhile, is a
// *FieldError on FieldDue.
func (s *Service) Accept(ctx context.Context, a Action, picked string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	due, err := s.checkPicked(ctx, a.Team, a.User, picked)
	if err != nil {
		return nil, onField(FieldDue, err)
	}
	if c.State != domain.CommitmentAsked {
		return nil, onField(FieldDue, domain.Conflictf("%s", s.settledText(c)))
	}
	now := s.clock.Now()
	c.State, c.Due, c.MadeAt = domain.CommitmentOpen, due.String(), now
	ev := event(c, domain.CommitmentMadeData{CommitmentFacts: c.Facts(), AskedDue: c.AskedDue},
		a.User, string(domain.CommitmentAsked), string(domain.CommitmentOpen), now)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentAsked, &ev); err != nil {
		return nil, onField(FieldDue, s.raceLost(err))
	}
	s.notify.ShowAnswered(ctx, c, a.At)
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
	return c, nil
}

// DeclineAsk declines the ask a.ID, with an optional reason sent to the
// employee: the ask's message shows the answer. A reason too long, or an
// ask answered meanwhile, is a *FieldError on FieldReason.
func (s *Service) DeclineAsk(ctx context.Context, a Action, reason string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return nil, onField(FieldReason, domain.Invalidf("Please keep the reason to %d characters (it has %d).", MaxReason, n))
	}
	if c.State != domain.CommitmentAsked {
		return nil, onField(FieldReason, domain.Conflictf("%s", s.settledText(c)))
	}
	now := s.clock.Now()
	c.State, c.ClosedAt, c.DeclineReason = domain.CommitmentDeclined, now, reason
	ev := event(c, domain.CommitmentDeclinedData{CommitmentFacts: c.Facts(), Reason: reason},
		a.User, string(domain.CommitmentAsked), string(domain.CommitmentDeclined), now)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentAsked, &ev); err != nil {
		return nil, onField(FieldReason, s.raceLost(err))
	}
	s.notify.ShowAnswered(ctx, c, a.At)
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
	return c, nil
}

// Done marks the open commitment a.ID done by its leader, on time when it
// is not past its due date: the leader sees it settled where they clicked
// and in every reminder DM of it (none keeps live buttons), and the
// employee is told. A commitment settled already is domain.Conflict.
func (s *Service) Done(ctx context.Context, a Action) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if c.State != domain.CommitmentOpen {
		return nil, domain.Conflictf("%s", s.settledText(c))
	}
	now := s.clock.Now()
	due, derr := dates.ParseISO(c.Due)
	c.State, c.ClosedAt = domain.CommitmentDone, now
	c.OnTime = derr == nil && !s.today().After(due)
	onTime := c.OnTime
	ev := event(c, domain.CommitmentDoneData{CommitmentFacts: c.Facts(), OnTime: &onTime},
		a.User, string(domain.CommitmentOpen), string(domain.CommitmentDone), now)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentOpen, &ev); err != nil {
		return nil, s.raceLost(err)
	}
	s.notify.ShowSettled(ctx, c, a.At, s.takeReminders(ctx, c))
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
	return c, nil
}

// Redate moves the open commitment a.ID to picked ("2006-01-02"), another
// date from today on: the leader sees it where they clicked and in every
// reminder DM of the old date (none keeps live buttons), and the employee
// is told the new date and the old one. A date that cannot be
// taken, or a commitment settled meanwhile, is a *FieldError on FieldDue.
func (s *Service) Redate(ctx context.Context, a Action, picked string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	due, err := s.checkPicked(ctx, a.Team, a.User, picked)
	switch {
	case err != nil:
	case due.String() == c.Due:
		err = domain.Invalidf("That's the date it has already: pick another one.")
	case c.State != domain.CommitmentOpen:
		err = domain.Conflictf("%s", s.settledText(c))
	}
	if err != nil {
		return nil, onField(FieldDue, err)
	}
	old := c.Due
	c.Due = due.String()
	c.Redates++
	ev := event(c, domain.CommitmentRedatedData{CommitmentFacts: c.Facts()}, a.User, old, c.Due, s.clock.Now())
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentOpen, &ev); err != nil {
		return nil, onField(FieldDue, s.raceLost(err))
	}
	s.notify.ShowSettled(ctx, c, a.At, s.takeReminders(ctx, c))
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
	return c, nil
}

// own loads commitment a.ID for a.User, refusing anyone but its leader.
func (s *Service) own(ctx context.Context, a Action) (*domain.CommitmentRecord, error) {
	if _, ok := domain.NormalizeCommitmentID(a.ID); !ok {
		return nil, domain.Invalidf("That button is out of date; nothing changed.")
	}
	c, err := s.store.GetCommitment(ctx, a.Team, a.ID)
	if errors.Is(err, domain.ErrCommitmentNotFound) {
		return nil, domain.NotFoundf("I can't find commitment `%s`; nothing changed.", slacktext.Code(a.ID))
	}
	if err != nil {
		return nil, err
	}
	if c.Leader != a.User {
		if c.State == domain.CommitmentAsked {
			return nil, domain.Forbiddenf("Only %s, who was asked, can answer `%s`. Nothing changed.", slacktext.User(c.Leader), c.ID)
		}
		return nil, domain.Forbiddenf("That's %s's commitment (`%s`): only they can mark it done or move its date. Nothing changed.", slacktext.User(c.Leader), c.ID)
	}
	return c, nil
}

// checkPicked reads a date user picked in a form: from their today on, at
// most dates.MaxYears years away.
func (s *Service) checkPicked(ctx context.Context, team, user, picked string) (dates.Date, error) {
	d, err := dates.ParseISO(picked)
	if err != nil {
		return dates.Date{}, domain.Invalidf("Pick a date.")
	}
	today := s.todayOf(ctx, team, user)
	if d.Before(today) {
		return dates.Date{}, domain.Invalidf("%s is in the past: pick today or a later date.", d.Human(today))
	}
	if today.DaysUntil(d) > dates.MaxYears*366 {
		return dates.Date{}, domain.Invalidf("That's more than %d years away: pick a nearer date.", dates.MaxYears)
	}
	return d, nil
}

// settledText says where c stands now, for someone whose click came too
// late.
func (s *Service) settledText(c *domain.CommitmentRecord) string {
	today := s.today()
	switch c.State {
	case domain.CommitmentDone:
		return fmt.Sprintf("That commitment is already done (%s, `%s`). Nothing changed.", dates.Of(c.ClosedAt.In(s.policy().Location)).Human(today), c.ID)
	case domain.CommitmentDeclined:
		return fmt.Sprintf("That ask was declined already (`%s`). Nothing changed.", c.ID)
	case domain.CommitmentOpen:
		if c.Source == domain.SourceAsk {
			return fmt.Sprintf("That ask was accepted already: it's a commitment due %s (`%s`). Nothing changed.", DueText(c, today), c.ID)
		}
		return fmt.Sprintf("That commitment is still open, due %s (`%s`). Nothing changed.", DueText(c, today), c.ID)
	}
	return fmt.Sprintf("That ask is still waiting for an answer (`%s`). Nothing changed.", c.ID)
}

// raceLost turns a change that lost a race into a refusal saying where the
// commitment stands.
func (s *Service) raceLost(err error) error {
	var ce *domain.CommitmentConflictError
	if errors.As(err, &ce) {
		return domain.Conflictf("%s", s.settledText(ce.Current))
	}
	if errors.Is(err, domain.ErrCommitmentNotFound) {
		return domain.NotFoundf("I can't find that commitment any more; nothing changed.")
	}
	return err
}

// HumanDate shows a "2006-01-02" date for people ("Fri Nov 20"), relative
// to today; anything else is shown escaped, as it is.
func HumanDate(s string, today dates.Date) string {
	d, err := dates.ParseISO(s)
	if err != nil {
		return slacktext.Escape(s)
	}
	return d.Human(today)
}

// DueText is c's due date for people, "" when it has none.
func DueText(c *domain.CommitmentRecord, today dates.Date) string {
	if c.Due == "" {
		return ""
	}
	return HumanDate(c.Due, today)
}
