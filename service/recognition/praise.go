package recognition

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Praise and wins go to the praise feed. The giver's praise of the day (in
// the policy's time zone) is limited by Config.DailyLimit, and so are their
// wins, counted apart; the count and the audit event are one atomic step,
// taken back when the post fails, so a post is counted and audited exactly
// once.

// Usage lines of praise and win, from the subcommand table: refusals of
// what was typed end with them.
var (
	praiseUsage = command.MustLookup("praise").Usage()
	winUsage    = command.MustLookup("win").Usage()
)

// CheckRecipient refuses praise from giver to to that can never be given:
// to oneself, or to the bot. Praise applies it first; a handler may call it
// before it reads the rest of the command, so that this refusal comes
// before any other.
func (s *Service) CheckRecipient(giver, to string) error {
	if to == giver {
		// The usage line without its example: the example praises
		// @dave, who may be the very person typing.
		return domain.Invalidf("Praising yourself doesn't count, however well deserved :slightly_smiling_face: Praise someone who helped you, or share it as a team win with `/empower win`.\nUsage: `%s`", command.MustLookup("praise").Invocation())
	}
	if to == s.cfg.BotUserID {
		return domain.Invalidf("Thank you, but I'm a bot: praise a person who made a difference.\n%s", praiseUsage)
	}
	return nil
}

// Praise posts p to the praise feed, from its giver, and tells the person
// praised. It refuses (domain.Invalid) praise of oneself, of the bot, of a
// bot or a deactivated account, and praise that does not say what they
// did; a person the workspace does not know is domain.NotFound (when the
// directory cannot answer, the praise goes ahead); past the daily limit it
// is domain.Forbidden. Nothing is counted or audited unless the post went
// out.
func (s *Service) Praise(ctx context.Context, p domain.PraiseGiven) error {
	if err := s.CheckRecipient(p.Giver, p.To); err != nil {
		return err
	}
	if strings.TrimSpace(p.Text) == "" {
		return domain.Invalidf("Say what %s did: praise is about the risk they took or the difference they made.\n%s", slacktext.User(p.To), praiseUsage)
	}
	if err := s.checkPraised(ctx, p.To); err != nil {
		return err
	}
	now := s.clock.Now()
	ev := domain.Event{Actor: p.Giver, Subject: p.To, At: now, Payload: domain.PraiseGivenData{Text: p.Text, Values: p.Values}}
	err := s.postToFeed(ctx, p.Team, now, ev, s.giveOnce(ctx, p.Team, p.Giver, ev), func(ctx context.Context) error { return s.notify.PostPraise(ctx, p) })
	if errors.Is(err, errPostedBefore) {
		return nil // the same command, handled again after a crash
	}
	if err != nil {
		return err
	}
	s.tellPraised(ctx, p)
	return nil
}

// postLaterError is the error of a post to the praise feed that is not
// taken back when it fails: the praise stays counted and audited, waiting
// for a repair to post it (praise by reaction while Slack cannot answer).
type postLaterError struct{ err error }

func (e *postLaterError) Error() string { return "post later: " + e.err.Error() }
func (e *postLaterError) Unwrap() error { return e.err }

// errPostedBefore is postToFeed's answer for a command whose praise or win
// an earlier handling of the same request posted.
var errPostedBefore = errors.New("posted by an earlier handling of the same request")

// giveOnce counts and audits ev for giver (the give of postToFeed): once
// per request when ctx names one (domain.RequestKey), so that a command
// handled again after a crash counts, audits and posts it once.
func (s *Service) giveOnce(ctx context.Context, team, giver string, ev domain.Event) func(day string, limit int) (domain.PraiseTicket, bool, error) {
	return func(day string, limit int) (domain.PraiseTicket, bool, error) {
		if key := domain.RequestKey(ctx); key != "" {
			return s.store.GiveRequestPraise(ctx, team, giver, day, limit, key, ev)
		}
		return s.store.GivePraise(ctx, team, giver, day, limit, ev)
	}
}

