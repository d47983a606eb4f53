package decisions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// idAttempts is how many fresh IDs Log tries when an ID is taken.
const idAttempts = 6

// Log applies the rules of the box to req, logged by user, and stores the
// decision with its audit event in one atomic step. Inside the box it is
// autonomous, the requester's own call; above it, it is pending at the
// level the box routes it to, whose card is posted. The decision keeps the
// requester's policy team (from the roster, in memory: no Slack call), whose
// chain answers it. An activity the box does not know is a domain.Invalid
// refusal.
func (s *Service) Log(ctx context.Context, team, user string, req box.Request) (*domain.DecisionRecord, error) {
	p := s.policy()
	now := s.clock.Now()
	teamName := s.view(ctx, p).TeamOf(user)
	// Routed first with the policy's box; when the decision leaves it, the
	// store checks, in the same step that stores it, that its requester
	// has no limit of their own for it (earned autonomy), or else gives
	// it, to route it again with (ownLimit).
	d, err := s.routed(ctx, p, team, user, teamName, req, nil, now)
	if err != nil {
		return nil, err
	}
	rs, checks := s.store.(routedStore)
	checked, own := false, ""
	key := domain.RequestKey(ctx)
	for attempt, reroutes := 1, 0; ; attempt++ {
		d.ID = domain.NewDecisionID()
		if attempt == 1 && key != "" {
			d.ID = domain.DecisionIDFor(team, key)
		}
		ev := event(d, domain.DecisionCreatedData{DecisionFacts: d.Facts()}, user, "", string(d.State), now)
		if checks && (checked || d.State == domain.StatePending) {
			err = rs.CreateDecisionRouted(ctx, d, own, ev)
		} else {
			err = s.store.CreateDecision(ctx, d, ev)
		}
		var oe *domain.OwnLimitChangedError
		if errors.As(err, &oe) && reroutes < idAttempts {
			reroutes++
			attempt--
			checked, own = true, oe.Raw
			var limits domain.PersonalLimits
			if oe.Limit != nil {
				limits = domain.PersonalLimits{req.Activity: *oe.Limit}
			}
			if d, err = s.routed(ctx, p, team, user, teamName, req, limits, now); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, domain.ErrExists) && attempt == 1 && key != "" {
			if prev := s.loggedBefore(ctx, d); prev != nil {
				return prev, nil
			}
		}
		if errors.Is(err, domain.ErrExists) && attempt < idAttempts {
			continue
		}
		break
	}
	if err != nil {
		return nil, fmt.Errorf("log decision: %w", err)
	}
	if d.State == domain.StatePending {
		// The card goes out after the person's answer (domain.Later): the
		// decision is stored, and a card lost to a crash is posted by the
		// redelivery (loggedBefore) or by Repair (the escalation timeouts job).
		domain.Later(ctx, func(ctx context.Context) {
			s.postCard(ctx, d)
			s.notify.Changed(ctx, d)
		})
		return d, nil
	}
	// The App Homes it concerns are refreshed after the answer too: the
	// ack waits for no read of who opened the Home.
	domain.Later(ctx, func(ctx context.Context) { s.notify.Changed(ctx, d) })
	return d, nil
}

// routedStore is the store's check of a requester's own limit as a
// decision is stored (see Log); *store.Store implements it.
type routedStore interface {
	// CreateDecisionRouted is CreateDecision for d routed with its
	// requester's own limit as kept (own, "" for none); a
	// *domain.OwnLimitChangedError, with nothing written, when they have
	// another one.
	CreateDecisionRouted(ctx context.Context, d *domain.DecisionRecord, own string, ev domain.Event) error
}

// routed applies the rules of the box under p, with user's own limits
// (nil for none), to req and returns the decision to store.
func (s *Service) routed(ctx context.Context, p *domain.Policy, team, user, teamName string, req box.Request, own domain.PersonalLimits, now time.Time) (*domain.DecisionRecord, error) {
	route, err := box.DecideFor(p, req.Activity, req.Amount, req.Tags, own)
	if err != nil {
		var ie *box.InputError
		if errors.As(err, &ie) {
			return nil, domain.Invalidf("%s", slacktext.Escape(ie.Message))
		}
		return nil, err
	}
	act, _ := p.Activity(req.Activity)
	d := &domain.DecisionRecord{Decision: domain.Decision{
		Team: team, Requester: user, Activity: req.Activity, Amount: req.Amount, Currency: p.CurrencyOf(act),
		Customer: req.Customer, Reason: req.Reason, Tags: req.Tags, CreatedAt: now, Level: -1,
		TeamName: teamName,
	}}
	if route.Autonomous {
		d.State = domain.StateAutonomous
		d.OutcomeDue = s.outcomeDue(p, now)
	} else {
		d.State = domain.StatePending
		d.Level = route.Level
		d.LevelName = p.LevelName(route.Level)
		d.Why = strings.Join(route.Reasons, "; ")
		d.ExceedsAll = route.ExceedsAll
		d.Deadline = deadline(now, p.RespondWithin(route.Level))
		d.History = []domain.HistoryEntry{{Action: "created", Actor: user, To: d.LevelName, At: now}}
		s.skipAway(ctx, d, now) // nobody is here at that level: the next one (away.go)
	}
	return d, nil
}

// loggedBefore returns the decision an earlier handling of the same request
// stored under d's ID (a redelivery after a crash), with its card posted if
// that handling died before posting it; nil when the ID belongs to another
// decision.
func (s *Service) loggedBefore(ctx context.Context, d *domain.DecisionRecord) *domain.DecisionRecord {
	prev, err := s.store.GetDecision(ctx, d.Team, d.ID)
	if err != nil || prev.Requester != d.Requester || prev.Activity != d.Activity ||
		prev.Amount != d.Amount || prev.Customer != d.Customer || prev.Reason != d.Reason {
		return nil
	}
	if prev.State == domain.StatePending && len(prev.Messages) == 0 {
		domain.Later(ctx, func(ctx context.Context) {
			s.postCard(ctx, prev)
			s.notify.Changed(ctx, prev)
		})
		return prev
	}
	s.notify.Changed(ctx, prev)
	return prev
}

// outcomeDue is when to ask how a decision made autonomous or approved at
// now under p turned out.
func (s *Service) outcomeDue(p *domain.Policy, now time.Time) time.Time {
	return now.Add(max(p.Outcomes.AskAfter, 0))
}

// deadline is when a level given within to answer from now must have
// answered; zero when it has no time limit.
func deadline(now time.Time, within time.Duration) time.Time {
	if within <= 0 {
		return time.Time{}
	}
	return now.Add(within)
}

// event builds the audit event of a change of d, with payload p (see
// domain/audit.go).
func event(d *domain.DecisionRecord, p domain.Payload, actor, from, to string, now time.Time) domain.Event {
	return domain.Event{Actor: actor, Subject: d.ID, From: from, To: to, At: now, Payload: p}
}
