package insights

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/stats"
)

// Timing of the digest's post.
const (
	// digestPostedKeep is how long a tick's post is remembered as done.
	digestPostedKeep = 60 * 24 * time.Hour
	// digestPostTimeout bounds the post of a claimed digest, which goes on
	// through a shutdown.
	digestPostTimeout = time.Minute
	// digestPostLease is how long the post's lease lives: longer than the
	// chart and the post take, so it is never refreshed; a replica that
	// died while posting is taken over once it expires.
	digestPostLease = 5 * time.Minute
	// digestPostPoll is how often a run waits on another one's post.
	digestPostPoll = 5 * time.Second
	// digestFinishTimeout bounds marking the post done.
	digestFinishTimeout = 5 * time.Second
	// digestPostStep names the tick step that posts a tick's digest once.
	digestPostStep = "digest_post"
)

// Digest is one week's digest, gathered: the figures of the week ending at
// Tick and of the week before, for a leaders channel.
type Digest struct {
	Team    string
	Channel string
	// TeamName is the policy team of a team digest, posted to that team's
	// own leaders channel; "" for the organisation's digest.
	TeamName string
	// Tick is the digest's schedule tick, the end of its week; From is the
	// week's start, seven days before.
	Tick, From time.Time
	Loc        *time.Location
	Cur, Prev  stats.Figures
	// Teams are the week's figures of each policy team, in file order (the
	// people in no team last, when they decided something): the
	// organisation's digest has a line per team. None without teams.
	Teams []TeamFigures
}

// Digest posts the weekly digest of the week ending at tick to the leaders
// channel: the week's figures with the change against the week before (the
// Notifier renders them, with the chart), and, when the policy has teams, a
// line per team. Each team with a leaders channel of its own gets its own
// team's digest there too. Each of a tick's digests is posted once,
// whatever replicas or reruns: the post is a tick step (a lease in Redis), a
// run that finds it held waits for it, and it is marked done once the post
// was tried (a failed post is not tried again).
func (s *Service) Digest(ctx context.Context, tick time.Time) error {
	p := s.policy()
	team, loc := s.team, p.Location
	from, prevFrom := tick.AddDate(0, 0, -7), tick.AddDate(0, 0, -14)
	evs, err := s.store.ReadAudit(ctx, team, prevFrom.Add(-stats.Lookback), tick.Add(time.Millisecond))
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	floor := p.Feedback.AnonymityFloor
	cur := stats.Input{From: from, To: tick, Now: tick, Loc: loc, Floor: floor}
	prev := stats.Input{From: prevFrom, To: from, Now: from, Loc: loc, Floor: floor}
	var teamOf func(string) string
	if len(p.Teams) > 0 {
		v, err := s.teamView(ctx, p)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		cur.TeamOf, prev.TeamOf = v.TeamOf, v.TeamOf
		teamOf = v.TeamOf
	}
	rounds := stats.Compute(evs, cur).Rounds // the organisation's rounds
	withRates := func(figs ...*stats.Figures) {
		if err := s.teamRates(ctx, team, rounds, teamOf, figs...); err != nil {
			s.log.Warn("digest: no team response rates", "error", err.Error())
		}
	}
	digest := func(teamName, channel string, cur, prev stats.Input) *Digest {
		return &Digest{Team: team, Channel: channel, TeamName: teamName, Tick: tick, From: from, Loc: loc,
			Cur: stats.Compute(evs, cur), Prev: stats.Compute(evs, prev)}
	}

	var errs []error
	if channel := p.Channels.Leaders; channel == "" {
		s.log.Info("no leaders channel in the policy: no digest")
	} else {
		d := digest("", channel, cur, prev)
		if len(p.Teams) > 0 {
			d.Teams = perTeam(evs, cur, teamNames(p))
			for i := range d.Teams {
				withRates(&d.Teams[i].Figures)
			}
		}
		errs = append(errs, s.postDigestOnce(ctx, d, digestPostStep))
	}
	for _, t := range p.Teams {
		channel := t.Channels.Leaders
		if channel == "" || channel == p.Channels.Leaders {
			continue // the team's line in the organisation's digest
		}
		tc, tp := cur, prev
		tc.Teams, tp.Teams = []string{t.Name}, []string{t.Name}
		d := digest(t.Name, channel, tc, tp)
		withRates(&d.Cur)
		errs = append(errs, s.postDigestOnce(ctx, d, digestPostStep+":team:"+t.Name))
	}
	return errors.Join(errs...)
}

// postDigestOnce posts d once for its tick: step names the post among the
// tick's digests.
func (s *Service) postDigestOnce(ctx context.Context, d *Digest, step string) error {
	team, tick := d.Team, d.Tick
	owner, err := s.store.AwaitTickStep(ctx, team, step, tick, digestPostLease, digestPostPoll)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if owner == "" {
		s.log.Info("digest already posted for this tick", "tick", tick.UTC().Format(time.RFC3339), "policy_team", d.TeamName)
		return nil
	}
	// The post is claimed: a shutdown must not cut it short, or this tick's
	// digest would wait for the lease to expire.
	bg := context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(bg, digestPostTimeout)
	defer cancel()
	defer func() {
		fctx, fcancel := context.WithTimeout(bg, digestFinishTimeout)
		defer fcancel()
		if _, err := s.store.FinishTickStep(fctx, team, step, tick, owner, digestPostedKeep); err != nil {
			s.log.Warn("could not mark the digest posted", "tick", tick.UTC().Format(time.RFC3339), "error", err.Error())
		}
	}()
	return s.notify.PostDigest(ctx, d)
}
