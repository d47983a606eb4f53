package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

// waitingPraise is how many praise by reaction wait for their post.
func (e *decisionEnv) waitingPraise() int64 {
	e.t.Helper()
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "praise-reaction-pending")
	n, err := e.Redis.Client(e.t).ZCard(context.Background(), key).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Praise by reaction is handled after its event is acknowledged, and Slack
// sends the event once. The handler counted Alice's :clap: and the process
// died before the post (played here by giving the praise through the store,
// as the handler does, and posting nothing): the escalation_timeouts job
// posts it once it has waited two minutes, with the link, and tells Dave;
// run again, it posts nothing more. Before the two minutes it leaves it to
// the handler.
func TestRepairPostsPraiseByReactionItsHandlerLeft(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 1)
	m := e.say(apptest.Dave, apptest.General, "Rolled back the ACME config: their checkout works again")
	now := e.Clock.Now()
	ev := domain.Event{Actor: apptest.Alice, Subject: apptest.Dave, At: now, Payload: domain.PraiseGivenData{
		Reaction: "clap", Channel: m.Channel, MessageTS: m.TS}}
	if _, ok, err := e.store.GiveReactionPraise(e.Ctx(), apptest.Team, apptest.Alice, now.UTC().Format("2006-01-02"), 10, m.Channel, m.TS, ev); err != nil || !ok {
		t.Fatalf("give the praise as the handler did: %v, %v", ok, err)
	}
	runTimeouts := func() {
		t.Helper()
		if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
			t.Fatalf("run escalation_timeouts: %v", err)
		}
	}

	e.Clock.Advance(time.Minute)
	runTimeouts()
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Fatalf("%d praise posts a minute after the praise was given; want 0 (its handler may still be posting)", n)
	}

	e.Clock.Advance(90 * time.Second)
	runTimeouts()
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0ALICE> praises <@U0DAVE>")
	})
	if err != nil {
		t.Fatalf("no praise post after the repair: %v\n%s", err, dump(e.Emu.Messages(apptest.Praise)))
	}
	if want := "<" + e.permalink(m) + "|this message>"; !strings.Contains(post.AllText(), want) {
		t.Errorf("the repaired post lacks %q: %s", want, post.AllText())
	}
	e.waitDM(apptest.Dave, "<@U0ALICE> praised you in <#C0PRAISE>")

	e.Clock.Advance(10 * time.Minute)
	runTimeouts()
	if n := len(e.Emu.Messages(apptest.Praise)); n != 1 {
		t.Errorf("%d praise posts after a second repair run; want 1\n%s", n, dump(e.Emu.Messages(apptest.Praise)))
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 1 {
		t.Errorf("Dave got %d DMs; want 1", n)
	}
	if n := len(e.reactionPraise()); n != 1 {
		t.Errorf("%d praise by reaction audited; want 1", n)
	}
}

// The post reached Slack and the process died before it took the praise
// off the list of praise waiting for its post (played here by putting it
// back on the list): the repair finds the post in the praise channel by its
// metadata and posts no second one.
func TestRepairFindsPraiseByReactionThatReachedSlack(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 1)
	m := e.say(apptest.Dave, apptest.General, "Rolled back the ACME config: their checkout works again")
	e.react(apptest.Alice, m, "clap", true)
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0ALICE> praises <@U0DAVE>")
	}); err != nil {
		t.Fatalf("no praise post: %v", err)
	}
	evs := e.reactionPraise()
	if len(evs) != 1 {
		t.Fatalf("%d praise by reaction audited; want 1", len(evs))
	}
	rc := e.Redis.Client(t)
	pending := store.NewKeys(e.Prefix).Team(apptest.Team, "praise-reaction-pending")
	if n := e.waitingPraise(); n != 0 {
		t.Errorf("%d praise by reaction still waiting after its post; want 0", n)
	}
	if err := rc.ZAdd(context.Background(), pending, redis.Z{Score: float64(evs[0].At.UnixMilli()), Member: evs[0].ID}).Err(); err != nil {
		t.Fatal(err)
	}

	e.Clock.Advance(3 * time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatalf("run escalation_timeouts: %v", err)
	}
	if n := e.waitingPraise(); n != 0 {
		t.Errorf("%d praise by reaction still waiting after the repair; want 0", n)
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 1 {
		t.Errorf("%d praise posts after the repair; want 1 (the one in the channel was found)\n%s", n, dump(e.Emu.Messages(apptest.Praise)))
	}
}

