package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

const (
	mDave  = "<@U0DAVE|dave>"
	mErin  = "<@U0ERIN|erin>"
	mAlice = "<@U0ALICE|alice>"
)

func (e *decisionEnv) praiseCount(typ domain.EventType) int {
	return countOf(e.auditTypesAll(), typ)
}

func (e *decisionEnv) auditTypesAll() []domain.EventType {
	e.t.Helper()
	evs, err := e.store.ReadAudit(e.Ctx(), apptest.Team, e.Clock.Now().AddDate(-1, 0, 0), e.Clock.Now().AddDate(1, 0, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.EventType
	for _, ev := range evs {
		out = append(out, ev.Type())
	}
	return out
}

func (e *decisionEnv) lastPraisePost() slackemu.Message {
	e.t.Helper()
	ms := e.Emu.Messages(apptest.Praise)
	if len(ms) == 0 {
		e.t.Fatal("no post in the praise channel")
	}
	return ms[len(ms)-1]
}

func TestPraisePostsAndTellsThePerson(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	res := e.Command(apptest.Alice, "praise "+mDave+" stayed late to get ACME's line back up #customer-first")
	if !strings.Contains(res.AllText(), "Your praise for <@U0DAVE> is up") {
		t.Fatalf("praise reply = %q", res.AllText())
	}
	if res.ResponseType == "in_channel" {
		t.Error("praise confirmation is public; want ephemeral")
	}
	post := e.lastPraisePost()
	txt := post.AllText()
	for _, want := range []string{"<@U0ALICE> praises <@U0DAVE>", "stayed late to get ACME's line back up", "#customer-first"} {
		if !strings.Contains(txt, want) {
			t.Errorf("praise post lacks %q: %s", want, txt)
		}
	}
	t.Logf("praise post as posted:\ntext: %s\nblocks: %s", post.Text, blocksJSON(t, post))
	e.waitDM(apptest.Dave, "<@U0ALICE> praised you")
	if n := e.praiseCount(domain.EventPraiseGiven); n != 1 {
		t.Errorf("%d praise.given events; want 1", n)
	}
}

func TestPraiseRefusals(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	for _, c := range []struct{ text, want string }{
		{"praise", "Who are you praising"},
		{"praise " + mAlice + " for being great", "Praising yourself doesn't count"},
		{"praise <#C0GENERAL|general> great work", "is a channel, not a person"},
		{"praise <!subteam^S0FRONTLINE|@frontline> great work", "is a user group, not a person"},
		{"praise <!here> great work", "is a broadcast, not a person"},
		{"praise dave great work", "I don't know `dave`: start with the person you're praising"},
		{"praise " + mDave, "Say what <@U0DAVE> did"},
		{"praise " + mDave + " #courage", "Say what <@U0DAVE> did"},
		{"praise " + mDave + " great save #bravery", "`#bravery` isn't one of our values: #customer-first #ownership #courage"},
		{"praise <@U0NOBODY|nobody> great save", "can't find <@U0NOBODY>"},
	} {
		res := e.Command(apptest.Alice, c.text)
		if !strings.Contains(res.AllText(), c.want) {
			t.Errorf("/empower %s = %q; want %q", c.text, res.AllText(), c.want)
		}
		if c.text != "praise" && !strings.Contains(res.AllText(), "Usage: `/empower praise") {
			t.Errorf("/empower %s = %q; want the usage line", c.text, res.AllText())
		}
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Errorf("%d praise posts after refusals; want none", n)
	}
	if n := e.praiseCount(domain.EventPraiseGiven); n != 0 {
		t.Errorf("%d praise.given events after refusals; want none", n)
	}
}

func TestPraiseDailyLimit(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec, "daily_limit: 10", "daily_limit: 3")})
	for i := range 3 {
		if res := e.Command(apptest.Alice, "praise "+mDave+" thanks for the cover"); !strings.Contains(res.AllText(), "is up") {
			t.Fatalf("praise %d = %q", i, res.AllText())
		}
	}
	res := e.Command(apptest.Alice, "praise "+mErin+" one more")
	if !strings.Contains(res.AllText(), "You've shared 3 praise posts today") {
		t.Errorf("4th praise = %q; want the daily limit refusal", res.AllText())
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 3 {
		t.Errorf("%d posts; want 3", n)
	}
	// A team win is counted apart: the day's praise does not block it.
	if res := e.Command(apptest.Alice, "win ACME renewed "+mErin); !strings.Contains(res.AllText(), "is up") {
		t.Errorf("win after the praise limit = %q; want it posted", res.AllText())
	}
	for i := range 2 {
		if res := e.Command(apptest.Alice, "win another one"); !strings.Contains(res.AllText(), "is up") {
			t.Fatalf("win %d = %q", i+2, res.AllText())
		}
	}
	if res := e.Command(apptest.Alice, "win one win too many"); !strings.Contains(res.AllText(), "You've shared 3 wins today") {
		t.Errorf("4th win = %q; want the daily limit refusal", res.AllText())
	}
	// The next day in the policy's timezone starts a new count.
	e.Clock.Advance(24 * time.Hour)
	if res := e.Command(apptest.Alice, "praise "+mErin+" a new day"); !strings.Contains(res.AllText(), "is up") {
		t.Errorf("praise the next day = %q; want it posted", res.AllText())
	}
	// Another giver is not limited by Alice's count.
	if res := e.Command(apptest.Bob, "praise "+mErin+" great call"); !strings.Contains(res.AllText(), "is up") {
		t.Errorf("Bob's praise = %q", res.AllText())
	}
}

