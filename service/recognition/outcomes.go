package recognition

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Outcomes: the requester of an autonomous or approved decision tells,
// once, how it turned out. What worked is praised in public and its leader
// is told; what did not stays private: the requester is thanked for the
// risk and the leader, who owns the fallout, is told. A failure is never
// posted publicly. A note may be added once, afterwards.

// outcomeUsage is the usage line of `/empower outcome`, from the
// subcommand table.
var outcomeUsage = command.MustLookup("outcome").Usage()

// RecordOutcome records that decision id of team turned out as result
// (domain.OutcomeWorked or domain.OutcomeFailed), with an optional note, as
// told by user, and then praises it in public (worked) or thanks the
// requester and tells the leader in private (failed). It returns the
// decision as recorded; a decision that does not exist is
// domain.NotFound, someone other than the requester domain.Forbidden, and
// a pending or declined decision or one whose outcome is known
// domain.Conflict.
func (s *Service) RecordOutcome(ctx context.Context, team, user, id, result, note string) (*domain.Decision, error) {
	if result != domain.OutcomeWorked && result != domain.OutcomeFailed {
		return nil, fmt.Errorf("record outcome of %s: unknown outcome %q", id, result)
	}
	d, err := s.store.Decision(ctx, team, id)
	if domain.ErrorCode(err) == domain.NotFound {
		return nil, domain.NotFoundf("I can't find decision `%s`. Check the ID in your confirmation or the follow-up DM. Nothing was recorded.\n%s", id, outcomeUsage)
	}
	if err != nil {
		return nil, err
	}
	var p domain.Payload = domain.OutcomeWorkedData{OutcomeFacts: d.OutcomeFacts(note)}
	if result == domain.OutcomeFailed {
		p = domain.OutcomeFailedData{OutcomeFacts: d.OutcomeFacts(note)}
	}
	ev := domain.Event{Actor: user, Subject: d.ID, From: string(d.State), To: result, At: s.clock.Now(), Payload: p}
	rec, err := s.store.RecordOutcome(ctx, team, d.ID, user, result, note, domain.RequestKey(ctx), ev)
	var ref *domain.OutcomeRefusal
	if errors.As(err, &ref) {
		if cur := ref.Current; ref.Reason == domain.RefusedAlready && cur != nil && ownRequest(ctx, cur.Outcome.Request) {
			// This very request recorded it, and the process handling it
			// died before what follows (Slack delivered it again): finish
			// that, finding what went out before the crash, and answer as
			// the first time.
			s.afterOutcome(domain.WithFinishing(ctx), cur)
			if st := s.cfg.Streaks; st != nil {
				st.OutcomeRecorded(ctx, cur)
			}
			return cur, nil
		}
		if ref.Reason == domain.RefusedAlready && ref.Current != nil {
			// Told twice (a stale button, the command after the DM): the
			// follow-up DM shows what is recorded, in case its update
			// failed; the same update again changes nothing.
			s.showRecorded(ctx, ref.Current, ref.Current.Outcome.FollowUp)
		}
		return nil, refusal(ref, user)
	}
	if domain.ErrorCode(err) == domain.NotFound {
		return nil, domain.NotFoundf("I can't find decision `%s`. Nothing was recorded.", id)
	}
	if err != nil {
		return nil, err
	}
	s.afterOutcome(ctx, rec)
	if st := s.cfg.Streaks; st != nil {
		st.OutcomeRecorded(ctx, rec)
	}
	return rec, nil
}

// ownRequest reports whether recorded, the request kept with an outcome or
// its note, is the request of ctx (domain.RequestKey): that request is
// being handled again.
func ownRequest(ctx context.Context, recorded string) bool {
	key := domain.RequestKey(ctx)
	return key != "" && recorded == key
}

// CanAddNote returns decision id of team when user may add a note to its
// outcome now: they are its requester, its outcome is recorded and has no
// note yet. Otherwise it is domain.NotFound, domain.Forbidden or
// domain.Conflict.
func (s *Service) CanAddNote(ctx context.Context, team, user, id string) (*domain.Decision, error) {
	d, err := s.store.Decision(ctx, team, id)
	if domain.ErrorCode(err) == domain.NotFound {
		return nil, domain.NotFoundf("I can't find decision `%s` any more; nothing changed.", id)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case d.Requester != user:
		return nil, refusal(&domain.OutcomeRefusal{Reason: domain.RefusedNotRequester, Current: d}, user)
	case d.Outcome.Result == "":
		return nil, refusal(&domain.OutcomeRefusal{Reason: domain.RefusedNoOutcome, Current: d}, user)
	case d.Outcome.Note != "":
		return nil, domain.Conflictf("You already added a note to `%s`; nothing changed.", d.ID)
	}
	return d, nil
}

