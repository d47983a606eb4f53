// Package autonomy is earned autonomy (PRODUCT.md "Beyond the box"): the
// streak of a person's decisions above their box, counted from their
// decisions' own history (approved or declined, and the outcome they told);
// the proposal to their team's first-level approvers once the last
// autonomy.propose_after of them were approved and none failed; the
// answer (Raise, once, never above the answering leader's own level limit;
// or Not now), and a leader's reset. Every change is one atomic step with
// its audit event through its Store.
//
// It reaches storage, Slack and the clock only through the interfaces it
// defines (Store, Notifier, Roster, Clock): *store.Store is its Store,
// package handlers implements the Notifier. It imports only domain, box,
// money, dates, slacktext, roster and the standard library: never
// slack-go, go-redis, cron or x/image, nor handlers, store, jobs or bot.
package autonomy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/slacktext"
)

// scanLimit bounds how many of a person's newest decisions one streak
// count reads.
const scanLimit = 200

// Store is the storage of earned autonomy; *store.Store implements it.
type Store interface {
	// Autonomy returns a person's own limits, streak starts and open
	// proposals.
	Autonomy(ctx context.Context, team, user string) (domain.AutonomyState, error)
	// RequesterDecisions returns a person's decisions logged after since,
	// newest first, at most limit.
	RequesterDecisions(ctx context.Context, team, user string, since time.Time, limit int) ([]*domain.Decision, error)
	// Propose records an open proposal with its event, unless its activity
	// has one open or its streak started afresh after since.
	Propose(ctx context.Context, pr *domain.Proposal, since time.Time, ev domain.Event) (bool, error)
	// Proposal returns a proposal; domain.NotFound when there is none.
	Proposal(ctx context.Context, team, id string) (*domain.Proposal, error)
	// ClaimProposalResend claims, once ever, the sending again of a
	// proposal's DMs.
	ClaimProposalResend(ctx context.Context, team, id string) (bool, error)
	// SetProposalDM records where an approver's DM of a proposal is.
	SetProposalDM(ctx context.Context, team, id, approver string, at domain.MessageRef) error
	// AnswerProposal answers an open proposal once (a raise sets limit);
	// *domain.ProposalAnsweredError when another answer came first.
	AnswerProposal(ctx context.Context, pr *domain.Proposal, state domain.ProposalState, by string, at time.Time, limit *domain.PersonalLimit, ev domain.Event) error
	// ResetLimit takes back a person's own limit, with its event; false
	// when there was none.
	ResetLimit(ctx context.Context, team, user, activity string, at time.Time, ev domain.Event) (bool, error)
}

// Notifier tells people about earned autonomy; package handlers implements
// it in Block Kit. It is called after a change is saved: a failure is
// logged, never undoes the change.
type Notifier interface {
	// SendProposal DMs pr to approver, with a Raise button for amount and
	// Not now, and returns the DM.
	SendProposal(ctx context.Context, pr *domain.Proposal, approver string, amount money.Amount) (domain.MessageRef, error)
	// ShowAnswer updates approver's DM of pr at to say how it was
	// answered, without buttons.
	ShowAnswer(ctx context.Context, pr *domain.Proposal, approver string, at domain.MessageRef) error
	// TellRaised tells pr's person, as good news, that their box grew.
	TellRaised(ctx context.Context, pr *domain.Proposal) error
	// TellReset tells user, kindly, that leader set their box for
	// activity back from own to the policy's limit.
	TellReset(ctx context.Context, team, user, leader string, act domain.Activity, currency string, own, policy money.Amount) error
	// Touched refreshes the views (App Home) of these people.
	Touched(ctx context.Context, team string, users ...string)
}

