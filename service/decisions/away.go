package decisions

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Leaders away (PRODUCT.md "Away and delegates"). While a leader is away,
// what would be routed to them goes to their delegate too, who may answer
// it as they would ("Approved by @carol for @bob"): the delegate's authority
// is the away leader's, for what the away leader may answer, and no more.
// Without a delegate the other approvers of the level take it; when a
// decision arrives at a level (logged, escalated, timed out) where nobody is
// here, it moves on to the next level at once.

// AbsenceDirectory tells who is away at a moment, and who covers for them.
// The service's Directory implements it in the real wiring
// (*handlers.Handlers, over service/away); without it nobody is away.
type AbsenceDirectory interface {
	Absences(ctx context.Context, team string, at time.Time) (domain.Absences, error)
}

// absences returns who is away in team now; none when the Directory does
// not know absences or cannot say (logged: the decision goes on as if
// everyone were here).
func (s *Service) absences(ctx context.Context, team string) domain.Absences {
	ad, ok := s.dir.(AbsenceDirectory)
	if !ok {
		return nil
	}
	as, err := ad.Absences(ctx, team, s.clock.Now())
	if err != nil {
		s.log.Warn("could not read who is away", "team", team, "error", err.Error())
		return nil
	}
	return as
}

// onBehalf returns the away leader user may answer d for, as their
// delegate: "" when user may answer it in their own right, or not at all.
func (s *Service) onBehalf(ctx context.Context, d *domain.DecisionRecord, user string) string {
	return s.AnswersFor(ctx, &d.Decision, user)
}

// AnswersFor returns the away leader user answers pending d for now, as
// their delegate, "" for none. It is the leader d waits for at its level
// (routed to them, so to their delegate too), even when user could answer
// d in their own right; otherwise, when user may not answer d themselves,
// a covered leader whose authority reaches d (a level above that may act).
// Anything else is beyond what the away leader may answer, so beyond their
// delegate too.
func (s *Service) AnswersFor(ctx context.Context, d *domain.Decision, user string) string {
	covered := s.absences(ctx, d.Team).CoveredBy(user)
	if len(covered) == 0 {
		return ""
	}
	covered = slices.DeleteFunc(covered, func(l string) bool { return l == d.Requester })
	if at, err := s.levelUsers(ctx, d, d.Level); err == nil {
		for _, leader := range covered {
			if slices.Contains(at, leader) {
				return leader
			}
		}
	}
	if ok, err := s.MayApprove(ctx, d, user); err != nil || ok {
		return ""
	}
	for _, leader := range covered {
		if ok, err := s.MayApprove(ctx, d, leader); err == nil && ok {
			return leader
		}
	}
	return ""
}

// AwayApprovers returns the approvers of d's level who are away now,
// sorted, for the card to say who is away until when and who answers for
// them.
func (s *Service) AwayApprovers(ctx context.Context, d *domain.Decision, level int) []domain.Absence {
	as := s.absences(ctx, d.Team)
	if len(as) == 0 {
		return nil
	}
	users, err := s.levelUsers(ctx, d, level)
	if err != nil {
		s.log.Warn("could not list a level's approvers", "decision", d.ID, "error", err.Error())
		return nil
	}
	var out []domain.Absence
	for _, u := range users {
		if a, ok := as[u]; ok {
			out = append(out, a)
		}
	}
	return out
}

// levelUsers are the people who approve d at level, user groups
// resolved, sorted (the approvers of d's policy team at that level).
func (s *Service) levelUsers(ctx context.Context, d *domain.Decision, level int) ([]string, error) {
	return s.Approvers(ctx, d, level)
}

// present reports whether someone may take d at level now: one of its
// approvers (not the requester) who is here, or the delegate of one who is
// away. A level whose approvers cannot be listed counts as present.
func (s *Service) present(ctx context.Context, d *domain.Decision, level int, as domain.Absences) bool {
	users, err := s.levelUsers(ctx, d, level)
	if err != nil || len(users) == 0 {
		return true
	}
	for _, u := range users {
		if u == d.Requester {
			continue
		}
		a, away := as[u]
		if !away || (a.Delegate != "" && a.Delegate != d.Requester) {
			return true
		}
	}
	return false
}

// skipAway moves pending d, just arrived at its level, up while nobody is
// here at that level (below the top), each move a history entry "away"; it
// reports whether it moved d. The caller saves d.
func (s *Service) skipAway(ctx context.Context, d *domain.DecisionRecord, now time.Time) bool {
	p := s.policy()
	if d.State != domain.StatePending {
		return false
	}
	as := s.absences(ctx, d.Team)
	if len(as) == 0 {
		return false
	}
	moved := false
	for d.Level < len(p.Levels)-1 && !s.present(ctx, &d.Decision, d.Level, as) {
		users, _ := s.levelUsers(ctx, &d.Decision, d.Level)
		var away []string
		for _, u := range users {
			if a, ok := as[u]; ok {
				away = append(away, slacktext.User(a.User))
			}
		}
		from := d.LevelName
		d.Level++
		d.LevelName = p.LevelName(d.Level)
		d.Deadline = deadline(now, p.RespondWithin(d.Level))
		d.History = append(d.History, domain.HistoryEntry{Action: "away", From: from, To: d.LevelName, At: now,
			Note: strings.Join(away, ", ")})
		moved = true
	}
	return moved
}

// DecidedByText names who answered d: "<@carol>", or "<@carol> for <@bob>"
// when they answered as an away leader's delegate.
func DecidedByText(d *domain.Decision) string {
	return ByText(d.DecidedBy, d.DecidedFor)
}

// ByText names actor, and the away leader they acted for when forWho is set.
func ByText(actor, forWho string) string {
	if forWho == "" {
		return slacktext.User(actor)
	}
	return slacktext.User(actor) + " for " + slacktext.User(forWho)
}