// tellPraised tells p's person, after the post, and refreshes both App
// Homes.
func (s *Service) tellPraised(ctx context.Context, p domain.PraiseGiven) {
	if err := s.notify.TellPraised(ctx, p); err != nil {
		s.log.Warn("could not DM the praised person", "team", p.Team, "error", err.Error())
	}
	s.notify.Touched(ctx, p.Team, p.Giver, p.To)
}

// IsPraiseReaction reports whether emoji, a reaction as Slack names it
// ("clap", "clap::skin-tone-3"), is the policy's praise.reaction; never
// when that is not set.
func (s *Service) IsPraiseReaction(emoji string) bool {
	want := s.conf().Reaction
	if want == "" {
		return false
	}
	emoji = strings.ToLower(strings.Trim(emoji, ":"))
	return emoji == want || !strings.Contains(want, "::") && strings.HasPrefix(emoji, want+"::skin-tone-")
}

// PraiseByReaction praises p.To from p.Giver for the message p.Reacted,
// which p.Giver reacted to with the policy's praise.reaction: the post
// links to the message (Notifier.PostPraise), the person is told. It
// praises once per giver and message, whatever the reactions added,
// removed and added again, redeliveries or replicas. Reactions never answer
// back, so what is not praise is no error: another emoji, one's own
// message, the bot's, a bot's or a deactivated person's, a bot reacting,
// or a message already praised by this giver (given is false). Past the
// daily limit it is domain.Forbidden, with words for the giver.
func (s *Service) PraiseByReaction(ctx context.Context, p domain.PraiseGiven) (given bool, err error) {
	r := p.Reacted
	if r == nil || !s.IsPraiseReaction(r.Reaction) || p.Giver == "" || p.To == "" || s.CheckRecipient(p.Giver, p.To) != nil {
		return false, nil
	}
	for _, u := range []string{p.To, p.Giver} {
		who, err := s.dir.Person(ctx, u)
		switch {
		case errors.Is(err, ErrNoSuchPerson):
			return false, nil
		case err != nil:
			s.log.Warn("could not look up a person of a praise by reaction", "team", p.Team, "error", err.Error())
		case who.Bot || who.Deactivated:
			return false, nil
		}
	}
	now := s.clock.Now()
	ev := domain.Event{Actor: p.Giver, Subject: p.To, At: now, Payload: domain.PraiseGivenData{
		Text: p.Text, Values: p.Values, Reaction: r.Reaction, Channel: r.Channel, MessageTS: r.TS,
	}}
	already := false
	give := func(day string, limit int) (domain.PraiseTicket, bool, error) {
		t, ok, err := s.store.GiveReactionPraise(ctx, p.Team, p.Giver, day, limit, r.Channel, r.TS, ev)
		already = t.Already
		return t, ok || t.Already, err
	}
	post := func(ctx context.Context) error {
		if already {
			return nil
		}
		err := s.notify.PostPraise(ctx, p)
		if domain.ErrorCode(err) == domain.Unavailable {
			return &postLaterError{err: err}
		}
		return err
	}
	if err := s.postToFeed(ctx, p.Team, now, ev, give, post); err != nil {
		if later := (*postLaterError)(nil); errors.As(err, &later) {
			// Given and counted, waiting on its list: the repair posts
			// it, and tells the person, once Slack answers.
			s.log.Warn("praise by reaction left for the repair: Slack did not answer", "team", p.Team, "error", later.err.Error())
			return false, nil
		}
		if domain.ErrorCode(err) == domain.Forbidden {
			return false, domain.Forbiddenf("Your :%s: on %s's message posted no praise this time: you've shared %s today, as many as a day holds. Thank you for noticing so much; save it for tomorrow!",
				r.Reaction, slacktext.User(p.To), praisePosts(s.conf().DailyLimit))
		}
		return false, err
	}
	if already {
		return false, nil
	}
	s.tellPraised(ctx, p)
	return true, nil
}

