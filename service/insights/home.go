package insights

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/stats"
)

// What a Home reads, at most: every read is bounded, whatever the history.
const (
	// HomeRecent is how many of the person's decisions a Home shows.
	HomeRecent = 10
	// homeWaitingScan bounds the pending decisions read for a leader.
	homeWaitingScan = 500
	// homeCommitmentScan is how many of the person's commitments of each
	// side are read, as `/empower commitments` reads them.
	homeCommitmentScan = 200
)

// Home is what one person's App Home shows, gathered from the read model:
// their box, what waits for their answer (leaders), their recent decisions,
// the open commitments made by and to them, and the latest praise they got.
type Home struct {
	Team, User string
	// Now is when it was gathered; Loc is the policy's timezone.
	Now time.Time
	Loc *time.Location
	// Levels are the levels the person approves at, lowest first (none for
	// front-line people).
	Levels []int
	// TeamName is the person's policy team ("" for none, or a policy
	// without teams); Leads are the teams they approve for, in file order.
	TeamName string
	Leads    []string
	// Box is every activity's limits; AlwaysEscalate the tags that always
	// go to a leader.
	Box            []box.ActivityLimits
	AlwaysEscalate []box.TagRule
	// Waiting are the pending decisions the person may answer, oldest first
	// (leaders only).
	Waiting []domain.Decision
	// Recent are the person's last decisions, newest first.
	Recent []domain.Decision
	// Made are the open commitments the person made; Received those made to
	// them; each by due date.
	Made, Received []domain.Commitment
	// Praise is the latest praise or win crediting them in the last
	// stats.Lookback, nil when none.
	Praise *Praise
}

// Leader reports whether the person approves at any level.
func (h *Home) Leader() bool { return len(h.Levels) > 0 }

// TopLevel is the highest level the person approves at, -1 for none.
func (h *Home) TopLevel() int {
	top := -1
	for _, l := range h.Levels {
		top = max(top, l)
	}
	return top
}

// Praise is one praise or win given to a person.
type Praise struct {
	From string
	At   time.Time
	Text string
	// Reaction and Channel are set for praise given by reacting to their
	// message in Channel (Text is empty then).
	Reaction, Channel string
}

// Home gathers user's App Home: a few bounded reads of the read model, the
// same whatever the length of the audit stream.
func (s *Service) Home(ctx context.Context, team, user string) (*Home, error) {
	team = s.teamOr(team)
	now := s.now()
	h := &Home{Team: team, User: user, Now: now, Loc: s.policy().Location,
		AlwaysEscalate: box.EscalationTags(s.policy())}
	own, err := s.store.PersonalLimits(ctx, team, user)
	if err != nil {
		return nil, err
	}
	h.Box = box.LimitsFor(s.policy(), own)
	if h.Levels, err = s.appr.LevelsOf(ctx, team, user); err != nil {
		return nil, err
	}
	p := s.policy()
	var v TeamView
	if len(p.Teams) > 0 {
		if v, err = s.teamView(ctx, p); err != nil {
			return nil, err
		}
		h.TeamName = v.TeamOf(user)
		if h.Leader() {
			h.Leads = v.TeamsApprovedBy(user)
		}
	}
	if h.Leader() {
		if h.Waiting, err = s.waitingFor(ctx, team, user, h.Levels, v); err != nil {
			return nil, err
		}
	}
	if h.Recent, err = s.store.RecentDecisions(ctx, team, user, HomeRecent); err != nil {
		return nil, err
	}
	if h.Made, h.Received, err = s.openCommitments(ctx, team, user); err != nil {
		return nil, err
	}
	if h.Praise, err = s.latestPraise(ctx, team, user, now); err != nil {
		return nil, err
	}
	return h, nil
}

