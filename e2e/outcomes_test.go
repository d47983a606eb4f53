package e2e

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// outcomePolicy is apptest's policy with the outcome_followups schedule
// given, the other jobs off for the test's duration, and extra lines
// replaced (old -> new pairs).
func outcomePolicy(followups string, repl ...string) string {
	p := apptest.DefaultPolicy
	for _, job := range []string{"feedback", "feedback_reminder", "commitment_reminders", "escalation_timeouts", "digest"} {
		p = replaceSpec(p, job, yearlySpec)
	}
	p = replaceSpec(p, "outcome_followups", followups)
	for i := 0; i+1 < len(repl); i += 2 {
		p = strings.Replace(p, repl[i], repl[i+1], 1)
	}
	return p
}

// followUps returns the follow-up DMs of decision id in user's DM, as they
// are now.
func (e *decisionEnv) followUps(user, id string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range e.Emu.DMs(user) {
		if strings.Contains(m.AllText(), id) && (strings.Contains(m.AllText(), "turn out?") || strings.Contains(m.AllText(), "Recorded:")) {
			out = append(out, m)
		}
	}
	return out
}

// followUp waits for the one follow-up DM of decision id to user.
func (e *decisionEnv) followUp(user, id string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), id) && strings.Contains(m.AllText(), "turn out?")
	})
	if err != nil {
		e.t.Fatalf("no follow-up DM for %s to %s: %v\nDMs: %s", id, user, err, dump(e.Emu.DMs(user)))
	}
	return m
}

// runFollowUps runs the outcome_followups job now on the replicas, all at
// once.
func (e *decisionEnv) runFollowUps(bots ...*apptest.Bot) {
	e.t.Helper()
	errs := make(chan error, len(bots))
	for _, b := range bots {
		go func() { errs <- b.App.Jobs.RunNow(e.Ctx(), jobs.JobOutcomeFollowups) }()
	}
	for range bots {
		if err := <-errs; err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
			e.t.Errorf("run outcome_followups: %v", err)
		}
	}
}

func (e *decisionEnv) countAudit(id string, typ domain.EventType) int {
	return countOf(e.auditTypes(id), typ)
}

// publicMessages counts the messages in every public channel.
func (e *decisionEnv) publicMessages() map[string]int {
	out := map[string]int{}
	for _, ch := range []string{apptest.Praise, apptest.Escalations, apptest.Leaders, apptest.General} {
		out[ch] = len(e.Emu.Messages(ch))
	}
	return out
}

func blocksJSON(t *testing.T, m slackemu.Message) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		t.Fatalf("blocks of %s: %v", m.TS, err)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestOutcomeFollowUpOnceAcrossReplicasAndRestart(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy("@every 1s"), Replicas: 2})
	_, d1 := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived #customer-first")
	_, d2 := e.decide(apptest.Alice, "discount 900 for Globex keep the renewal")
	e.click(apptest.Bob, e.escalation(d2, "Globex"), "Approve")
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(d2).State == domain.StateApproved }); err != nil {
		t.Fatalf("%s never approved: %v", d2, err)
	}
	_, pending := e.decide(apptest.Erin, "discount 5000 for Initech big one")
	if d1 == "" || d2 == "" || pending == "" {
		t.Fatalf("decisions not logged: %q %q %q", d1, d2, pending)
	}

	// Not due yet: a run sends nothing.
	e.runFollowUps(e.Bots()...)
	if n := len(e.followUps(apptest.Dave, d1)) + len(e.followUps(apptest.Alice, d2)); n != 0 {
		t.Fatalf("%d follow-ups before outcomes.ask_after; want none", n)
	}

	e.Clock.Advance(72*time.Hour + time.Minute)
	dm1 := e.followUp(apptest.Dave, d1)
	e.followUp(apptest.Alice, d2)
	t.Logf("follow-up DM of %s as posted:\ntext: %s\nblocks: %s", d1, dm1.Text, blocksJSON(t, dm1))
	if dm1.Text != "How did the $250 discount for ACME turn out?" {
		t.Errorf("follow-up text = %q; want %q", dm1.Text, "How did the $250 discount for ACME turn out?")
	}
	if got := buttonLabels(dm1); len(got) != 2 || got[0] != "It worked" || got[1] != "It didn't" {
		t.Errorf("follow-up buttons = %q; want It worked, It didn't", got)
	}
	if b := dm1.Buttons(); len(b) > 0 && b[0].Style != "primary" {
		t.Errorf("It worked style = %q; want primary", b[0].Style)
	}

	// One replica stops, a new one starts, the clock moves on; a decision
	// made after the restart is asked about too.
	runs := len(e.Logs.Lines(`"msg":"outcome follow-ups done"`))
	if err := e.Bots()[0].Stop(); err != nil {
		t.Fatal(err)
	}
	nb := e.StartBot()
	_, d3 := e.decide(apptest.Erin, "travel-waiver 100 for Initech")
	e.Clock.Advance(73 * time.Hour)
	e.followUp(apptest.Erin, d3)
	e.runFollowUps(e.Bots()[1], nb)
	if err := apptest.WaitFor(20*time.Second, func() bool {
		return len(e.Logs.Lines(`"msg":"outcome follow-ups done"`)) >= runs+4
	}); err != nil {
		t.Fatalf("the job did not keep running after the restart: %v", err)
	}
	for _, b := range e.Bots() {
		if err := b.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ user, id string }{{apptest.Dave, d1}, {apptest.Alice, d2}, {apptest.Erin, d3}} {
		if n := len(e.followUps(c.user, c.id)); n != 1 {
			t.Errorf("%s got %d follow-ups for %s; want exactly 1", c.user, n, c.id)
		}
		if n := e.countAudit(c.id, domain.EventOutcomeAsked); n != 1 {
			t.Errorf("%s has %d outcome.asked audit events; want 1", c.id, n)
		}
	}
	// A pending decision is never asked about.
	if n := len(e.followUps(apptest.Erin, pending)); n != 0 {
		t.Errorf("pending %s got %d follow-ups; want none", pending, n)
	}
}

