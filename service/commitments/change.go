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
// *FieldError on FieldDue. A redelivery of the submission whose change is
// saved finishes what followed it (finishing).
func (s *Service) Accept(ctx context.Context, a Action, picked string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if fctx, ok := finishing(ctx, c); ok {
		s.answered(fctx, c, a, acceptedEvent(c, a.User))
		return c, nil
	}
	due, err := s.checkPicked(ctx, a.Team, a.User, picked)
	if err != nil {
		return nil, onField(FieldDue, err)
	}
	if c.State != domain.CommitmentAsked {
		return nil, onField(FieldDue, domain.Conflictf("%s", s.settledText(c)))
	}
	c.State, c.Due, c.MadeAt, c.Request = domain.CommitmentOpen, due.String(), s.clock.Now(), domain.RequestKey(ctx)
	ev := acceptedEvent(c, a.User)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentAsked, &ev); err != nil {
		return nil, onField(FieldDue, s.raceLost(err))
	}
	s.answered(ctx, c, a, ev)
	return c, nil
}

// acceptedEvent is the event of c's ask accepted by user.
func acceptedEvent(c *domain.CommitmentRecord, user string) domain.Event {
	return event(c, domain.CommitmentMadeData{CommitmentFacts: c.Facts(), AskedDue: c.AskedDue},
		user, string(domain.CommitmentAsked), string(domain.CommitmentOpen), c.MadeAt)
}

// answered follows the answer ev to the ask c, given by a: the ask's
// message shows it, the employee is told, the views refreshed.
func (s *Service) answered(ctx context.Context, c *domain.CommitmentRecord, a Action, ev domain.Event) {
	s.notify.ShowAnswered(ctx, s.withAskDM(ctx, c), a.At)
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
}

// finishing reports whether c's latest change was made by the request of
// ctx (domain.RequestKey): Slack delivered it again after the process
// handling it died, its change saved. What followed the change is then done
// again under the returned context (domain.WithFinishing: a DM sent before
// the crash is found, not sent twice). Any other request, the same
// person's included, is told where c stands.
func finishing(ctx context.Context, c *domain.CommitmentRecord) (context.Context, bool) {
	key := domain.RequestKey(ctx)
	if key == "" || c.Request != key {
		return ctx, false
	}
	return domain.WithFinishing(ctx), true
}

// DeclineAsk declines the ask a.ID, with an optional reason sent to the
// employee: the ask's message shows the answer. A reason too long, or an
// ask answered meanwhile, is a *FieldError on FieldReason. A redelivery of
// the submission whose change is saved finishes what followed it
// (finishing).
func (s *Service) DeclineAsk(ctx context.Context, a Action, reason string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if fctx, ok := finishing(ctx, c); ok {
		s.answered(fctx, c, a, declinedEvent(c, a.User))
		return c, nil
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return nil, onField(FieldReason, domain.Invalidf("Please keep the reason to %d characters (it has %d).", MaxReason, n))
	}
	if c.State != domain.CommitmentAsked {
		return nil, onField(FieldReason, domain.Conflictf("%s", s.settledText(c)))
	}
	c.State, c.ClosedAt, c.DeclineReason, c.Request = domain.CommitmentDeclined, s.clock.Now(), reason, domain.RequestKey(ctx)
	ev := declinedEvent(c, a.User)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentAsked, &ev); err != nil {
		return nil, onField(FieldReason, s.raceLost(err))
	}
	s.answered(ctx, c, a, ev)
	return c, nil
}

// declinedEvent is the event of c's ask declined by user.
func declinedEvent(c *domain.CommitmentRecord, user string) domain.Event {
	return event(c, domain.CommitmentDeclinedData{CommitmentFacts: c.Facts(), Reason: c.DeclineReason},
		user, string(domain.CommitmentAsked), string(domain.CommitmentDeclined), c.ClosedAt)
}

// Done marks the open commitment a.ID done by its leader, on time when it
// is not past its due date: the leader sees it settled where they clicked
// and in every reminder DM of it (none keeps live buttons), and the
// employee is told. A commitment settled already is domain.Conflict. A
// redelivery of the click whose change is saved finishes what followed it
// (finishing).
func (s *Service) Done(ctx context.Context, a Action) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if fctx, ok := finishing(ctx, c); ok {
		s.settled(fctx, c, a, doneEvent(c, a.User))
		return c, nil
	}
	if c.State != domain.CommitmentOpen {
		return nil, domain.Conflictf("%s", s.settledText(c))
	}
	due, derr := dates.ParseISO(c.Due)
	c.State, c.ClosedAt, c.Request = domain.CommitmentDone, s.clock.Now(), domain.RequestKey(ctx)
	c.OnTime = derr == nil && !s.today().After(due)
	ev := doneEvent(c, a.User)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentOpen, &ev); err != nil {
		return nil, s.raceLost(err)
	}
	s.settled(ctx, c, a, ev)
	return c, nil
}