func TestPraiseMentionsNeverLive(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	e.Command(apptest.Alice, "praise "+mDave+" told <!channel> and <!here> and <!subteam^S0FRONTLINE|@frontline> and @everyone, with "+mErin+" & <b>bold</b>")
	post := e.lastPraisePost()
	raw := post.Text + string(post.Blocks)
	for _, live := range []string{"<!channel>", "<!here>", "<!subteam^", "<@U0ERIN", "<b>", "@everyone"} {
		if strings.Contains(raw, live) {
			t.Errorf("praise post holds live %q: %s", live, raw)
		}
	}
	for _, shown := range []string{"&lt;!channel&gt;", "&lt;!here&gt;", "@erin", "&amp;"} {
		if !strings.Contains(raw, shown) {
			t.Errorf("praise post does not show %q escaped: %s", shown, raw)
		}
	}
	// The DM to the person is escaped too.
	dm := e.waitDM(apptest.Dave, "praised you")
	if strings.Contains(dm.Text+string(dm.Blocks), "<!channel>") {
		t.Errorf("praise DM holds a live <!channel>: %s", dm.Blocks)
	}
}

func TestPraiseLongTextIsCut(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	long := strings.Repeat("<&> great ", 900) // 9,000 characters, 3x longer escaped
	res := e.Command(apptest.Alice, "praise "+mDave+" "+long)
	if !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("long praise = %q", res.AllText())
	}
	res = e.Command(apptest.Alice, "win "+long+" "+mDave)
	if !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("long win = %q", res.AllText())
	}
	for _, m := range e.Emu.Messages(apptest.Praise) {
		if !strings.Contains(m.AllText(), "…") {
			t.Errorf("long text not cut with an ellipsis: %.200s", m.AllText())
		}
	}
	for _, c := range e.Emu.Calls("chat.postMessage") {
		if c.Error != "" {
			t.Errorf("chat.postMessage refused: %s", c.Error)
		}
	}
}

func TestWinPostsAndCreditsEveryone(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	res := e.Command(apptest.Bob, "win ACME renewed for 3 years "+mDave+" "+mErin+" #ownership #courage")
	if !strings.Contains(res.AllText(), "Your team win is up") {
		t.Fatalf("win reply = %q", res.AllText())
	}
	post := e.lastPraisePost()
	txt := post.AllText()
	for _, want := range []string{"Team win", "<@U0BOB>", "ACME renewed for 3 years", "Credit to <@U0DAVE> and <@U0ERIN>, and the whole team", "#ownership #courage"} {
		if !strings.Contains(txt, want) {
			t.Errorf("win post lacks %q: %s", want, txt)
		}
	}
	t.Logf("win post as posted:\ntext: %s\nblocks: %s", post.Text, blocksJSON(t, post))
	e.waitDM(apptest.Dave, "credited you in a team win")
	e.waitDM(apptest.Erin, "credited you in a team win")
	if n := e.praiseCount(domain.EventWinPosted); n != 1 {
		t.Errorf("%d win.posted events; want 1", n)
	}
	// A win with nobody named credits the team.
	e.Command(apptest.Bob, "win zero escalations this week")
	if txt := e.lastPraisePost().AllText(); !strings.Contains(txt, "Credit to the whole team.") {
		t.Errorf("unnamed win = %s", txt)
	}
}

func TestWinRefusals(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	for _, c := range []struct{ text, want string }{
		{"win", "What did the team win"},
		{"win " + mDave + " " + mErin, "Say what the team won"},
		{"win #courage", "Say what the team won"},
		{"win ACME renewed #teamwork", "`#teamwork` isn't one of our values:"},
	} {
		res := e.Command(apptest.Bob, c.text)
		if !strings.Contains(res.AllText(), c.want) {
			t.Errorf("/empower %s = %q; want %q", c.text, res.AllText(), c.want)
		}
		if !strings.Contains(res.AllText(), "Usage: `/empower win") {
			t.Errorf("/empower %s = %q; want the usage line", c.text, res.AllText())
		}
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Errorf("%d posts after refusals; want none", n)
	}
	if n := e.praiseCount(domain.EventWinPosted); n != 0 {
		t.Errorf("%d win.posted events after refusals; want none", n)
	}
}

// PRODUCT.md: Slack markup in user text is not an error; it is shown
// escaped, never live, also at the end of a win.
func TestWinTrailingMarkupIsTextShownEscaped(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	for _, c := range []struct{ text, shown string }{
		{"win we shipped it <!channel>", "&lt;!channel&gt;"},
		{"win ACME renewed <#C0GENERAL|general> " + mDave, "&lt;#C0GENERAL|general&gt;"},
		{"win ACME renewed <!subteam^S0FRONTLINE|@frontline> #courage", "&lt;!subteam^S0FRONTLINE|@frontline&gt;"},
	} {
		before := len(e.Emu.Messages(apptest.Praise))
		res := e.Command(apptest.Bob, c.text)
		if !strings.Contains(res.AllText(), "is up") {
			t.Errorf("/empower %s = %q; want the win posted", c.text, res.AllText())
			continue
		}
		msgs := e.Emu.Messages(apptest.Praise)
		if len(msgs) != before+1 {
			t.Fatalf("/empower %s: %d posts; want %d", c.text, len(msgs), before+1)
		}
		post := msgs[len(msgs)-1]
		raw := post.Text + string(post.Blocks)
		for _, live := range []string{"<!channel>", "<#C0GENERAL", "<!subteam^"} {
			if strings.Contains(raw, live) {
				t.Errorf("/empower %s: post holds live %q: %s", c.text, live, raw)
			}
		}
		if !strings.Contains(raw, c.shown) {
			t.Errorf("/empower %s: post does not show %q: %s", c.text, c.shown, raw)
		}
	}
}