func TestOutcomeWorkedPraisesInPublic(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived #customer-first #courage")
	e.Clock.Advance(72*time.Hour + time.Minute)
	e.runFollowUps(e.Bots()...)
	dm := e.followUp(apptest.Dave, id)
	before := e.publicMessages()

	e.click(apptest.Dave, dm, "It worked")
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "took a risk") })
	if err != nil {
		t.Fatalf("no praise post after It worked: %v", err)
	}
	txt := post.AllText()
	for _, want := range []string{"<@U0DAVE>", "discount", "ACME", "#customer-first", "#courage"} {
		if !strings.Contains(txt, want) {
			t.Errorf("praise post lacks %q: %s", want, txt)
		}
	}
	if strings.Contains(txt, "250") {
		t.Errorf("praise post shows the amount although praise.show_amounts is false: %s", txt)
	}
	// The leader (the first level's approver, for an autonomous decision) is told.
	if lead := e.waitDM(apptest.Bob, "worked"); !strings.Contains(lead.Text, "<@U0DAVE>'s $") || strings.Contains(lead.Text, "'s the") {
		t.Errorf("leader DM = %q; want \"<@U0DAVE>'s $… discount\"", lead.Text)
	}
	// The DM is updated in place: no live outcome buttons, an Add a note button.
	upd, err := e.Emu.WaitDM(e.Ctx(), apptest.Dave, func(m slackemu.Message) bool { return m.TS == dm.TS && m.Updated > 0 })
	if err != nil {
		t.Fatalf("follow-up DM never updated: %v", err)
	}
	if got := buttonLabels(upd); len(got) != 1 || got[0] != "Add a note" {
		t.Errorf("updated follow-up buttons = %q; want only Add a note", got)
	}
	if !strings.Contains(upd.AllText(), "Recorded: the $250 discount for ACME worked") {
		t.Errorf("updated follow-up = %q; want what was recorded", upd.AllText())
	}

	// A double click on the stale DM and a command afterwards are refused
	// kindly; nothing is posted twice.
	e.click(apptest.Dave, dm, "It worked")
	e.waitEphemeral(apptest.Dave, "You told me already: it worked (`"+id+"`)")
	res := e.Command(apptest.Dave, "outcome "+strings.ToLower(id)+" failed")
	if !strings.Contains(res.AllText(), "told me already") {
		t.Errorf("second outcome by command = %q; want a kind refusal", res.AllText())
	}

	// Add a note: the note goes on the praise post.
	e.click(apptest.Dave, upd, "Add a note")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewOutcomeNote })
	if err != nil {
		t.Fatalf("no note modal: %v", err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, slackemu.Values{}.Set("outcome_note", "note", "They renewed for 3 years <!channel>")); err != nil {
		t.Fatal(err)
	}
	post, err = e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool {
		return m.TS == post.TS && strings.Contains(m.AllText(), "They renewed for 3 years")
	})
	if err != nil {
		t.Fatalf("note never reached the praise post: %v", err)
	}
	if strings.Contains(string(post.Blocks), "<!channel>") {
		t.Errorf("note is live in the praise post: %s", post.Blocks)
	}
	t.Logf("praise post of %s as posted:\ntext: %s\nblocks: %s", id, post.Text, blocksJSON(t, post))

	after := e.publicMessages()
	if after[apptest.Praise] != before[apptest.Praise]+1 {
		t.Errorf("%d praise posts; want exactly 1", after[apptest.Praise]-before[apptest.Praise])
	}
	if n := e.countAudit(id, domain.EventOutcomeWorked); n != 1 {
		t.Errorf("%d outcome.worked events; want 1", n)
	}
	if n := e.countAudit(id, domain.EventOutcomeFailed); n != 0 {
		t.Errorf("%d outcome.failed events; want 0", n)
	}
}