// doneEvent is the event of c done by user.
func doneEvent(c *domain.CommitmentRecord, user string) domain.Event {
	onTime := c.OnTime
	return event(c, domain.CommitmentDoneData{CommitmentFacts: c.Facts(), OnTime: &onTime},
		user, string(domain.CommitmentOpen), string(domain.CommitmentDone), c.ClosedAt)
}

// settled follows ev, c done or given a new date by a: the leader sees it
// where they acted and in every reminder DM of it, the employee is told,
// the views refreshed.
func (s *Service) settled(ctx context.Context, c *domain.CommitmentRecord, a Action, ev domain.Event) {
	s.notify.ShowSettled(ctx, c, a.At, s.takeReminders(ctx, c))
	s.tellEmployee(ctx, c, ev)
	s.notify.Changed(ctx, c)
}

// Redate moves the open commitment a.ID to picked ("2006-01-02"), another
// date from today on: the leader sees it where they clicked and in every
// reminder DM of the old date (none keeps live buttons), and the employee
// is told the new date and the old one. A date that cannot be
// taken, or a commitment settled meanwhile, is a *FieldError on FieldDue.
// A redelivery of the submission whose change is saved finishes what
// followed it (finishing).
func (s *Service) Redate(ctx context.Context, a Action, picked string) (*domain.CommitmentRecord, error) {
	c, err := s.own(ctx, a)
	if err != nil {
		return nil, err
	}
	if fctx, ok := finishing(ctx, c); ok {
		s.settled(fctx, c, a, s.redatedEvent(c, a.User))
		return c, nil
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
	c.RedatedFrom, c.Due, c.Request = c.Due, due.String(), domain.RequestKey(ctx)
	c.Redates++
	ev := s.redatedEvent(c, a.User)
	if err := s.store.UpdateCommitment(ctx, c, domain.CommitmentOpen, &ev); err != nil {
		return nil, onField(FieldDue, s.raceLost(err))
	}
	s.settled(ctx, c, a, ev)
	return c, nil
}

// redatedEvent is the event of c's latest new date, set by user.
func (s *Service) redatedEvent(c *domain.CommitmentRecord, user string) domain.Event {
	return event(c, domain.CommitmentRedatedData{CommitmentFacts: c.Facts()}, user, c.RedatedFrom, c.Due, s.clock.Now())
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
			return nil, domain.Forbiddenf("Only %s can answer this ask: it was put to them (`%s`).", slacktext.User(c.Leader), c.ID)
		}
		return nil, domain.Forbiddenf("That's %s's commitment (`%s`): only they can mark it done or move its date.", slacktext.User(c.Leader), c.ID)
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

// withAskDM returns answered c with its ask's DM: read again after the
// answer when it was not known before it (recorded meanwhile; one recorded
// after the answer finds c answered and shows itself, see Ask).
func (s *Service) withAskDM(ctx context.Context, c *domain.CommitmentRecord) *domain.CommitmentRecord {
	if !c.AskDM.IsZero() {
		return c
	}
	cur, err := s.store.GetCommitment(ctx, c.Team, c.ID)
	if err != nil {
		s.log.Warn("could not read the ask's DM", "team", c.Team, "commitment", c.ID, "error", err.Error())
		return c
	}
	c.AskDM = cur.AskDM
	return c
}

// settledText says where c stands now, for someone whose click came too
// late.
func (s *Service) settledText(c *domain.CommitmentRecord) string {
	today := s.today()
	switch c.State {
	case domain.CommitmentDone:
		return fmt.Sprintf("That commitment is already done (%s, `%s`).", dates.Of(c.ClosedAt.In(s.policy().Location)).Human(today), c.ID)
	case domain.CommitmentDeclined:
		return fmt.Sprintf("That ask was declined already (`%s`).", c.ID)
	case domain.CommitmentOpen:
		if c.Source == domain.SourceAsk {
			return fmt.Sprintf("That ask was accepted already: it's a commitment due %s (`%s`).", DueText(c, today), c.ID)
		}
		return fmt.Sprintf("That commitment is still open, due %s (`%s`).", DueText(c, today), c.ID)
	}
	return fmt.Sprintf("That ask is still waiting for an answer (`%s`).", c.ID)
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