// Win posts w to the praise feed and tells each person it credits (the
// giver aside). It refuses (domain.Invalid) a win that does not say what
// was won and one that credits the bot; past the daily limit of wins it is
// domain.Forbidden.
func (s *Service) Win(ctx context.Context, w domain.Win) error {
	if strings.TrimSpace(w.Text) == "" {
		return domain.Invalidf("Say what the team won, not just who.\n%s", winUsage)
	}
	for _, u := range w.Users {
		if u == s.cfg.BotUserID {
			return domain.Invalidf("Thank you, but I'm a bot: credit the people who made it happen.\n%s", winUsage)
		}
	}
	now := s.clock.Now()
	ev := domain.Event{Actor: w.Giver, At: now, Payload: domain.WinPostedData{Text: w.Text, Users: w.Users, Values: w.Values}}
	err := s.postToFeed(ctx, w.Team, now, ev, s.giveOnce(ctx, w.Team, w.Giver, ev), func(ctx context.Context) error { return s.notify.PostWin(ctx, w) })
	if errors.Is(err, errPostedBefore) {
		return nil // the same command, handled again after a crash
	}
	if err != nil {
		return err
	}
	for _, u := range w.Users {
		if u == w.Giver {
			continue
		}
		if err := s.notify.TellCredited(ctx, w, u); err != nil {
			s.log.Warn("could not DM a person credited in a win", "team", w.Team, "error", err.Error())
		}
	}
	s.notify.Touched(ctx, w.Team, append([]string{w.Giver}, w.Users...)...)
	return nil
}

// checkPraised refuses a person the workspace does not know, a bot or a
// deactivated account; when the directory cannot answer, the praise goes
// ahead.
func (s *Service) checkPraised(ctx context.Context, user string) error {
	p, err := s.dir.Person(ctx, user)
	if errors.Is(err, ErrNoSuchPerson) {
		return domain.NotFoundf("I can't find %s in this workspace; nothing was posted.\n%s", slacktext.User(user), praiseUsage)
	}
	if err != nil {
		s.log.Warn("could not look up the praised person", "error", err.Error())
		return nil
	}
	if p.Bot || p.Deactivated {
		return domain.Invalidf("%s isn't someone I can praise (a bot or a deactivated account); nothing was posted.\n%s", slacktext.User(user), praiseUsage)
	}
	return nil
}

// praiseDay is the day of praise given at t: its date in the policy's time
// zone, as the daily limit counts it.
func (s *Service) praiseDay(t time.Time) string { return t.In(s.location()).Format("2006-01-02") }

// praisePosts is "1 praise post" or "10 praise posts".
func praisePosts(n int) string {
	if n == 1 {
		return "1 praise post"
	}
	return fmt.Sprintf("%d praise posts", n)
}

// postToFeed counts ev (praise.given or win.posted) against its giver's
// daily limit and audits it with give (the store's GivePraise or
// GiveReactionPraise, given the day and the limit), then posts it with
// post; a failed post is taken back, unless post's error is a
// *postLaterError (it is returned as it is).
func (s *Service) postToFeed(ctx context.Context, team string, now time.Time, ev domain.Event,
	give func(day string, limit int) (domain.PraiseTicket, bool, error), post func(context.Context) error) error {
	limit := s.conf().DailyLimit
	day := s.praiseDay(now)
	t, ok, err := give(day, limit)
	if err != nil {
		return err
	}
	if t.Already && !ok {
		return errPostedBefore
	}
	if !ok {
		what := praisePosts(limit)
		if ev.Type() == domain.EventWinPosted {
			what = fmt.Sprintf("%d wins", limit)
			if limit == 1 {
				what = "1 win"
			}
		}
		return domain.Forbiddenf("You've shared %s today, as many as a day holds: thank you for noticing so much! Nothing was posted; keep this one for tomorrow.", what)
	}
	if err := post(ctx); err != nil {
		if later := (*postLaterError)(nil); errors.As(err, &later) {
			return err // counted and kept, for a later post
		}
		if uerr := s.store.UndoPraise(context.WithoutCancel(ctx), t); uerr != nil {
			s.log.Error("could not take back praise whose post failed", "team", team, "error", uerr.Error())
		}
		return fmt.Errorf("post to the praise channel: %w", err)
	}
	if err := s.store.PraisePosted(context.WithoutCancel(ctx), t); err != nil {
		s.log.Warn("could not record praise posted", "team", team, "error", err.Error())
	}
	return nil
}