// Slack fails every attempt of the praise post (internal_error): the
// praise is not taken back but waits, counted once, and the repair posts it
// once Slack answers again, and tells Dave then, not before.
func TestPraiseByReactionWaitsOutASlackOutage(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 1)
	m := e.say(apptest.Dave, apptest.General, "Rolled back the ACME config: their checkout works again")
	e.Emu.InjectError("chat.postMessage", 4, "internal_error")
	e.react(apptest.Alice, m, "clap", true)
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Fatalf("%d praise posts while Slack failed; want 0", n)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 0 {
		t.Errorf("Dave got %d DMs before the praise was posted; want 0", n)
	}
	if n := len(e.reactionPraise()); n != 1 {
		t.Fatalf("%d praise by reaction audited after the failed post; want 1 (kept, not taken back)", n)
	}
	if n := e.waitingPraise(); n != 1 {
		t.Fatalf("%d praise by reaction waiting; want 1", n)
	}

	e.Clock.Advance(3 * time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatalf("run escalation_timeouts: %v", err)
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0ALICE> praises <@U0DAVE>")
	}); err != nil {
		t.Fatalf("no praise post after the repair: %v", err)
	}
	e.waitDM(apptest.Dave, "<@U0ALICE> praised you in <#C0PRAISE>")
	if n := len(e.Emu.Messages(apptest.Praise)); n != 1 {
		t.Errorf("%d praise posts; want 1\n%s", n, dump(e.Emu.Messages(apptest.Praise)))
	}
	if n := e.waitingPraise(); n != 0 {
		t.Errorf("%d praise by reaction still waiting after the repair; want 0", n)
	}
	// Re-adding the reaction later praises nothing more.
	e.react(apptest.Alice, m, "clap", false)
	e.react(apptest.Alice, m, "clap", true)
	if n := len(e.reactionPraise()); n != 1 {
		t.Errorf("%d praise by reaction audited after reacting again; want 1", n)
	}
}

// The handler stopped before the post, and the message reacted to is gone
// by the time of the repair: Slack refuses its link for good, so the praise
// is taken back (not audited, not counted, off the list), and nobody is
// told; the repair does not try again.
func TestRepairTakesBackPraiseByReactionForAMessageGone(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 1)
	now := e.Clock.Now()
	const gone = "1700000000.000001"
	ev := domain.Event{Actor: apptest.Alice, Subject: apptest.Dave, At: now, Payload: domain.PraiseGivenData{
		Reaction: "clap", Channel: apptest.General, MessageTS: gone}}
	day := now.UTC().Format("2006-01-02")
	if _, ok, err := e.store.GiveReactionPraise(e.Ctx(), apptest.Team, apptest.Alice, day, 10, apptest.General, gone, ev); err != nil || !ok {
		t.Fatalf("give the praise as the handler did: %v, %v", ok, err)
	}
	e.Clock.Advance(3 * time.Minute)
	for range 2 {
		if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
			t.Fatalf("run escalation_timeouts: %v", err)
		}
		e.Clock.Advance(5 * time.Minute)
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Errorf("%d praise posts for a message that is gone; want 0", n)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 0 {
		t.Errorf("Dave got %d DMs; want 0", n)
	}
	if n := len(e.reactionPraise()); n != 0 {
		t.Errorf("%d praise by reaction audited after it was taken back; want 0", n)
	}
	rc := e.Redis.Client(t)
	keys := store.NewKeys(e.Prefix)
	if n := e.waitingPraise(); n != 0 {
		t.Errorf("%d praise by reaction still waiting; want 0", n)
	}
	if n, err := rc.Get(context.Background(), keys.Team(apptest.Team, "praise-count", apptest.Alice, day)).Int(); err == nil && n != 0 {
		t.Errorf("Alice's praise count of the day = %d after the take-back; want 0", n)
	}
	if n := e.Emu.CallCount("chat.getPermalink"); n != 1 {
		t.Errorf("chat.getPermalink called %d times; want 1 (refused for good, not tried again)", n)
	}
}