func TestOutcomeWorkedShowsAmountWhenPolicySaysSo(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec, "show_amounts: false", "show_amounts: true")})
	_, id := e.decide(apptest.Alice, "discount 900 for Globex keep the renewal #ownership")
	e.click(apptest.Bob, e.escalation(id, "Globex"), "Approve")
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(id).State == domain.StateApproved }); err != nil {
		t.Fatal(err)
	}
	// Recorded by command before any follow-up: the follow-up is then never sent.
	res := e.Command(apptest.Alice, "outcome "+id+" worked they signed for two more years")
	if !strings.Contains(res.AllText(), "Recorded") {
		t.Fatalf("outcome reply = %q", res.AllText())
	}
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "took a risk") })
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<@U0ALICE>", "$900", "Globex", "#ownership", "they signed for two more years", "<@U0BOB>"} {
		if !strings.Contains(post.AllText(), want) {
			t.Errorf("praise post lacks %q: %s", want, post.AllText())
		}
	}
	// The approver is the leader told.
	e.waitDM(apptest.Bob, "worked")
	e.Clock.Advance(100 * time.Hour)
	e.runFollowUps(e.Bots()...)
	if n := len(e.followUps(apptest.Alice, id)); n != 0 {
		t.Errorf("follow-up sent after the outcome was recorded: %d", n)
	}
}

func TestOutcomeDidntStaysPrivate(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Alice, "discount 900 for Globex keep the renewal")
	e.click(apptest.Bob, e.escalation(id, "Globex"), "Approve")
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(id).State == domain.StateApproved }); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(73 * time.Hour)
	e.runFollowUps(e.Bots()...)
	dm := e.followUp(apptest.Alice, id)
	before := e.publicMessages()
	carolBefore := len(e.Emu.DMs(apptest.Carol))

	e.click(apptest.Alice, dm, "It didn't")
	e.waitDM(apptest.Alice, "failure is how we learn")
	lead := e.waitDM(apptest.Bob, "own the fallout")
	if !strings.Contains(lead.AllText(), "<@U0ALICE>'s $") || strings.Contains(lead.AllText(), "'s the") {
		t.Errorf("leader DM does not read \"<@U0ALICE>'s $… \": %s", lead.AllText())
	}
	if !strings.Contains(lead.AllText(), "Globex") || !strings.Contains(lead.AllText(), "<@U0ALICE>") {
		t.Errorf("leader DM lacks the context: %s", lead.AllText())
	}
	upd, err := e.Emu.WaitDM(e.Ctx(), apptest.Alice, func(m slackemu.Message) bool { return m.TS == dm.TS && m.Updated > 0 })
	if err != nil {
		t.Fatal(err)
	}
	// A note goes to the leader only.
	e.click(apptest.Alice, upd, "Add a note")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Alice, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewOutcomeNote })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Alice, v.ID, slackemu.Values{}.Set("outcome_note", "note", "They churned anyway")); err != nil {
		t.Fatal(err)
	}
	e.waitDM(apptest.Bob, "They churned anyway")

	after := e.publicMessages()
	for ch, n := range after {
		if n != before[ch] {
			t.Errorf("%s got %d new messages after It didn't; want none (never public)", ch, n-before[ch])
		}
	}
	for _, ch := range []string{apptest.Praise, apptest.General, apptest.Leaders} {
		for _, m := range e.Emu.Messages(ch) {
			if strings.Contains(m.AllText(), id) || strings.Contains(m.AllText(), "churned") {
				t.Errorf("failure visible in %s: %s", ch, m.AllText())
			}
		}
	}
	if n := len(e.Emu.DMs(apptest.Carol)) - carolBefore; n != 0 {
		t.Errorf("Carol (not the approver) got %d DMs", n)
	}
	if n := e.countAudit(id, domain.EventOutcomeFailed); n != 1 {
		t.Errorf("%d outcome.failed events; want 1", n)
	}
}

