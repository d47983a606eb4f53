package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Praise by reaction (issue 17 item 4): :clap: on a person's message in a
// public channel the bot is in praises them from the one who reacted.

const (
	random  = "C0RANDOM" // public, without the bot
	secrets = "G0SECRET" // private, with the bot
	robot   = "U0ROBOT"  // another app's bot user
	clap    = "reaction: clap"
)

// reactionPolicy is the test policy with praise.reaction: clap and the
// daily limit given.
func reactionPolicy(limit string) string {
	return outcomePolicy(yearlySpec, "daily_limit: 10", "daily_limit: "+limit+"\n  "+clap)
}

// startReactions starts the product on policy with the channels and the
// bot user of these tests.
func startReactions(t *testing.T, policy string, replicas int) *decisionEnv {
	t.Helper()
	e := startDecisions(t, apptest.Options{Policy: policy, Replicas: replicas})
	e.Emu.AddChannel(random, "random")
	e.Emu.SetBotMember(random, false)
	e.Emu.AddChannel(secrets, "secrets")
	e.Emu.AddUser(slackemu.User{ID: robot, Name: "robot", IsBot: true})
	return e
}

// say posts text in channel as user and returns the message.
func (e *decisionEnv) say(user, channel, text string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.PostAsUser(user, channel, text)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// react adds (or, with add false, removes) user's emoji on m and waits until
// a replica has handled the event; it returns the envelope ID, empty when
// Slack delivers no event.
func (e *decisionEnv) react(user string, m slackemu.Message, emoji string, add bool) string {
	e.t.Helper()
	f := e.Emu.React
	if !add {
		f = e.Emu.Unreact
	}
	id, err := f(e.Ctx(), user, m.Channel, m.TS, emoji)
	if err != nil {
		e.t.Fatalf("react %s %s: %v", emoji, user, err)
	}
	if id != "" {
		e.handled(id)
	}
	return id
}

// handled waits until a replica logged the envelope: the handler is done.
func (e *decisionEnv) handled(envelopeID string) {
	e.t.Helper()
	if err := apptest.WaitFor(10*time.Second, func() bool {
		return len(e.Logs.Lines(`"envelope_id":"`+envelopeID+`"`)) > 0
	}); err != nil {
		e.t.Fatalf("envelope %s never handled: %v", envelopeID, err)
	}
}

// reactionPraise returns the praise.given events given by reaction.
func (e *decisionEnv) reactionPraise() []domain.Event {
	e.t.Helper()
	evs, err := e.store.ReadAudit(e.Ctx(), apptest.Team, e.Clock.Now().AddDate(-1, 0, 0), e.Clock.Now().AddDate(1, 0, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.Event
	for _, ev := range evs {
		if p, ok := ev.Payload.(domain.PraiseGivenData); ok && p.Reaction != "" {
			out = append(out, ev)
		}
	}
	return out
}

// permalink is the link Slack (the emulator) gives m.
func (e *decisionEnv) permalink(m slackemu.Message) string {
	return e.Emu.BaseURL() + "archives/" + m.Channel + "/p" + strings.Replace(m.TS, ".", "", 1)
}

func TestReactionPraisesTheAuthorOnceAndLinksTheMessage(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 2)
	m := e.say(apptest.Dave, apptest.General, "Fixed the ACME outage by rolling back the config")

	e.react(apptest.Alice, m, "clap", true)
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0ALICE> praises <@U0DAVE>")
	})
	if err != nil {
		t.Fatalf("no praise post: %v\n%s", err, dump(e.Emu.Messages(apptest.Praise)))
	}
	for _, want := range []string{"<" + e.permalink(m) + "|this message>", "<#C0GENERAL>", "Given with a :clap: reaction"} {
		if !strings.Contains(post.AllText(), want) {
			t.Errorf("praise post lacks %q: %s", want, post.AllText())
		}
	}
	t.Logf("praise post: text %q\nblocks: %s", post.Text, blocksJSON(t, post))
	dm := e.waitDM(apptest.Dave, "<@U0ALICE> praised you in <#C0PRAISE>")
	if !strings.Contains(dm.AllText(), "<"+e.permalink(m)+"|your message>") {
		t.Errorf("DM to Dave lacks the link: %s", dm.AllText())
	}
	if n := e.Emu.CallCount("chat.getPermalink"); n != 1 {
		t.Errorf("chat.getPermalink called %d times; want 1 (post and DM share it)", n)
	}

	// Removing and adding it again, quickly, each event on its own
	// replica, and a redelivery: still one praise.
	ids := []string{}
	for _, add := range []bool{false, true, false, true} {
		f := e.Emu.React
		if !add {
			f = e.Emu.Unreact
		}
		id, err := f(e.Ctx(), apptest.Alice, m.Channel, m.TS, "clap")
		if err != nil || id == "" {
			t.Fatalf("react: %q, %v", id, err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		e.handled(id)
	}
	if _, err := e.Emu.Redeliver(e.Ctx(), ids[1], "timeout"); err != nil {
		t.Fatal(err)
	}
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.Logs.Lines(`"outcome":"duplicate"`)) >= 1 }); err != nil {
		t.Fatalf("the redelivery was never handled: %v", err)
	}

	// A second reactor praises too.
	e.react(apptest.Bob, m, "clap::skin-tone-3", true)
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0BOB> praises <@U0DAVE>")
	}); err != nil {
		t.Fatalf("no praise from the second reactor: %v", err)
	}

	evs := e.reactionPraise()
	if len(evs) != 2 || len(e.Emu.Messages(apptest.Praise)) != 2 {
		t.Fatalf("%d praise by reaction, %d posts; want 2 (one per reactor)\n%s", len(evs), len(e.Emu.Messages(apptest.Praise)), dump(e.Emu.Messages(apptest.Praise)))
	}
	p := evs[0].Payload.(domain.PraiseGivenData)
	if evs[0].Actor != apptest.Alice || evs[0].Subject != apptest.Dave || p.Channel != apptest.General || p.MessageTS != m.TS || p.Reaction != "clap" {
		t.Errorf("audit = %+v %+v; want Alice praising Dave for the message", evs[0], p)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 2 {
		t.Errorf("Dave got %d DMs; want 2", n)
	}

	// The figures: a leader's stats, Alice's own, and the digest.
	if res := e.Command(apptest.Bob, "stats 7d"); !strings.Contains(res.AllText(), "*Praise by reaction*: 2 of the praise given") {
		t.Errorf("leader's stats lack the praise by reaction: %s", res.AllText())
	}
	if res := e.Command(apptest.Alice, "stats 7d"); !strings.Contains(res.AllText(), "*Praise by reaction*: 1 of the praise given") {
		t.Errorf("Alice's stats lack her praise by reaction: %s", res.AllText())
	}
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "digest"); err != nil {
		t.Fatal(err)
	}
	digest, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Weekly digest") })
	if err != nil {
		t.Fatalf("no digest: %v", err)
	}
	for _, want := range []string{"*Praise by reaction*: 2 of the praise given", "<@U0ALICE> → <@U0DAVE>: :clap: on a message in <#C0GENERAL>"} {
		if !strings.Contains(digest.AllText(), want) {
			t.Errorf("digest lacks %q:\n%s", want, digest.AllText())
		}
	}
	t.Logf("stats lines: %s", strings.Join(grepLines(digest.AllText(), "Praise"), " | "))
}