// Roster knows who is who under a policy; *roster.Roster implements it.
type Roster interface {
	View(ctx context.Context, p *domain.Policy) (*roster.View, error)
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

// Service is earned autonomy. Build it with New; it is safe for concurrent
// use.
type Service struct {
	policies *domain.Policies
	store    Store
	notify   Notifier
	roster   Roster
	clock    Clock
	log      *slog.Logger
}

// New returns the service for the policy in force in p.
func New(p *domain.Policies, st Store, n Notifier, r Roster, clk Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{policies: p, store: st, notify: n, roster: r, clock: clk, log: log}
}

// OutcomeRecorded is told each outcome recorded for d: a decision that
// worked may complete its requester's streak, which is then proposed.
// Failures are logged.
func (s *Service) OutcomeRecorded(ctx context.Context, d *domain.Decision) {
	if d.Outcome.Result != domain.OutcomeWorked || d.State != domain.StateApproved {
		return
	}
	if _, err := s.Consider(ctx, d.Team, d.Requester, d.Activity); err != nil {
		s.log.Warn("could not consider a raise", "team", d.Team, "user", d.Requester, "activity", d.Activity, "error", err.Error())
	}
}

// Consider counts user's streak for activity and, when the last
// autonomy.propose_after of their decisions above their box were approved
// and none failed, proposes a raise to their team's first-level approvers,
// once per streak: it returns the proposal, nil when none was made (no
// streak yet, one open already, proposals off, or another replica made it).
func (s *Service) Consider(ctx context.Context, team, user, activity string) (*domain.Proposal, error) {
	p := s.policies.Current()
	n := p.Autonomy.ProposeAfter
	act, ok := p.Activity(activity)
	if n <= 0 || !ok || len(p.Levels) == 0 {
		return nil, nil
	}
	st, err := s.store.Autonomy(ctx, team, user)
	if err != nil {
		return nil, err
	}
	if id := st.Open[activity]; id != "" {
		s.resend(ctx, p, team, id)
		return nil, nil // once per streak: the open one waits for its answer
	}
	var own *domain.PersonalLimit
	if pl, ok := st.Limits[activity]; ok {
		own = &pl
	}
	limit, _ := box.OwnLimit(p, act, own)
	since := st.Since[activity]
	ds, err := s.store.RequesterDecisions(ctx, team, user, since, scanLimit)
	if err != nil {
		return nil, err
	}
	streak := StreakOf(ds, activity, limit, since, n)
	if streak.Count < n {
		return nil, nil
	}
	v, err := s.roster.View(ctx, p)
	if err != nil {
		s.log.Warn("proposing with a partial roster", "team", team, "error", err.Error())
	}
	teamName := v.TeamOf(user)
	now := s.clock.Now()
	pr := &domain.Proposal{
		ID: domain.NewProposalID(), Team: team, Person: user, TeamName: teamName, Activity: act.Name,
		Currency: p.CurrencyOf(act), Limit: limit, Largest: streak.Largest, Count: streak.Count,
		First: streak.First, Last: streak.Last, Decisions: streak.Decisions, CreatedAt: now,
	}
	offers := map[string]money.Amount{}
	for _, a := range v.Approvers(teamName, 0) {
		if a == user {
			continue
		}
		if amt, _, ok := offer(p, v, act, pr, a); ok && amt > limit {
			pr.Approvers = append(pr.Approvers, a)
			offers[a] = amt
		}
	}
	if len(pr.Approvers) == 0 {
		return nil, nil // no one could raise it above the box it is
	}
	ev := domain.Event{Subject: user, To: pr.ID, At: now, Payload: domain.AutonomyProposedData{
		AutonomyFacts: facts(pr, pr.Largest), Limit: limit, Count: pr.Count,
		First: domain.UnixMilliOf(pr.First), Last: domain.UnixMilliOf(pr.Last),
		Decisions: pr.Decisions, Approvers: pr.Approvers,
	}}
	proposed, err := s.store.Propose(ctx, pr, since, ev)
	if err != nil || !proposed {
		return nil, err
	}
	s.send(ctx, pr, offers)
	return pr, nil
}

// resendAfter is how old an open proposal with no DM recorded must be for
// its DMs to be sent again (its first sending died: a crash, Slack down).
const resendAfter = 2 * time.Minute

// resend sends again, once ever, the DMs of open proposal id when none was
// recorded resendAfter after it was made.
func (s *Service) resend(ctx context.Context, p *domain.Policy, team, id string) {
	pr, err := s.store.Proposal(ctx, team, id)
	if err != nil || pr.State != domain.ProposalOpen || len(pr.DMs) > 0 || s.clock.Now().Sub(pr.CreatedAt) < resendAfter {
		return
	}
	act, ok := p.Activity(pr.Activity)
	if !ok {
		return
	}
	if claimed, err := s.store.ClaimProposalResend(ctx, team, id); err != nil || !claimed {
		return
	}
	v, _ := s.roster.View(ctx, p)
	offers := map[string]money.Amount{}
	for _, a := range pr.Approvers {
		amt, _, ok := offer(p, v, act, pr, a)
		if !ok {
			amt = min(pr.Largest, pr.Limit)
		}
		offers[a] = amt
	}
	s.log.Info("sending a raise proposal's DMs again", "team", team, "proposal", id)
	s.send(ctx, pr, offers)
}

// send DMs open proposal pr to each of its approvers with their offer and
// records each DM.
func (s *Service) send(ctx context.Context, pr *domain.Proposal, offers map[string]money.Amount) {
	for _, a := range pr.Approvers {
		at, err := s.notify.SendProposal(ctx, pr, a, offers[a])
		if err != nil {
			s.log.Warn("could not DM a raise proposal", "team", pr.Team, "proposal", pr.ID, "approver", a, "error", err.Error())
			continue
		}
		if err := s.store.SetProposalDM(ctx, pr.Team, pr.ID, a, at); err != nil {
			s.log.Warn("could not record a proposal DM", "team", pr.Team, "proposal", pr.ID, "error", err.Error())
		}
	}
	// An answer may have come from a DM sent first while the others went
	// out: bring them all in line.
	if cur, err := s.store.Proposal(ctx, pr.Team, pr.ID); err == nil && cur.State != domain.ProposalOpen {
		s.showAnswer(ctx, cur)
	}
	s.notify.Touched(ctx, pr.Team, pr.Approvers...)
}

// offer is what leader may raise pr's person to: the streak's largest
// amount, never above the limit of the highest level they approve at in
// the person's team chain (a level without a limit for act caps nothing).
// It returns that level's name, and false when leader approves at no level
// of that chain.
func offer(p *domain.Policy, v *roster.View, act domain.Activity, pr *domain.Proposal, leader string) (money.Amount, string, bool) {
	levels := v.ApproverLevels(pr.TeamName, leader)
	if len(levels) == 0 {
		return 0, "", false
	}
	top := p.LevelName(slices.Max(levels))
	if c, ok := box.CapOf(p, act, top); ok && c < pr.Largest {
		return c, top, true
	}
	return pr.Largest, top, true
}

// facts are the data of pr's events, about amount.
func facts(pr *domain.Proposal, amount money.Amount) domain.AutonomyFacts {
	return domain.AutonomyFacts{Person: pr.Person, Activity: pr.Activity, Amount: amount, Currency: pr.Currency,
		TeamName: pr.TeamName, Proposal: pr.ID}
}

// Raise has leader answer proposal id with Raise: its person gets a limit
// of their own for its activity, the streak's largest amount capped at
// leader's own level limit, once (another answer first, a double click or
// a redelivery change nothing and say who answered). Every approver's DM
// is updated and the person is told.
func (s *Service) Raise(ctx context.Context, team, id, leader string) (*domain.Proposal, error) {
	return s.answer(ctx, team, id, leader, domain.ProposalRaised)
}

// NotNow has leader answer proposal id with Not now: nothing changes for
// the person, and the next streak counts from the proposal on.
func (s *Service) NotNow(ctx context.Context, team, id, leader string) (*domain.Proposal, error) {
	return s.answer(ctx, team, id, leader, domain.ProposalDeferred)
}

func (s *Service) answer(ctx context.Context, team, id, leader string, state domain.ProposalState) (*domain.Proposal, error) {
	p := s.policies.Current()
	pr, err := s.store.Proposal(ctx, team, id)
	if err != nil {
		return nil, err
	}
	v, verr := s.roster.View(ctx, p)
	if !slices.Contains(pr.Approvers, leader) && !v.Approves(pr.TeamName, 0, leader) {
		if verr != nil {
			return nil, fmt.Errorf("resolve the policy's user groups: %w", verr)
		}
		role := domain.RoleName(p.LevelName(0))
		if len(pr.Approvers) > 1 {
			role += "s"
		}
		return nil, domain.Forbiddenf("This one is for %s to answer, as %s's %s.",
			orList(pr.Approvers), slacktext.User(pr.Person), slacktext.Escape(role))
	}
	key := domain.RequestKey(ctx)
	if pr.State != domain.ProposalOpen {
		if key != "" && pr.Request == key && pr.AnsweredBy == leader {
			// This very click answered it, and the process handling it
			// died before what follows (Slack delivered it again): finish
			// it, each message looked for before it is sent.
			s.answered(domain.WithFinishing(ctx), team, pr)
			return pr, nil
		}
		s.showAnswer(ctx, pr)
		return nil, domain.Conflictf("%s", answeredText(p, pr, leader, s.clock.Now()))
	}
	pr.Request = key
	now := s.clock.Now()
	var limit *domain.PersonalLimit
	var ev domain.Event
	act, ok := p.Activity(pr.Activity)
	switch state {
	case domain.ProposalRaised:
		if !ok {
			return nil, domain.Conflictf("*%s* isn't one of the activities any more, so there's no box to raise.", slacktext.Escape(pr.Activity))
		}
		amt, level, ok := offer(p, v, act, pr, leader)
		if !ok {
			return nil, domain.Forbiddenf("Only %s's own leaders can raise their box.", slacktext.User(pr.Person))
		}
		st, err := s.store.Autonomy(ctx, team, pr.Person)
		if err != nil {
			return nil, err
		}
		var own *domain.PersonalLimit
		if pl, ok := st.Limits[pr.Activity]; ok {
			own = &pl
		}
		cur, _ := box.OwnLimit(p, act, own)
		if amt <= cur {
			// Another leader's click may have raised it between the two
			// reads: then say who did, as for a click that came later.
			if latest, err := s.store.Proposal(ctx, team, id); err == nil && latest.State != domain.ProposalOpen {
				s.showAnswer(ctx, latest)
				return nil, domain.Conflictf("%s", answeredText(p, latest, leader, now))
			}
			return nil, domain.Conflictf("%s's %s box is %s already, as much as you can give.",
				slacktext.User(pr.Person), slacktext.Escape(pr.Activity), cur.Format(pr.Currency))
		}
		limit = &domain.PersonalLimit{Activity: pr.Activity, Amount: amt, Currency: pr.Currency, By: leader, At: now,
			Proposal: pr.ID, From: cur, Level: level}
		ev = domain.Event{Actor: leader, Subject: pr.Person, From: cur.String(), To: amt.String(), At: now,
			Payload: domain.AutonomyRaisedData{AutonomyFacts: facts(pr, amt), From: cur, Level: level}}
	default:
		ev = domain.Event{Actor: leader, Subject: pr.Person, To: pr.ID, At: now,
			Payload: domain.AutonomyDeferredData{AutonomyFacts: facts(pr, pr.Largest)}}
	}
	err = s.store.AnswerProposal(ctx, pr, state, leader, now, limit, ev)
	var ae *domain.ProposalAnsweredError
	if errors.As(err, &ae) {
		s.showAnswer(ctx, ae.Current)
		return nil, domain.Conflictf("%s", answeredText(p, ae.Current, leader, now))
	}
	if err != nil {
		return nil, err
	}
	s.answered(ctx, team, pr)
	return pr, nil
}

// answered does what follows the answer of pr: every approver's DM shows
// it (each DM recorded for it, read again: see withDMs), the person hears
// of a raise, the views are refreshed.
func (s *Service) answered(ctx context.Context, team string, pr *domain.Proposal) {
	s.showAnswer(ctx, s.withDMs(ctx, pr))
	if pr.State == domain.ProposalRaised {
		if err := s.notify.TellRaised(ctx, pr); err != nil {
			s.log.Warn("could not tell of a raise", "team", team, "proposal", pr.ID, "error", err.Error())
		}
	}
	s.notify.Touched(ctx, team, append([]string{pr.Person}, pr.Approvers...)...)
}

// withDMs returns answered pr with every DM recorded for it, read again
// after the answer: a DM recorded between the answer's first read and its
// write would be missed otherwise (its sender read the proposal still open
// before the answer was written). One recorded later finds it answered
// (see send).
func (s *Service) withDMs(ctx context.Context, pr *domain.Proposal) *domain.Proposal {
	cur, err := s.store.Proposal(ctx, pr.Team, pr.ID)
	if err != nil {
		s.log.Warn("could not read a proposal's DMs", "team", pr.Team, "proposal", pr.ID, "error", err.Error())
		return pr
	}
	for a, at := range cur.DMs {
		if _, ok := pr.DMs[a]; !ok {
			if pr.DMs == nil {
				pr.DMs = map[string]domain.MessageRef{}
			}
			pr.DMs[a] = at
		}
	}
	return pr
}

// showAnswer updates every approver's DM of the answered pr.
func (s *Service) showAnswer(ctx context.Context, pr *domain.Proposal) {
	for _, a := range pr.Approvers {
		at, ok := pr.DMs[a]
		if !ok {
			continue
		}
		if err := s.notify.ShowAnswer(ctx, pr, a, at); err != nil {
			s.log.Warn("could not update a proposal DM", "team", pr.Team, "proposal", pr.ID, "approver", a, "error", err.Error())
		}
	}
}

// orList mentions people as one would say them: "@bob", "@bob or
// @frank", "@bob, @frank or @gina".
func orList(ids []string) string {
	if len(ids) <= 1 {
		return slacktext.Mentions(ids)
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = slacktext.Mentions([]string{id})
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// answeredText says who answered pr first, to leader, who clicked after.
func answeredText(p *domain.Policy, pr *domain.Proposal, leader string, now time.Time) string {
	who := slacktext.User(pr.AnsweredBy)
	if pr.AnsweredBy == leader {
		who = "You"
	}
	when := dates.ClockText(pr.AnsweredAt, now, p.Location)
	if pr.State == domain.ProposalRaised {
		return fmt.Sprintf("%s already raised %s's %s box to %s (%s); nothing changed.",
			who, slacktext.User(pr.Person), slacktext.Escape(pr.Activity), pr.RaisedTo.Format(pr.Currency), when)
	}
	return fmt.Sprintf("%s already said not now to raising %s's %s box (%s); nothing changed.",
		who, slacktext.User(pr.Person), slacktext.Escape(pr.Activity), when)
}

// Reset has leader take back user's own limit for activity: they are back
// to the policy's box for it, and told kindly; the next streak counts from
// now. It returns the limit taken back and the policy's. Refusals: a
// person who is not on the front line, one whose escalations leader does
// not answer, an unknown activity (with a did-you-mean), no limit of their
// own to reset.
func (s *Service) Reset(ctx context.Context, team, leader, user, activity string) (own, policy money.Amount, err error) {
	p := s.policies.Current()
	v, verr := s.roster.View(ctx, p)
	if user == leader {
		return 0, 0, domain.Forbiddenf("Your own box is your leaders' to reset, not yours.")
	}
	if !v.IsFrontline(user) {
		if verr != nil {
			return 0, 0, fmt.Errorf("resolve the policy's user groups: %w", verr)
		}
		return 0, 0, domain.NotFoundf("%s doesn't log decisions on the front line, so they have no box to reset.", slacktext.User(user))
	}
	if len(v.ApproverLevels(v.TeamOf(user), leader)) == 0 {
		if leaders := v.Approvers(v.TeamOf(user), 0); len(leaders) > 0 {
			return 0, 0, domain.Forbiddenf("Only %s's own leaders can reset their box: %s.", slacktext.User(user), orList(leaders))
		}
		return 0, 0, domain.Forbiddenf("Only %s's own leaders can reset their box.", slacktext.User(user))
	}
	act, err := box.CheckActivity(p, strings.TrimSpace(activity))
	if err != nil {
		var ie *box.InputError
		if errors.As(err, &ie) {
			return 0, 0, domain.Invalidf("%s", slacktext.Escape(ie.Message))
		}
		return 0, 0, err
	}
	st, err := s.store.Autonomy(ctx, team, user)
	if err != nil {
		return 0, 0, err
	}
	pl, ok := st.Limits[act.Name]
	cur := p.CurrencyOf(act)
	if !ok {
		return 0, 0, domain.Conflictf("%s's %s box hasn't been raised, so there's nothing to reset: it's the usual %s.",
			slacktext.User(user), slacktext.Escape(act.Name), act.FrontlineLimit.Format(cur))
	}
	own, _ = box.OwnLimit(p, act, &pl)
	now := s.clock.Now()
	ev := domain.Event{Actor: leader, Subject: user, From: own.String(), To: act.FrontlineLimit.String(), At: now,
		Payload: domain.AutonomyResetData{AutonomyFacts: domain.AutonomyFacts{Person: user, Activity: act.Name,
			Amount: own, Currency: cur, TeamName: v.TeamOf(user), Proposal: pl.Proposal}, To: act.FrontlineLimit}}
	reset, err := s.store.ResetLimit(ctx, team, user, act.Name, now, ev)
	if err != nil {
		return 0, 0, err
	}
	if !reset {
		return 0, 0, domain.Conflictf("Someone else just reset %s's %s box; it's back to the usual %s.",
			slacktext.User(user), slacktext.Escape(act.Name), act.FrontlineLimit.Format(cur))
	}
	if err := s.notify.TellReset(ctx, team, user, leader, act, cur, own, act.FrontlineLimit); err != nil {
		s.log.Warn("could not tell of a reset", "team", team, "user", user, "error", err.Error())
	}
	s.notify.Touched(ctx, team, user, leader)
	return own, act.FrontlineLimit, nil
}