func TestOutcomeCommandRefusals(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, auto := e.decide(apptest.Dave, "discount 100 for ACME")
	_, pending := e.decide(apptest.Dave, "discount 900 for Globex")
	_, declined := e.decide(apptest.Dave, "discount 1000 for Initech")
	e.click(apptest.Bob, e.escalation(declined, "Initech"), "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}); err != nil {
		t.Fatal(err)
	}
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(declined).State == domain.StateDeclined }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ user, text, want string }{
		{apptest.Dave, "outcome", "Tell me which decision"},
		{apptest.Dave, "outcome D-12 worked", "isn't a decision ID"},
		{apptest.Dave, "outcome D-ZZZZZZ worked", "can't find decision `D-ZZZZZZ`"},
		{apptest.Dave, "outcome " + auto, "Say `worked` or `failed`"},
		{apptest.Dave, "outcome " + auto + " great", "`great` isn't an outcome"},
		{apptest.Dave, "outcome " + pending + " worked", "still waiting for a leader"},
		{apptest.Dave, "outcome " + declined + " failed", "was declined"},
		{apptest.Erin, "outcome " + auto + " worked", "Only <@U0DAVE> can say"},
		{apptest.Dave, "outcome " + auto + " worked " + strings.Repeat("x", 2001), "keep it to 2000"},
	} {
		res := e.Command(c.user, c.text)
		if !strings.Contains(res.AllText(), c.want) {
			t.Errorf("/empower %.40s as %s = %q; want %q", c.text, c.user, res.AllText(), c.want)
		}
		if c.user == apptest.Dave && c.text != "outcome" && !strings.Contains(res.AllText(), "Usage") && !strings.Contains(res.AllText(), "no outcome to record") {
			t.Errorf("/empower %.40s = %q; want the usage line or why there's no outcome to record", c.text, res.AllText())
		}
		if strings.Contains(res.AllText(), "Nothing changed") || strings.Contains(res.AllText(), ":warning:") {
			t.Errorf("/empower %.40s = %q; want it said kindly, without 'Nothing changed' or :warning:", c.text, res.AllText())
		}
	}
	for _, id := range []string{auto, pending, declined} {
		if n := e.countAudit(id, domain.EventOutcomeWorked) + e.countAudit(id, domain.EventOutcomeFailed); n != 0 {
			t.Errorf("%s has %d outcome events after refusals; want none", id, n)
		}
	}
	if n := len(e.Emu.Messages(apptest.Praise)); n != 0 {
		t.Errorf("%d praise posts after refusals", n)
	}
	// Lower case IDs work; a second answer is refused.
	res := e.Command(apptest.Dave, "outcome "+strings.ToLower(auto)+" worked")
	if !strings.Contains(res.AllText(), "Recorded") {
		t.Fatalf("outcome = %q", res.AllText())
	}
	res = e.Command(apptest.Dave, "outcome "+auto+" worked")
	if !strings.Contains(res.AllText(), "told me already") {
		t.Errorf("second outcome = %q; want a kind refusal", res.AllText())
	}
	if n := e.countAudit(auto, domain.EventOutcomeWorked); n != 1 {
		t.Errorf("%d outcome.worked events; want 1", n)
	}
}