// AddNote adds user's note to the recorded outcome of decision id of team,
// once: it goes on the praise post (worked) or to the leaders (failed), and
// the follow-up DM shows it. The follow-up DM is at, or where the store
// knows it when at is zero. Refusals are as CanAddNote's.
func (s *Service) AddNote(ctx context.Context, team, user, id, note string, at domain.MessageRef) (*domain.Decision, error) {
	ev := domain.Event{Actor: user, Subject: id, At: s.clock.Now(), Payload: domain.OutcomeNotedData{Note: note}}
	d, err := s.store.AddOutcomeNote(ctx, team, id, user, note, domain.RequestKey(ctx), ev)
	var ref *domain.OutcomeRefusal
	if errors.As(err, &ref) && ref.Reason == domain.RefusedAlready && ref.Current != nil &&
		ownRequest(ctx, ref.Current.Outcome.NoteRequest) {
		// This very submission added it and the process handling it died
		// before what follows (Slack delivered it again): finish that,
		// finding what went out before the crash.
		d, err, ctx = ref.Current, nil, domain.WithFinishing(ctx)
	}
	if errors.As(err, &ref) {
		if ref.Reason == domain.RefusedAlready {
			return nil, domain.Conflictf("You already added a note to `%s`; nothing changed.", id)
		}
		return nil, refusal(ref, user)
	}
	if domain.ErrorCode(err) == domain.NotFound {
		return nil, domain.NotFoundf("I can't find decision `%s` any more; nothing changed.", id)
	}
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = d.Outcome.FollowUp
	}
	s.showRecorded(ctx, d, at)
	if d.Outcome.Result == domain.OutcomeWorked {
		if p := d.Outcome.PraisePost; !p.IsZero() {
			if err := s.notify.UpdatePraise(ctx, d, p); err != nil {
				s.log.Warn("could not add the note to the praise post", "team", d.Team, "decision", d.ID, "error", err.Error())
			}
		}
	} else {
		s.tellLeaders(ctx, d, s.leadersOf(ctx, d), NewsNoted)
	}
	s.notify.Touched(ctx, d.Team, d.Requester)
	return d, nil
}

// refusal is the domain error of an outcome or note that was not
// recorded: Forbidden for someone who is not the requester, Conflict when
// the decision's state does not allow it.
func refusal(ref *domain.OutcomeRefusal, user string) error {
	code := domain.Conflict
	if ref.Reason == domain.RefusedNotRequester {
		code = domain.Forbidden
	}
	return domain.Errorf(code, "%s", refusalText(ref, user))
}

// refusalText says kindly why an outcome or note was not recorded.
func refusalText(ref *domain.OutcomeRefusal, user string) string {
	d := ref.Current
	switch ref.Reason {
	case domain.RefusedNotRequester:
		return fmt.Sprintf("Only %s can say how this one turned out: it was their call (`%s`).", slacktext.User(d.Requester), d.ID)
	case domain.RefusedState:
		if d.State == domain.StateDeclined {
			return fmt.Sprintf("That decision was declined, so it never happened and has no outcome to record (`%s`).", d.ID)
		}
		return fmt.Sprintf("That decision is still waiting for a leader's answer, so there's no outcome to record yet (`%s`).", d.ID)
	case domain.RefusedNoOutcome:
		return fmt.Sprintf("Tell me how it turned out first; then you can add a note (`%s`).", d.ID)
	case domain.RefusedAlready:
		how := "worked"
		if d.Outcome.Result == domain.OutcomeFailed {
			how = "didn't work out"
		}
		if user != d.Requester {
			return fmt.Sprintf("%s told me already: it %s (`%s`).", slacktext.User(d.Requester), how, d.ID)
		}
		return fmt.Sprintf("You told me already: it %s (`%s`). Thanks for closing the loop!", how, d.ID)
	}
	return "Nothing changed."
}

// afterOutcome brings Slack in line with a recorded outcome. Failures are
// logged: the outcome itself is saved.
func (s *Service) afterOutcome(ctx context.Context, d *domain.Decision) {
	s.showRecorded(ctx, d, d.Outcome.FollowUp)
	leaders := s.leadersOf(ctx, d)
	if d.Outcome.Result == domain.OutcomeWorked {
		s.praiseOutcome(ctx, d)
		s.tellLeaders(ctx, d, leaders, NewsWorked)
	} else {
		if err := s.notify.ThankRequester(ctx, d); err != nil {
			s.log.Warn("could not DM about an outcome", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
		s.tellLeaders(ctx, d, leaders, NewsFailed)
	}
	s.notify.Touched(ctx, d.Team, append([]string{d.Requester}, leaders...)...)
}

// praiseOutcome posts the public praise of d, which worked, and records
// where; a post recorded already (by the handling that crashed after it)
// is not posted again.
func (s *Service) praiseOutcome(ctx context.Context, d *domain.Decision) {
	if !d.Outcome.PraisePost.IsZero() {
		return
	}
	at, err := s.notify.PraiseOutcome(ctx, d)
	if err != nil {
		s.log.Error("could not post praise for an outcome", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	if err := s.store.SetPraiseMessage(ctx, d.Team, d.ID, at); err != nil {
		s.log.Warn("could not record the praise post", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
}

// showRecorded shows d's recorded outcome in its follow-up DM at, if any.
func (s *Service) showRecorded(ctx context.Context, d *domain.Decision, at domain.MessageRef) {
	if at.IsZero() {
		return
	}
	if err := s.notify.ShowRecorded(ctx, d, at); err != nil {
		s.log.Warn("could not update the follow-up DM", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
}

// tellLeaders tells each of leaders the news about d, logging failures.
func (s *Service) tellLeaders(ctx context.Context, d *domain.Decision, leaders []string, news News) {
	for _, l := range leaders {
		if err := s.notify.TellLeader(ctx, d, l, news); err != nil {
			s.log.Warn("could not DM about an outcome", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
	}
}

// leadersOf returns the leaders of d's requester for this decision: the
// approver who approved it, or, for an autonomous decision, the first
// level's approvers; never the requester, each once.
func (s *Service) leadersOf(ctx context.Context, d *domain.Decision) []string {
	var ids []string
	if d.State == domain.StateApproved && d.DecidedBy != "" {
		ids = []string{d.DecidedBy}
	} else {
		ids = s.dir.Approvers(ctx, d, 0)
	}
	var out []string
	for _, id := range ids {
		if id != "" && id != d.Requester && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