// Praise by reaction is handled after its event was acknowledged, and Slack
// sends the event once: when the bot stops between counting the praise and
// posting it, or Slack fails the post, nobody would post it. So it waits on
// a list until it is posted (Store.PendingReactionPraise), and the repair
// run of the escalation_timeouts job posts what has waited too long.
const (
	// reactionRepairAfter is how long praise by reaction may wait for its
	// post before a repair posts it: longer than a handler may run (30s),
	// so that the handler that gave it has posted it or stopped.
	reactionRepairAfter = 2 * time.Minute
	// reactionRepairLease is how long a repair's claim holds; a repair that
	// died leaves it to a later run.
	reactionRepairLease = 2 * time.Minute
	// reactionRepairBatch bounds the praise one repair run posts.
	reactionRepairBatch = 50
	// reactionRepairGiveUp is how old praise by reaction may be and still
	// be posted: after a day the moment has passed, and it is dropped.
	reactionRepairGiveUp = 24 * time.Hour
)

// RepairReactionPraise posts the praise by reaction of team that was given
// (counted and audited) but whose post did not go out, once it is
// reactionRepairAfter old, and tells the person praised. A post that
// reached Slack before the bot stopped is found in the praise channel, not
// posted twice (domain.WithFinishing). A post that fails is tried again by
// a later run, for up to a day; one Slack refuses for good
// (*UnreachableError: the message or the channel is gone) is taken back.
func (s *Service) RepairReactionPraise(ctx context.Context, team string) error {
	now := s.clock.Now()
	due := now.Add(-reactionRepairAfter)
	evs, err := s.store.PendingReactionPraise(ctx, team, due, reactionRepairBatch)
	if err != nil {
		return fmt.Errorf("repair praise by reaction: %w", err)
	}
	var errs []error
	for _, ev := range evs {
		claimed, err := s.store.ClaimReactionPraise(ctx, team, ev.ID, due, now.Add(reactionRepairLease))
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("repair praise by reaction: %w", err))...)
		}
		if !claimed {
			continue
		}
		if now.Sub(ev.At) > reactionRepairGiveUp {
			s.log.Error("gave up posting praise by reaction", "team", team, "audit_id", ev.ID, "given_at", ev.At.UTC().Format(time.RFC3339))
			errs = append(errs, s.store.ReactionPraisePosted(ctx, team, ev.ID))
			continue
		}
		data, _ := ev.Payload.(domain.PraiseGivenData)
		p := domain.PraiseGiven{Team: team, Giver: ev.Actor, To: ev.Subject, Text: data.Text, Values: data.Values,
			Reacted: &domain.ReactedMessage{Channel: data.Channel, TS: data.MessageTS, Reaction: data.Reaction}}
		fctx := domain.WithFinishing(ctx)
		if err := s.notify.PostPraise(fctx, p); err != nil {
			var unreachable *UnreachableError
			if errors.As(err, &unreachable) {
				// Refused for good (the message or the channel is
				// gone): taken back, as when its handler's post is.
				s.log.Warn("praise by reaction taken back: Slack refused its post", "team", team, "audit_id", ev.ID, "code", unreachable.Reason)
				errs = append(errs, s.store.UndoPraise(ctx, s.store.ReactionTicket(team, s.praiseDay(ev.At), ev)))
				continue
			}
			errs = append(errs, fmt.Errorf("repair praise by reaction %s: %w", ev.ID, err))
			continue
		}
		if err := s.store.ReactionPraisePosted(ctx, team, ev.ID); err != nil {
			errs = append(errs, err)
		}
		s.log.Info("posted praise by reaction its handler left", "team", team, "audit_id", ev.ID)
		s.tellPraised(fctx, p)
	}
	return errors.Join(errs...)
}