func TestOutcomeFollowUpRetriedAfterSlackError(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	run := func() {
		for _, b := range e.Bots() {
			_ = b.App.Jobs.RunNow(e.Ctx(), jobs.JobOutcomeFollowups) // a failed send is an error of the run
		}
	}
	due := func(id string) bool {
		_, ok, err := e.store.FollowUpDue(e.Ctx(), apptest.Team, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	_, d1 := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived")
	e.Clock.Advance(time.Second)
	_, d2 := e.decide(apptest.Erin, "discount $100 for Initech")
	e.Clock.Advance(73 * time.Hour)

	// Slack fails the first DM for a reason that may pass, on every
	// attempt of the run (the bot looks in the DM between them, finds
	// nothing and tries again): it stays due, the other one goes out.
	e.Emu.InjectError("chat.postMessage", 4, "internal_error")
	run()
	if !due(d1) || len(e.followUps(apptest.Dave, d1)) != 0 {
		t.Fatalf("%s: due %v, %d DMs after a failed send; want still due, none sent", d1, due(d1), len(e.followUps(apptest.Dave, d1)))
	}
	if n := len(e.followUps(apptest.Erin, d2)); n != 1 || due(d2) {
		t.Fatalf("%s: %d follow-ups, due %v; want 1, not due", d2, n, due(d2))
	}
	e.Clock.Advance(time.Minute)
	run()
	if n := len(e.followUps(apptest.Dave, d1)); n != 1 || due(d1) {
		t.Fatalf("%s after the retry: %d follow-ups, due %v; want 1, not due", d1, n, due(d1))
	}

	// Slack refuses for good: never tried again.
	_, d3 := e.decide(apptest.Alice, "discount $50 for Hooli")
	e.Clock.Advance(73 * time.Hour)
	e.Emu.InjectError("chat.postMessage", 1, "user_not_found")
	run()
	e.Clock.Advance(time.Minute)
	run()
	if n := len(e.followUps(apptest.Alice, d3)); n != 0 || due(d3) {
		t.Errorf("%s refused for good: %d follow-ups, due %v; want none, not due", d3, n, due(d3))
	}
	for id, want := range map[string]int{d1: 1, d2: 1, d3: 0} {
		if n := e.countAudit(id, domain.EventOutcomeAsked); n != want {
			t.Errorf("%s: %d outcome.asked events; want %d", id, n, want)
		}
	}
}

// Words of a command are split on any white space (a tab, a line break, a
// no-break space), and `didn't`, the button's word, records a failure.
func TestCommandWordsSplitOnAnyWhiteSpace(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	if res := e.Command(apptest.Dave, "stats\t30d"); !strings.Contains(res.AllText(), "last 30 days") {
		t.Errorf("/empower stats<TAB>30d = %q; want the 30-day stats", res.AllText())
	}
	if res := e.Command(apptest.Dave, "help\n"); !strings.Contains(res.AllText(), "/empower box") {
		t.Errorf("/empower help<LF> = %q; want the help", res.AllText())
	}
	// help takes no words after it: "please" is refused, so it was split off.
	if res := e.Command(apptest.Dave, "help\nplease"); !strings.Contains(res.AllText(), "takes nothing after it (got `please`)") {
		t.Errorf("/empower help<LF>please = %q; want the words after help refused", res.AllText())
	}
	if res := e.Command(apptest.Dave, "ask <@U0BOB|bob>\ta  second   van by Dec 15"); !strings.Contains(res.AllText(), "*a second van*") {
		t.Errorf("/empower ask <@U0BOB|bob><TAB>… = %q; want it asked", res.AllText())
	}
	_, worked := e.decide(apptest.Dave, "discount 100 for ACME")
	if res := e.Command(apptest.Dave, "outcome\u00a0"+worked+"\tworked"); !strings.Contains(res.AllText(), "worked") || strings.Contains(res.AllText(), "Usage") {
		t.Errorf("/empower outcome<NBSP>%s<TAB>worked = %q", worked, res.AllText())
	}
	if d := e.decision(worked); d.Outcome.Result != domain.OutcomeWorked {
		t.Errorf("outcome of %s = %+v; want worked", worked, d.Outcome)
	}
	_, failed := e.decide(apptest.Dave, "discount 100 for Globex")
	if res := e.Command(apptest.Dave, "outcome "+failed+" didn't they left anyway"); strings.Contains(res.AllText(), "Usage") {
		t.Errorf("/empower outcome %s didn't = %q", failed, res.AllText())
	}
	if d := e.decision(failed); d.Outcome.Result != domain.OutcomeFailed || d.Outcome.Note != "they left anyway" {
		t.Errorf("outcome of %s = %+v; want failed with the note", failed, d.Outcome)
	}
}

// A failure inside the box is noted to the requester's own team lead (the
// first level of their team's chain), not to the top-level one.
func TestOutcomeDidntTellsTheTeamsOwnLead(t *testing.T) {
	e := startOrg(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Erin, "discount 100 for Initech goodwill after the outage")
	e.Clock.Advance(73 * time.Hour)
	e.runFollowUps(e.Bots()...)
	dm := e.followUp(apptest.Erin, id)
	bobBefore := len(e.Emu.DMs(apptest.Bob))

	e.click(apptest.Erin, dm, "It didn't")
	lead := e.waitDM(frank, "own the fallout")
	if !strings.Contains(lead.AllText(), "Initech") {
		t.Errorf("frank's DM lacks the decision: %s", lead.AllText())
	}
	for _, m := range e.Emu.DMs(apptest.Bob)[bobBefore:] {
		if strings.Contains(m.AllText(), id) {
			t.Errorf("bob (not north's lead) was told about %s: %s", id, m.AllText())
		}
	}
}

// outcomeButtons are the follow-up DM's outcome buttons.
var outcomeButtons = []string{"It worked", "It didn't"}

// waitShowsRecorded waits until user's follow-up DM dm says what was
// recorded (want), without its outcome buttons, and returns it.
func (e *decisionEnv) waitShowsRecorded(user string, dm slackemu.Message, want string) slackemu.Message {
	e.t.Helper()
	m := e.waitDMUpdated(user, dm.TS, "recorded", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), want) })
	for _, b := range buttonLabels(m) {
		if slices.Contains(outcomeButtons, b) {
			e.t.Errorf("recorded follow-up DM still has %q: %q", b, buttonLabels(m))
		}
	}
	return m
}