// waitingFor returns the pending decisions that user, who approves at
// levels, may answer now (never their own), oldest first. With teams (v),
// the levels are those of each decision's team's chain: another team's
// decisions are not theirs.
func (s *Service) waitingFor(ctx context.Context, team, user string, levels []int, v TeamView) ([]domain.Decision, error) {
	ds, err := s.store.WaitingDecisions(ctx, team, homeWaitingScan)
	if err != nil {
		return nil, err
	}
	mine := slices.DeleteFunc(ds, func(d domain.Decision) bool {
		at := levels
		if v != nil {
			at = v.ApproverLevels(d.TeamName, user)
		}
		return d.State != domain.StatePending || d.Requester == user || !(s.mayAnswer(d, at) || s.answersFor(ctx, d, user))
	})
	slices.SortStableFunc(mine, func(a, b domain.Decision) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return mine, nil
}

// answersFor reports whether user may answer d now as an away leader's
// delegate.
func (s *Service) answersFor(ctx context.Context, d domain.Decision, user string) bool {
	del, ok := s.appr.(Delegates)
	return ok && del.AnswersFor(ctx, &d, user) != ""
}

// mayAnswer reports whether an approver at one of levels may answer d now.
func (s *Service) mayAnswer(d domain.Decision, levels []int) bool {
	for _, l := range levels {
		if box.MayAct(s.policy(), d.Activity, d.Amount, d.Level, l) {
			return true
		}
	}
	return false
}

// openCommitments returns the open commitments user made and those made to
// them (a commitment to oneself counts as made), each by due date, the
// oldest first among the same date.
func (s *Service) openCommitments(ctx context.Context, team, user string) (made, received []domain.Commitment, err error) {
	byLeader, toEmployee, err := s.store.CommitmentsOf(ctx, team, user, homeCommitmentScan)
	if err != nil {
		return nil, nil, err
	}
	open := func(recs []*domain.CommitmentRecord, skip func(*domain.CommitmentRecord) bool) []domain.Commitment {
		var out []domain.Commitment
		for _, c := range recs {
			if c.State == domain.CommitmentOpen && !skip(c) {
				out = append(out, c.Commitment)
			}
		}
		slices.SortStableFunc(out, func(a, b domain.Commitment) int {
			return cmp.Or(cmp.Compare(a.Due, b.Due), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		return out
	}
	made = open(byLeader, func(*domain.CommitmentRecord) bool { return false })
	received = open(toEmployee, func(c *domain.CommitmentRecord) bool { return c.Leader == user })
	return made, received, nil
}

// latestPraise returns the latest praise or win crediting user in the last
// stats.Lookback. The first Home of a team this process renders makes sure
// the praise index holds what was given before it existed.
func (s *Service) latestPraise(ctx context.Context, team, user string, now time.Time) (*Praise, error) {
	from := now.Add(-stats.Lookback)
	if _, done := s.praiseIndexed.Load(team); !done {
		if err := s.store.IndexPraise(ctx, team, from); err != nil {
			return nil, err
		}
		s.praiseIndexed.Store(team, true)
	}
	ev, ok, err := s.store.LatestPraiseFor(ctx, team, user, from, now.Add(time.Millisecond))
	if err != nil || !ok {
		return nil, err
	}
	p := &Praise{From: ev.Actor, At: ev.At}
	switch d := ev.Payload.(type) {
	case domain.PraiseGivenData:
		p.Text, p.Reaction, p.Channel = d.Text, d.Reaction, d.Channel
	case domain.WinPostedData:
		p.Text = d.Text
	}
	return p, nil
}

// PublishHome gathers user's App Home and publishes it.
func (s *Service) PublishHome(ctx context.Context, team, user string) error {
	h, err := s.Home(ctx, team, user)
	if err != nil {
		return err
	}
	return s.notify.PublishHome(ctx, h)
}

// HomeOpened publishes user's App Home, which they just opened, and
// remembers them, so that later changes that concern them refresh it. The
// publish takes its turn with the background refreshes of their Home
// (Homes), so that it never lands after a newer one.
func (s *Service) HomeOpened(ctx context.Context, team, user string) error {
	team = s.teamOr(team)
	if err := s.store.MarkHomeOpened(ctx, team, user); err != nil {
		s.log.Warn("could not record that the Home was opened", "team", team, "error", err.Error())
	}
	s.homes.noteOpened(team, user)
	return s.homes.publishNow(ctx, team, user)
}