// grepLines returns the lines of s containing substr.
func grepLines(s, substr string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

func TestReactionsThatPraiseNoOne(t *testing.T) {
	e := startReactions(t, reactionPolicy("10"), 1)
	mine := e.say(apptest.Dave, apptest.General, "I closed 12 tickets today")
	botMsg := e.say(robot, apptest.General, "Deploy finished")
	fromBot := e.say(apptest.Dave, apptest.General, "thanks robot")
	inRandom := e.say(apptest.Dave, random, "lunch?")
	inSecret := e.say(apptest.Dave, secrets, "the private plan")

	e.react(apptest.Dave, mine, "clap", true)      // own message
	e.react(apptest.Alice, botMsg, "clap", true)   // a bot's message
	e.react(robot, fromBot, "clap", true)          // a bot reacting
	e.react(apptest.Alice, mine, "tada", true)     // another emoji
	e.react(apptest.Alice, inSecret, "clap", true) // a private channel
	if id := e.react(apptest.Alice, inRandom, "clap", true); id != "" {
		t.Errorf("Slack delivered a reaction from a channel the bot is not in")
	}
	// Had it been delivered, the bot would ignore it too.
	id, _ := e.Emu.SendEvent(e.Ctx(), map[string]any{"type": "reaction_added", "user": apptest.Alice, "reaction": "clap",
		"item_user": apptest.Dave, "item": map[string]any{"type": "message", "channel": random, "ts": inRandom.TS}})
	e.handled(id)

	// The bot's own message: its praise post of a typed praise.
	if res := e.Command(apptest.Alice, "praise "+mErin+" covered my shift"); !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("praise = %q", res.AllText())
	}
	e.react(apptest.Bob, e.lastPraisePost(), "clap", true)
	// Erin claps the bot's DM telling her: a DM is no public channel, and
	// the bot does not even look it up (it has no im:read).
	dm := e.waitDM(apptest.Erin, "praised you")
	if id := e.react(apptest.Erin, dm, "clap", true); id == "" {
		t.Fatal("no event for a reaction in the bot's DM")
	} else if l := e.Logs.Lines(`"envelope_id":"` + id + `"`); !strings.Contains(l[0], `"outcome":"ok"`) {
		t.Errorf("the reaction in a DM was not handled cleanly: %s", l[0])
	}

	if evs := e.reactionPraise(); len(evs) != 0 {
		t.Errorf("%d praise by reaction; want none: %+v", len(evs), evs)
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 1 {
		t.Errorf("%d praise posts; want only the typed one:\n%s", n, dump(e.Emu.Messages(apptest.Praise)))
	}
	for _, u := range []string{apptest.Dave, apptest.Bob, robot} {
		if eph := e.Emu.Ephemerals(u); len(eph) > 0 {
			t.Errorf("%s was told something: %s", u, dump(eph))
		}
	}
}

func TestReactionPraiseKeepsTheDailyLimit(t *testing.T) {
	e := startReactions(t, reactionPolicy("2"), 1)
	for range 2 {
		if res := e.Command(apptest.Alice, "praise "+mErin+" thanks"); !strings.Contains(res.AllText(), "is up") {
			t.Fatalf("praise = %q", res.AllText())
		}
	}
	m := e.say(apptest.Dave, apptest.General, "Shipped the fix")
	e.react(apptest.Alice, m, "clap", true)
	eph, err := e.Emu.WaitEphemeral(e.Ctx(), apptest.Alice, func(m slackemu.Message) bool {
		return strings.Contains(m.Text, "you've shared 2 praise posts today")
	})
	if err != nil {
		t.Fatalf("Alice was not told about the limit: %v\n%s", err, dump(e.Emu.Ephemerals(apptest.Alice)))
	}
	if eph.Channel != apptest.General || !strings.Contains(eph.Text, "Your :clap: on <@U0DAVE>'s message posted no praise this time") {
		t.Errorf("limit note = %q in %s", eph.Text, eph.Channel)
	}
	if n := len(e.reactionPraise()); n != 0 {
		t.Fatalf("%d praise by reaction past the limit; want none", n)
	}
	// Tomorrow the same reaction, added again, praises: the refused one
	// was not recorded as given.
	e.Clock.Advance(24 * time.Hour)
	e.react(apptest.Alice, m, "clap", false)
	e.react(apptest.Alice, m, "clap", true)
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(p slackemu.Message) bool {
		return strings.Contains(p.AllText(), "<@U0ALICE> praises <@U0DAVE>")
	}); err != nil {
		t.Fatalf("no praise the next day: %v", err)
	}
}

func TestReactionPraiseOffWithoutThePolicyKey(t *testing.T) {
	e := startReactions(t, outcomePolicy(yearlySpec), 1)
	m := e.say(apptest.Dave, apptest.General, "Fixed it")
	e.react(apptest.Alice, m, "clap", true)
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 || len(e.reactionPraise()) != 0 {
		t.Errorf("%d praise posts with praise.reaction unset; want none", n)
	}
	for _, c := range e.Emu.Calls("conversations.info") {
		if c.Param("channel") == apptest.General {
			t.Errorf("conversations.info of the reacted channel with praise.reaction unset; want no call")
		}
	}
}