// A follow-up DM whose outcome is recorded with `/empower outcome` says
// what was recorded and loses its buttons; a click on a stale button
// afterwards is answered kindly and changes nothing.
func TestFollowUpDMShowsOutcomeRecordedByCommand(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived")
	e.Clock.Advance(72*time.Hour + time.Minute)
	e.runFollowUps(e.Bots()...)
	dm := e.followUp(apptest.Dave, id)

	res := e.Command(apptest.Dave, "outcome "+id+" failed they left anyway")
	if !strings.Contains(res.AllText(), "Recorded") {
		t.Fatalf("/empower outcome = %q", res.AllText())
	}
	const want = "Recorded: the $250 discount for ACME didn't work out."
	upd := e.waitShowsRecorded(apptest.Dave, dm, want)
	if got := buttonLabels(upd); len(got) != 0 {
		t.Errorf("recorded DM with a note has buttons %q; want none", got)
	}
	if !strings.Contains(upd.AllText(), "they left anyway") {
		t.Errorf("recorded DM lacks the note: %s", upd.AllText())
	}
	e.waitDM(apptest.Bob, "own the fallout")
	before, updates := e.publicMessages(), updatesOf(e.Emu, dm.TS)

	// Dave clicks It worked on the DM as it was: kindly refused, nothing
	// changed.
	e.click(apptest.Dave, dm, "It worked")
	e.waitEphemeral(apptest.Dave, "You told me already: it didn't work out (`"+id+"`)")
	if d := e.decision(id); d.Outcome.Result != domain.OutcomeFailed || d.Outcome.Note != "they left anyway" {
		t.Errorf("outcome after the stale click = %+v; want failed, with the note", d.Outcome)
	}
	if n, f := e.countAudit(id, domain.EventOutcomeWorked), e.countAudit(id, domain.EventOutcomeFailed); n != 0 || f != 1 {
		t.Errorf("%d outcome.worked, %d outcome.failed events; want 0, 1", n, f)
	}
	if after := e.publicMessages(); !maps.Equal(after, before) {
		t.Errorf("public messages %v after the stale click; want %v", after, before)
	}
	if cur, _ := e.Emu.Message(dm.Channel, dm.TS); !strings.Contains(cur.AllText(), want) || len(cur.Buttons()) != 0 {
		t.Errorf("DM after the stale click = %q, buttons %q", cur.AllText(), buttonLabels(cur))
	}
	t.Logf("follow-up DM updated %d times before the stale click, %d after", updates, updatesOf(e.Emu, dm.TS))

	// When Slack failed the DM's update, the stale click shows it recorded.
	_, id2 := e.decide(apptest.Dave, "discount $100 for Globex")
	e.Clock.Advance(72*time.Hour + time.Minute)
	e.runFollowUps(e.Bots()...)
	dm2 := e.followUp(apptest.Dave, id2)
	e.Emu.InjectStatus("chat.update", 3, 503) // every try of the update
	if res := e.Command(apptest.Dave, "outcome "+id2+" worked"); !strings.Contains(res.AllText(), "Recorded") {
		t.Fatalf("/empower outcome = %q", res.AllText())
	}
	if err := apptest.WaitFor(30*time.Second, func() bool {
		failed := 0
		for _, c := range e.Emu.Calls("chat.update") {
			if c.Status == 503 {
				failed++
			}
		}
		return failed == 3
	}); err != nil {
		t.Fatalf("the DM's update was not tried 3 times: %v", err)
	}
	if cur, _ := e.Emu.Message(dm2.Channel, dm2.TS); len(cur.Buttons()) != 2 {
		t.Fatalf("DM after its update failed = %q, buttons %q; want it as sent", cur.AllText(), buttonLabels(cur))
	}
	e.click(apptest.Dave, dm2, "It didn't")
	e.waitEphemeral(apptest.Dave, "You told me already: it worked (`"+id2+"`)")
	e.waitShowsRecorded(apptest.Dave, dm2, "Recorded: the $100 discount for Globex worked.")
	if d := e.decision(id2); d.Outcome.Result != domain.OutcomeWorked {
		t.Errorf("outcome after the stale click = %+v; want worked", d.Outcome)
	}
}

