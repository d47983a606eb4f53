package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
)

// awayEnv is the product running for one away test, its clock at
// Wednesday 2026-11-18, 10:00 in Chicago (the policy's zone, and every
// test person's).
type awayEnv struct {
	*cmEnv
}

func startAway(t *testing.T, o apptest.Options) *awayEnv {
	t.Helper()
	return &awayEnv{startCommitments(t, o)}
}

// say runs `/empower text` as user and returns the private reply.
func (e *awayEnv) say(user, text string) string {
	e.t.Helper()
	res := e.Command(user, text)
	if res.ResponseType != "" && res.ResponseType != "ephemeral" {
		e.t.Errorf("/empower %s answered %q in the channel, want a private reply", text, res.ResponseType)
	}
	return res.AllText()
}

// isAway asks the running product whether user is away now.
func (e *awayEnv) isAway(user string) bool {
	e.t.Helper()
	away, err := e.Bots()[0].App.Handlers.Away.IsAway(context.Background(), apptest.Team, user, e.Clock.Now())
	if err != nil {
		e.t.Fatalf("is away: %v", err)
	}
	return away
}

func (e *awayEnv) awayEvents() []domain.Event {
	e.t.Helper()
	evs, err := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), e.Clock.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.Event
	for _, ev := range evs {
		if ev.Type() == domain.EventAwayStarted || ev.Type() == domain.EventAwayEnded {
			out = append(out, ev)
		}
	}
	return out
}

func wantIn(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}

func TestAwayRefusals(t *testing.T) {
	e := startAway(t, apptest.Options{})
	for _, tt := range []struct {
		name, user, text string
		want             []string
	}{
		{"not a leader", apptest.Dave, "away until friday", []string{"`away` is for leaders", "Nothing was stored"}},
		{"not a leader, with a delegate", apptest.Dave, "away until friday delegate " + cmBob, []string{"`away` is for leaders"}},
		{"delegate not a leader", apptest.Bob, "away until friday delegate " + cmDave, []string{"<@U0DAVE> isn't a leader in the policy", "Nothing was stored"}},
		{"delegate yourself", apptest.Bob, "away until friday delegate " + cmBob, []string{"can't be your own delegate", "Nothing was stored"}},
		{"a date in the past", apptest.Bob, "away until 2026-11-17", []string{"2026-11-17 is in the past", "Nothing was stored"}},
		{"more than a year away", apptest.Bob, "away until 2027-11-19", []string{"Fri Nov 19, 2027 is more than a year away", "up to Thu Nov 18, 2027", "Nothing was stored"}},
		{"years away", apptest.Bob, "away until 2040-01-01", []string{"more than a year away"}},
		{"unreadable date", apptest.Bob, "away until whenever", []string{"I can't read `whenever` as a date", "Nothing was stored"}},
		{"missing until", apptest.Bob, "away friday", []string{"Say until when you're away, starting with `until`", "Usage: `/empower away until <date> [delegate <@user>]`"}},
		{"nothing at all", apptest.Bob, "away", []string{"starting with `until`"}},
		{"until without a date", apptest.Bob, "away until", []string{"Say the last day you're away"}},
		{"delegate without a mention", apptest.Bob, "away until friday delegate", []string{"Say who covers for you"}},
		{"delegate is a group", apptest.Bob, "away until friday delegate <!subteam^S0FRONTLINE|frontline>", []string{"not a group"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantIn(t, tt.name, e.say(tt.user, tt.text), tt.want...)
		})
	}
	if e.isAway(apptest.Bob) || e.isAway(apptest.Dave) {
		t.Error("a refused away was stored")
	}
	if evs := e.awayEvents(); len(evs) != 0 {
		t.Errorf("refusals wrote audit events: %+v", evs)
	}
}

func TestAwayAndBack(t *testing.T) {
	e := startAway(t, apptest.Options{})
	got := e.say(apptest.Bob, "away until friday delegate "+cmCarol)
	wantIn(t, "away", got, "You're away until the end of *Fri Nov 20*", "<@U0CAROL> covers for you", "`/empower back`")
	if !e.isAway(apptest.Bob) {
		t.Fatal("bob is not away after away")
	}
	// The delegate cannot be away at the same time.
	wantIn(t, "delegate away", e.say(apptest.Carol, "away until tomorrow delegate "+cmBob), "<@U0BOB> is away too, until Fri Nov 20")

	wantIn(t, "back", e.say(apptest.Bob, "back"), "Welcome back", "<@U0CAROL> no longer answers for you")
	if e.isAway(apptest.Bob) {
		t.Fatal("bob is still away after back")
	}
	wantIn(t, "back again", e.say(apptest.Bob, "back"), "You weren't away, so nothing changed")
	wantIn(t, "back from someone never away", e.say(apptest.Dave, "back"), "You weren't away")

	got = e.say(apptest.Carol, "away until in 3 days")
	wantIn(t, "away without a delegate", got, "until the end of *Sat Nov 21*", "level's other approvers answer")

	evs := e.awayEvents()
	if len(evs) != 3 {
		t.Fatalf("audit: %+v", evs)
	}
	start, ok := evs[0].Payload.(domain.AwayStartedData)
	if !ok || evs[0].Actor != apptest.Bob || start.Until != "2026-11-20" || start.Delegate != apptest.Carol || start.Zone != "America/Chicago" ||
		!start.Ends.Time().Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, cmChicago)) {
		t.Errorf("away.started: %+v", evs[0])
	}
	if end, ok := evs[1].Payload.(domain.AwayEndedData); !ok || evs[1].Actor != apptest.Bob || end.Until != "2026-11-20" || evs[1].To != "back" {
		t.Errorf("away.ended: %+v", evs[1])
	}
	if evs[2].Actor != apptest.Carol || evs[2].Type() != domain.EventAwayStarted {
		t.Errorf("carol's away.started: %+v", evs[2])
	}
}

// TestAwayEndsAtMidnight: a period ends by itself when its last day ends in
// the leader's zone.
func TestAwayEndsAtMidnight(t *testing.T) {
	e := startAway(t, apptest.Options{})
	wantIn(t, "away", e.say(apptest.Bob, "away until tomorrow"), "*Thu Nov 19*")
	e.Clock.Set(time.Date(2026, 11, 19, 23, 59, 0, 0, cmChicago))
	if !e.isAway(apptest.Bob) {
		t.Fatal("bob is back before his last day ended")
	}
	e.Clock.Set(time.Date(2026, 11, 20, 0, 0, 1, 0, cmChicago))
	if e.isAway(apptest.Bob) {
		t.Fatal("bob is still away after his last day ended")
	}
	wantIn(t, "back after the end", e.say(apptest.Bob, "back"), "You weren't away")
}