// The outcome recorded while the follow-up DM is on its way (after the
// job claimed it, before Slack has it): the record finds no DM to update,
// and the job, recording its DM, finds the outcome and shows it.
func TestFollowUpDMOnItsWayWhenOutcomeRecorded(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived")
	e.Clock.Advance(72*time.Hour + time.Minute)

	// The job's DM reaches Slack only once Dave has recorded the outcome
	// with the command.
	hooked := false
	e.Emu.InjectHook("chat.postMessage", 1, func() {
		hooked = true
		if n := len(e.followUps(apptest.Dave, id)); n != 0 {
			t.Errorf("%d follow-up DMs before the job's post; want none", n)
		}
		res, err := e.Emu.SlashCommand(e.Ctx(), apptest.Dave, apptest.General, "outcome "+id+" worked")
		if err != nil || !strings.Contains(res.AllText(), "Recorded") {
			t.Errorf("/empower outcome while the DM is on its way = %q, %v", res.AllText(), err)
		}
	})
	e.runFollowUps(e.Bots()...)
	if !hooked {
		t.Fatal("the job posted nothing")
	}
	dms := e.followUps(apptest.Dave, id)
	if len(dms) != 1 {
		t.Fatalf("%d follow-up DMs; want 1: %s", len(dms), dump(dms))
	}
	upd := e.waitShowsRecorded(apptest.Dave, dms[0], "Recorded: the $250 discount for ACME worked.")
	if got := buttonLabels(upd); len(got) != 1 || got[0] != "Add a note" {
		t.Errorf("recorded DM buttons = %q; want only Add a note", got)
	}
	if d := e.decision(id); d.Outcome.Result != domain.OutcomeWorked || d.Outcome.FollowUp.TS != dms[0].TS {
		t.Errorf("decision outcome = %+v; want worked, its DM kept", d.Outcome)
	}
	if n := e.countAudit(id, domain.EventOutcomeWorked); n != 1 {
		t.Errorf("%d outcome.worked events; want 1", n)
	}
	// Its DM is known: a note added from it shows in it.
	e.click(apptest.Dave, upd, "Add a note")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewOutcomeNote })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, slackemu.Values{}.Set("outcome_note", "note", "They renewed")); err != nil {
		t.Fatal(err)
	}
	e.waitDMUpdated(apptest.Dave, upd.TS, "noted", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "They renewed") && len(m.Buttons()) == 0
	})
}
